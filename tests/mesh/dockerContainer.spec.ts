/**
 * DockerContainer's contract: the engine gets the request docker.Container would send (type, plugin version,
 * properties, provider, dependencies), while the object holds an Output only for what the program sets or reads.
 */
import { strict as assert } from "node:assert";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as runtime from "@pulumi/pulumi/runtime";
import {
  DOCKER_CONTAINER_TYPE,
  DOCKER_PLUGIN_VERSION,
  DockerContainer,
} from "../../components/platform/dockerContainer";

interface SentRequest {
  readonly type: string;
  readonly name: string;
  readonly version: string;
  readonly provider: string;
  readonly object: Record<string, unknown>;
  readonly dependencies: string[];
  readonly custom: boolean;
}

/** The protobuf RegisterResourceRequest's getters this test reads. */
interface RegisterResourceRequest {
  getType(): string;
  getName(): string;
  getVersion(): string;
  getProvider(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getObject(): { toJavaScript(): Record<string, unknown> };
}
type RegisterResource = (request: RegisterResourceRequest, callback: unknown) => unknown;

async function captureRequests(): Promise<SentRequest[]> {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, exitCode: 0 } }),
      call: () => ({}),
    },
    "project",
    "stack",
    false,
  );
  const sent: SentRequest[] = [];
  // Library boundary: the mock monitor's method takes the generated protobuf class, which the SDK does not export.
  const monitor = runtime.getMonitor() as unknown as { registerResource: RegisterResource };
  const registerResource = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) => {
    sent.push({
      type: request.getType(),
      name: request.getName(),
      version: request.getVersion(),
      provider: request.getProvider(),
      custom: request.getCustom(),
      dependencies: request.getDependenciesList(),
      object: request.getObject().toJavaScript(),
    });
    return registerResource(request, callback);
  };
  return sent;
}

const value = <T>(output: pulumi.Output<T>): Promise<T> =>
  new Promise((resolve) => {
    output.apply((v) => resolve(v));
  });

describe("DockerContainer (the lean container declaration)", () => {
  it("sends the engine the same RegisterResource request as docker.Container", async () => {
    const sent = await captureRequests();
    const provider = new docker.Provider("docker", { host: "unix:///var/run/docker.sock" });
    const volume = new docker.Volume("data", { name: "data" }, { provider });
    const args = (name: string): docker.ContainerArgs & { name: string } => ({
      name,
      image: "busybox@sha256:0000",
      command: ["sleep", "infinity"],
      envs: [pulumi.secret("TOKEN=t")],
      mounts: [{ target: "/data", source: volume.name, type: "volume", readOnly: true }],
      labels: [{ label: "lucid.mesh/role", value: "app" }],
      readOnly: true,
      memory: 8,
    });
    const official = new docker.Container("same", args("c"), { provider, dependsOn: [volume] });
    const lean = new DockerContainer("same", args("c"), { provider, dependsOn: [volume] });
    await Promise.all([value(official.id), value(lean.id)]);

    const containers = sent.filter((request) => request.type === DOCKER_CONTAINER_TYPE);
    assert.equal(containers.length, 2);
    const [fromOfficial, fromLean] = containers;
    assert.deepEqual(fromLean, fromOfficial);
    assert.equal(fromLean?.version, DOCKER_PLUGIN_VERSION);
    assert.notEqual(DOCKER_PLUGIN_VERSION, "");
  });

  it("holds an Output only for the properties set and the two it reads back", async () => {
    await captureRequests();
    const official = new docker.Container("official", { name: "a", image: "busybox" });
    const lean = new DockerContainer("lean", { name: "a", image: "busybox" });
    const outputs = (resource: pulumi.Resource): string[] =>
      Object.entries(resource)
        .filter(([, property]) => pulumi.Output.isInstance(property))
        .map(([key]) => key)
        .sort();
    assert.deepEqual(outputs(lean), ["exitCode", "id", "image", "name", "networkDatas", "urn"]);
    assert.ok(outputs(official).length >= 80, `docker.Container holds ${outputs(official).length} Outputs`);
    assert.equal(await value(lean.exitCode), 0);
    assert.equal(await value(lean.name), "a");
  });
});
