/**
 * The lean declarations' contract (components/leanResource.ts): the engine gets exactly the RegisterResource request
 * the provider SDK's class would send (type, plugin version, properties and which are secret, provider,
 * dependencies, additionalSecretOutputs, every other option), while the object holds an Output only for what the
 * program sets or reads.
 */
import { strict as assert } from "node:assert";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as runtime from "@pulumi/pulumi/runtime";
import * as tls from "@pulumi/tls";
import {
  AddressedDockerContainer,
  DOCKER_PLUGIN_VERSION,
  DockerContainer,
  OneShotDockerContainer,
} from "../../components/platform/dockerContainer";
import { LocallySignedCert, PrivateKey, TLS_PLUGIN_VERSION } from "../../components/tlsResources";

/** The generated protobuf RegisterResourceRequest, as far as this test reads it. */
interface RegisterResourceRequest {
  getName(): string;
  getObject(): { toJavaScript(): Record<string, unknown> };
  toObject(): Record<string, unknown>;
}
type RegisterResource = (request: RegisterResourceRequest, callback: unknown) => unknown;

interface SentRequest {
  readonly name: string;
  /** Every field of the request but the name and where in the source it was declared. */
  readonly fields: Record<string, unknown>;
  readonly properties: Record<string, unknown>;
}

async function captureRequests(): Promise<SentRequest[]> {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, exitCode: 0, certPem: "PEM" } }),
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
    // The name differs by design; the source position and the properties' wire form are compared otherwise.
    const fields = { ...request.toObject() };
    const propertyDependencies = fields.propertydependenciesMap as unknown[];
    for (const key of ["name", "object", "sourceposition", "stacktrace", "propertydependenciesMap"]) delete fields[key];
    sent.push({
      name: request.getName(),
      fields: { ...fields, propertydependenciesMap: [...propertyDependencies].sort() },
      properties: request.getObject().toJavaScript(),
    });
    return registerResource(request, callback);
  };
  return sent;
}

const value = <T>(output: pulumi.Output<T>): Promise<T> =>
  new Promise((resolve) => {
    output.apply((v) => resolve(v));
  });

function outputKeys(resource: pulumi.Resource): string[] {
  return Object.entries(resource)
    .filter(([, property]) => pulumi.Output.isInstance(property))
    .map(([key]) => key)
    .sort();
}

/** The requests for `official` and `lean`, declared the same way. */
async function requestsOf(
  declare: (name: string) => { official: pulumi.CustomResource; lean: pulumi.CustomResource },
): Promise<[SentRequest, SentRequest]> {
  const sent = await captureRequests();
  const { official, lean } = declare("same");
  await Promise.all([value(official.id), value(lean.id)]);
  const own = sent.filter((r) => r.name === "same");
  assert.equal(own.length, 2);
  return [own[0]!, own[1]!];
}

describe("lean resource declarations", () => {
  it("DockerContainer sends the engine the same request as docker.Container", async () => {
    const [official, lean] = await requestsOf((name) => {
      const provider = new docker.Provider("docker", { host: "unix:///var/run/docker.sock" });
      const volume = new docker.Volume("data", { name: "data" }, { provider });
      const args = {
        name: "c",
        image: "busybox@sha256:0000",
        command: ["sleep", "infinity"],
        envs: [pulumi.secret("TOKEN=t")],
        mounts: [{ target: "/data", source: volume.name, type: "volume", readOnly: true }],
        labels: [{ label: "lucid.mesh/role", value: "app" }],
        readOnly: true,
        memory: 8,
      };
      const opts = { provider, dependsOn: [volume], deleteBeforeReplace: true };
      return { official: new docker.Container(name, args, opts), lean: new DockerContainer(name, args, opts) };
    });
    assert.deepEqual(lean, official);
    assert.equal((lean.fields as { version: string }).version, DOCKER_PLUGIN_VERSION);
    assert.deepEqual(lean.properties.envs, official.properties.envs, "the secret env stays secret");
  });

  it("a container holds an Output only for what it sets, plus the one read-back it asks for", async () => {
    await captureRequests();
    const official = new docker.Container("official", { name: "a", image: "busybox" });
    const plain = new DockerContainer("plain", { name: "a", image: "busybox" });
    const oneShot = new OneShotDockerContainer("one-shot", { name: "b", image: "busybox" });
    const addressed = new AddressedDockerContainer("addressed", { name: "c", image: "busybox" });
    assert.ok(outputKeys(official).length >= 80, `docker.Container holds ${outputKeys(official).length} Outputs`);
    assert.deepEqual(outputKeys(plain), ["id", "image", "name", "urn"]);
    assert.deepEqual(outputKeys(oneShot), ["exitCode", "id", "image", "name", "urn"]);
    assert.deepEqual(outputKeys(addressed), ["id", "image", "name", "networkDatas", "urn"]);
    assert.equal(await value(oneShot.exitCode), 0);
    assert.equal(await value(plain.name), "a");
  });

  it("PrivateKey sends the same request as tls.PrivateKey, its key outputs secret", async () => {
    const [official, lean] = await requestsOf((name) => ({
      official: new tls.PrivateKey(name, { algorithm: "ECDSA", ecdsaCurve: "P256" }),
      lean: new PrivateKey(name, { algorithm: "ECDSA", ecdsaCurve: "P256" }),
    }));
    assert.deepEqual(lean, official);
    assert.equal((lean.fields as { version: string }).version, TLS_PLUGIN_VERSION);
    assert.deepEqual((lean.fields as { additionalsecretoutputsList: string[] }).additionalsecretoutputsList, [
      "privateKeyOpenssh",
      "privateKeyPem",
      "privateKeyPemPkcs8",
    ]);
  });

  it("LocallySignedCert sends the same request as tls.LocallySignedCert, the CA key a secret input", async () => {
    const args = {
      certRequestPem: "CSR",
      caCertPem: "CA",
      caPrivateKeyPem: "CA KEY", // a plain string: both classes must make it secret
      allowedUses: ["digitalSignature", "serverAuth"],
      validityPeriodHours: 2160,
      earlyRenewalHours: 720,
      isCaCertificate: false,
      setSubjectKeyId: true,
    };
    const [official, lean] = await requestsOf((name) => ({
      official: new tls.LocallySignedCert(name, args),
      lean: new LocallySignedCert(name, args),
    }));
    assert.deepEqual(lean, official);
    const secretKey = lean.properties.caPrivateKeyPem as Record<string, unknown>;
    assert.equal(secretKey["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270", "a secret value");
  });

  it("the tls objects hold an Output only for what the program reads", async () => {
    await captureRequests();
    const key = new PrivateKey("k", { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const cert = new LocallySignedCert("c", {
      certRequestPem: "CSR",
      caCertPem: "CA",
      caPrivateKeyPem: "K",
      allowedUses: ["serverAuth"],
      validityPeriodHours: 1,
    });
    assert.deepEqual(outputKeys(key), ["algorithm", "ecdsaCurve", "id", "privateKeyPem", "urn"]);
    assert.deepEqual(outputKeys(cert), [
      "allowedUses",
      "caCertPem",
      "caPrivateKeyPem",
      "certPem",
      "certRequestPem",
      "id",
      "urn",
      "validityPeriodHours",
    ]);
    assert.equal(await value(cert.certPem), "PEM");
    assert.ok(outputKeys(new tls.PrivateKey("official", { algorithm: "ED25519" })).length >= 12);
  });
});
