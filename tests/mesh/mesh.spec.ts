import { strict as assert } from "node:assert";
import { X509Certificate } from "node:crypto";
import { load } from "js-yaml";
import { configFilesOf, envoyFileSets } from "../../artifacts/envoy";
import { isKubernetesType, validateKubernetesResource } from "../../artifacts/kubernetes";
import { sdsFiles, sidecarFiles, gatewayFiles } from "../../envoy";
import { validateConfigSet } from "../../envoy/validator";
import { allInstances, envoyFiles, findService, instancesOf, serviceSpiffeId, type Mesh } from "../../model";
import { configChecksum } from "../../components/platform/configChecksum";
import { CONFIG_CHECKSUM_ANNOTATION } from "../../components/platform/consulKubernetesObjects";
import { stableId, type RecordedResource, type ResourceRecorder } from "../../simulate/recorder";
import { restartOf } from "../../simulate/renewal";
import type { PlannedChange } from "../../simulate/system";
import { simulateStack, type SimulatedStack } from "../../simulate/stack";
import { PROJECT_DIR, stackMesh } from "../helpers/stacks";

const CONTAINER = "docker:index/container:Container";
const LEAF_CERT = "tls:index/locallySignedCert:LocallySignedCert";

function label(resource: RecordedResource, key: string): string | undefined {
  const labels = (resource.inputs.labels ?? []) as Array<{ label: string; value: string }>;
  return labels.find((l) => l.label === key)?.value;
}

function containersWithRole(recorder: ResourceRecorder, role: string): RecordedResource[] {
  return recorder
    .ofType(CONTAINER)
    .filter((c) => label(c, "lucid.mesh/role") === role && label(c, "lucid.mesh/netns") === undefined)
    .filter((c) => !String(c.inputs.name).endsWith("-envoy-files"));
}

/** The writer that fills an Envoy container's volumes (components/platform/dockerFileWriter.ts). */
function writerOf(recorder: ResourceRecorder, envoyContainer: RecordedResource): RecordedResource {
  return recorder
    .ofType(CONTAINER)
    .find((c) => c.inputs.name === String(envoyContainer.inputs.name).replace(/-sidecar$/, "") + "-envoy-files")!;
}

/** Everything a resource depends on, directly or through its dependencies. */
function transitiveDependencies(recorder: ResourceRecorder, resource: RecordedResource): Set<string> {
  const seen = new Set<string>();
  const queue = [...resource.dependencies];
  while (queue.length > 0) {
    const urn = queue.pop()!;
    if (seen.has(urn)) continue;
    seen.add(urn);
    const next = recorder.byUrn(urn);
    if (next) queue.push(...next.dependencies);
    // A component dependency means "after all its children".
    for (const child of recorder.resources.filter((r) => r.parent === urn)) queue.push(child.urn);
  }
  return seen;
}

/**
 * What each sidecar component waits for, by resource name: its cluster's Consul servers, ACL bootstrap and
 * consul-esm (and `extra`), and not every resource of the Consul component (such as its gossip key), which a
 * dependsOn on the component would list in every sidecar's state.
 */
function assertSidecarsWaitForConsul(recorder: ResourceRecorder, extra: readonly string[]): void {
  const sidecars = recorder.resources.filter((r) => r.type === "lucid:mesh:EnvoySidecar");
  assert.ok(sidecars.length > 0);
  for (const sidecar of sidecars) {
    const names = sidecar.dependencies.map((urn) => urn.split("::").pop()!);
    const cluster = names.find((n) => n.endsWith("-consul-acl-init"))?.replace(/-consul-acl-init$/, "");
    assert.ok(cluster, `${sidecar.name} does not wait for the ACL bootstrap: ${names.join(", ")}`);
    for (const needed of ["-consul-esm", ...extra]) {
      assert.ok(names.includes(`${cluster}-consul${needed.replace(/^-consul/, "")}`), `${sidecar.name}: no ${needed}`);
    }
    assert.ok(
      names.some((n) => /-consul-(server-\d+|statefulset)$/.test(n)),
      `${sidecar.name}: no Consul server`,
    );
    assert.ok(!names.some((n) => n.endsWith("-gossip-key")), `${sidecar.name} lists every Consul resource`);
    const expected = (n: string): boolean =>
      /-consul-(server-\d+|statefulset|acl-init|esm)$/.test(n) || extra.some((e) => n === `${cluster}${e}`);
    assert.deepEqual(
      names.filter((n) => !expected(n)),
      [],
      `${sidecar.name} waits for more than Consul serving DNS`,
    );
  }
}

/** The chain the CA issued a service in a cluster: its leaf, then the cluster's intermediate (PEMs end in \n). */
function issuedChain(recorder: ResourceRecorder, cluster: string, service: string): string {
  const pem = (name: string): string => {
    const certPem = recorder.outputs.get(recorder.named(LEAF_CERT, name).urn)?.certPem;
    assert.equal(typeof certPem, "string", `${name} has no certPem`);
    return certPem as string;
  };
  return pem(`${cluster}-${service}-leaf`) + pem(`${cluster}-intermediate`);
}

/** The SPIFFE URI SANs of the first certificate of certificate.yaml's chain: the leaf Envoy serves. */
function spiffeIdsOfServedLeaf(files: Readonly<Record<string, string>>): string[] {
  const sds = load(files[`${envoyFiles.secretsDirectory}/${envoyFiles.certificateSds}`] ?? "") as {
    resources: Array<{ tls_certificate: { certificate_chain: { inline_string: string } } }>;
  };
  const chain = sds.resources[0]!.tls_certificate.certificate_chain.inline_string;
  const leaf = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(chain)![0];
  return (new X509Certificate(leaf).subjectAltName ?? "")
    .split(/,\s*/)
    .filter((s) => s.startsWith("URI:spiffe://"))
    .map((s) => s.slice("URI:".length));
}

/** Replaces certificate material, which real crypto makes new on every run. */
function withoutCertificateMaterial(value: unknown): string {
  return JSON.stringify(value).replace(/-----BEGIN [A-Z ]+-----[^-]+-----END [A-Z ]+-----(\\n)?/g, "<pem>");
}

describe("mesh: the dev stack on Docker", function () {
  let stack: SimulatedStack;
  let mesh: Mesh;

  before(async function () {
    this.timeout(120_000);
    mesh = stackMesh("dev");
    stack = await simulateStack(PROJECT_DIR, "dev");
  });

  it("starts sidecars after Consul serves: servers, ACL bootstrap, consul-esm, and only those", () => {
    assertSidecarsWaitForConsul(stack.recorder, []);
  });

  it("declares one sidecar and one app container per service instance", () => {
    const instances = allInstances(mesh)
      .map((i) => i.name)
      .sort();
    assert.deepEqual(
      containersWithRole(stack.recorder, "app")
        .map((c) => c.inputs.name)
        .sort(),
      instances,
    );
    assert.deepEqual(
      containersWithRole(stack.recorder, "sidecar")
        .map((c) => c.inputs.name)
        .sort(),
      instances.map((i) => `${i}-sidecar`),
    );
    assert.equal(stack.recorder.ofType("lucid:mesh:EnvoySidecar").length, instances.length);
  });

  it("runs each app and its sidecar in a namespace holder's network namespace, joined by ID", () => {
    for (const sidecar of containersWithRole(stack.recorder, "sidecar")) {
      const instance = String(sidecar.inputs.name).replace(/-sidecar$/, "");
      const holder = stack.recorder.named(CONTAINER, `${instance}-netns`);
      const app = stack.recorder.ofType(CONTAINER).find((c) => c.inputs.name === instance)!;
      // By ID: dockerd stores container:<name> as container:<id>, and network_mode is ForceNew.
      const byId = `container:${stableId(CONTAINER, holder.name)}`;
      assert.equal(sidecar.inputs.networkMode, byId);
      assert.equal(app.inputs.networkMode, byId);
      assert.equal(holder.inputs.hostname, instance);
      assert.equal(holder.inputs.restart, "unless-stopped");
      assert.deepEqual((holder.inputs.networksAdvanced as Array<{ aliases: string[] }>)[0]!.aliases, [
        label(sidecar, "lucid.mesh/service"),
        instance,
      ]);
    }
  });

  it("pins Envoy to 1.31.x and starts it rejecting unknown dynamic fields", () => {
    const images = stack.recorder.ofType("docker:index/remoteImage:RemoteImage").map((i) => String(i.inputs.name));
    assert.ok(images.includes(mesh.sidecar.image));
    assert.match(mesh.sidecar.image, /^envoyproxy\/envoy:v1\.31\.\d+$/);
    for (const sidecar of containersWithRole(stack.recorder, "sidecar")) {
      assert.ok((sidecar.inputs.command as string[]).includes("--reject-unknown-dynamic-fields"));
    }
  });

  it("gives every sidecar a readiness healthcheck and resource limits", () => {
    for (const sidecar of containersWithRole(stack.recorder, "sidecar")) {
      const healthcheck = sidecar.inputs.healthcheck as { tests: string[] };
      assert.match(healthcheck.tests.join(" "), /GET \/ready/);
      assert.equal(sidecar.inputs.memory, mesh.sidecar.memoryMb);
      assert.equal(sidecar.inputs.cpus, String(mesh.sidecar.cpus));
    }
  });

  it("runs one gateway per cluster on the shared WAN network", () => {
    const gateways = containersWithRole(stack.recorder, "gateway");
    assert.ok(gateways.every((g) => writerOf(stack.recorder, g).inputs.uploads));
    assert.deepEqual(gateways.map((g) => g.inputs.name).sort(), ["east-mesh-gateway", "west-mesh-gateway"]);
    for (const gateway of gateways) {
      const networks = (gateway.inputs.networksAdvanced as Array<{ name: string }>).map((n) => n.name);
      assert.ok(networks.includes("lucid-mesh-wan"));
    }
  });

  it("publishes no admin port anywhere", () => {
    for (const container of stack.recorder.ofType(CONTAINER)) {
      const ports = (container.inputs.ports ?? []) as Array<{ internal: number }>;
      assert.ok(
        !ports.some((p) => p.internal === mesh.sidecar.adminPort),
        `${String(container.inputs.name)} publishes admin`,
      );
    }
  });

  it("makes every sidecar depend on its certificate", () => {
    for (const sidecar of containersWithRole(stack.recorder, "sidecar")) {
      const cluster = label(sidecar, "lucid.mesh/cluster")!;
      const service = label(sidecar, "lucid.mesh/service")!;
      const certificate = stack.recorder.named(LEAF_CERT, `${cluster}-${service}-leaf`);
      assert.ok(
        transitiveDependencies(stack.recorder, sidecar).has(certificate.urn),
        `${String(sidecar.inputs.name)} does not wait for ${certificate.name}`,
      );
    }
  });

  it("never creates a sidecar without the files it loads: its writer fills the volume it mounts read-only", () => {
    for (const sidecar of containersWithRole(stack.recorder, "sidecar")) {
      const writer = writerOf(stack.recorder, sidecar);
      assert.ok(sidecar.dependencies.includes(writer.urn));
      assert.equal(sidecar.inputs.readOnly, true);
      assert.equal(sidecar.inputs.uploads, undefined);
      assert.deepEqual(
        (sidecar.inputs.volumes as Array<{ volumeName: string; containerPath: string; readOnly: boolean }>).map((v) => [
          v.volumeName,
          v.containerPath,
          v.readOnly,
        ]),
        [
          [`${String(sidecar.inputs.name).replace(/-sidecar$/, "")}-envoy-files`, envoyFiles.directory, true],
          [`${String(sidecar.inputs.name).replace(/-sidecar$/, "")}-envoy-files`, envoyFiles.secretsDirectory, true],
        ],
      );
      // One volume per instance holds both directories' files; the writer mounts it once.
      assert.deepEqual(
        (writer.inputs.volumes as Array<{ volumeName: string }>).map((v) => v.volumeName),
        [`${String(sidecar.inputs.name).replace(/-sidecar$/, "")}-envoy-files`],
      );
      const uploaded = (writer.inputs.uploads as Array<{ file: string }>).map((u) => u.file).sort();
      for (const name of [envoyFiles.bootstrap, envoyFiles.listeners, envoyFiles.clusters]) {
        assert.ok(uploaded.includes(`${envoyFiles.directory}/${name}`), `${name} missing`);
      }
      // Exactly the SDS files and the key they name: the chain and the trust bundle are inline in the SDS files.
      assert.deepEqual(
        uploaded.filter((f) => f.startsWith(`${envoyFiles.secretsDirectory}/`)),
        [envoyFiles.certificateSds, envoyFiles.privateKeyPem, envoyFiles.trustBundleSds].map(
          (name) => `${envoyFiles.secretsDirectory}/${name}`,
        ),
      );
    }
  });

  it("uploads exactly the files the generator produces", () => {
    const sets = envoyFileSets(stack.recorder.resources).filter((s) => s.workload !== "mesh-gateway");
    assert.equal(sets.length, allInstances(mesh).length);
    for (const set of sets) {
      const instance = allInstances(mesh).find((i) => set.source === `${i.name}-envoy-files`)!;
      const expected = sidecarFiles(mesh, instance);
      for (const [name, content] of Object.entries(expected)) {
        assert.equal(set.files[`${envoyFiles.directory}/${name}`], content, `${set.source}: ${name} differs`);
      }
      // The SDS files hold the service's own issued leaf, then its cluster's intermediate, and the root.
      const sds = sdsFiles({
        certificateChainPem: issuedChain(stack.recorder, set.cluster, set.workload),
        trustBundlePem: (stack.outputs as { caCertificate: string }).caCertificate,
      });
      for (const [name, content] of Object.entries(sds)) {
        assert.equal(set.files[`${envoyFiles.secretsDirectory}/${name}`], content, `${set.source}: ${name} differs`);
      }
      assert.deepEqual(
        spiffeIdsOfServedLeaf(set.files),
        [serviceSpiffeId(mesh, set.workload, mesh.clusters.find((c) => c.name === set.cluster)!.datacenter)],
        `${set.source}: certificate.yaml serves another identity`,
      );
    }
    for (const set of envoyFileSets(stack.recorder.resources).filter((s) => s.workload === "mesh-gateway")) {
      for (const [name, content] of Object.entries(gatewayFiles(mesh, set.cluster))) {
        assert.equal(set.files[`${envoyFiles.directory}/${name}`], content);
      }
    }
  });

  it("uploads Envoy configs that pass the validator", async () => {
    for (const set of envoyFileSets(stack.recorder.resources)) {
      const issues = (await validateConfigSet(configFilesOf(set))).filter((i) => i.severity === "error");
      assert.deepEqual(
        issues,
        [],
        `${set.source}: ${issues.map((i) => `${i.file} ${i.path}: ${i.message}`).join("\n")}`,
      );
    }
  });

  it("keeps private keys secret in uploads and out of plain YAML", () => {
    for (const sidecar of containersWithRole(stack.recorder, "sidecar").map((s) => writerOf(stack.recorder, s))) {
      assert.ok(sidecar.secretInputs.includes("uploads"), `${String(sidecar.inputs.name)}: uploads are not secret`);
      // Pulumi marks the whole property secret; the label names the one file that is, so a plan can show the rest.
      assert.equal(
        label(sidecar, "lucid.mesh/secret-files"),
        `${envoyFiles.secretsDirectory}/${envoyFiles.privateKeyPem}`,
      );
      assert.doesNotMatch(JSON.stringify(sidecar.redactedInputs), /PRIVATE KEY/);
      for (const upload of sidecar.inputs.uploads as Array<{ file: string; content: string }>) {
        if (upload.file.endsWith(".yaml")) assert.doesNotMatch(upload.content, /PRIVATE KEY/);
      }
    }
  });

  it("exports addresses, endpoints, the CA and an inventory without keys", () => {
    const outputs = stack.outputs as {
      clusters: Record<
        string,
        { consulApi: string; gatewayAddress: string; sidecars: Record<string, { admin: string; metrics: string }> }
      >;
      caCertificate: string;
      certificateInventory: Array<{ service: string; spiffeId: string }>;
    };
    assert.deepEqual(Object.keys(outputs.clusters).sort(), ["east", "west"]);
    assert.match(outputs.clusters.east!.consulApi, /^https:\/\//);
    assert.match(outputs.clusters.west!.gatewayAddress, /:8443$/);
    assert.match(outputs.clusters.east!.sidecars["east-api-gateway-1"]!.admin, /^127\.0\.0\.1:15000/);
    assert.match(outputs.caCertificate, /BEGIN CERTIFICATE/);
    assert.ok(outputs.certificateInventory.length >= mesh.services.length);
    assert.doesNotMatch(JSON.stringify(outputs), /PRIVATE KEY/);
  });
});

describe("mesh: the prod stack on Kubernetes", function () {
  let stack: SimulatedStack;
  let mesh: Mesh;

  before(async function () {
    this.timeout(120_000);
    mesh = stackMesh("prod");
    stack = await simulateStack(PROJECT_DIR, "prod");
  });

  type ServiceSpec = { type?: string; ports: Array<{ port: number }> };
  const loadBalancers = (role: string) =>
    stack.recorder
      .ofType("kubernetes:core/v1:Service")
      .filter((s) => (s.inputs.spec as ServiceSpec).type === "LoadBalancer")
      .filter((s) => (s.inputs.metadata as { labels?: Record<string, string> }).labels?.["lucid.mesh/role"] === role);
  const lbPorts = (lb: { inputs: Record<string, unknown> }) => (lb.inputs.spec as ServiceSpec).ports.map((p) => p.port);

  it("starts sidecars after Consul serves: servers, DNS Service, ACL bootstrap, consul-esm, and only those", () => {
    assertSidecarsWaitForConsul(stack.recorder, ["-consul-service"]);
  });

  it("declares every Kubernetes object valid against Kubernetes' schemas", () => {
    const objects = stack.recorder.resources.filter((r) => isKubernetesType(r.type));
    assert.ok(objects.length > 20);
    for (const object of objects) {
      assert.deepEqual(validateKubernetesResource(object.type, object.inputs), [], `${object.type} ${object.name}`);
    }
  });

  it("owns a Deployment for services with an image and patches the team's Deployment otherwise", () => {
    const owned = stack.recorder
      .ofType("kubernetes:apps/v1:Deployment")
      .map((d) => (d.inputs.metadata as { name: string }).name);
    const patched = stack.recorder
      .ofType("kubernetes:apps/v1:DeploymentPatch")
      .map((d) => (d.inputs.metadata as { name: string }).name);
    for (const service of mesh.services) {
      const target = service.image ? owned : patched;
      assert.ok(target.includes(service.image ? service.name : service.deployment), service.name);
    }
  });

  it("mounts the Envoy config and certificates it depends on", () => {
    const envoyRoles = new Set(["sidecar", "gateway"]);
    const workloads = [
      ...stack.recorder.ofType("kubernetes:apps/v1:Deployment"),
      ...stack.recorder.ofType("kubernetes:apps/v1:DeploymentPatch"),
    ].filter((w) =>
      envoyRoles.has(
        ((w.inputs.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels ??
          {})["lucid.mesh/role"] ?? "",
      ),
    );
    assert.equal(workloads.length, mesh.services.reduce((n, s) => n + s.clusters.length, 0) + mesh.clusters.length);
    for (const workload of workloads) {
      const podSpec = (
        (workload.inputs.spec as Record<string, unknown>).template as {
          spec: { volumes: Array<{ configMap?: { name: string }; secret?: { secretName: string } }> };
        }
      ).spec;
      for (const volume of podSpec.volumes) {
        const ref = volume.configMap?.name ?? volume.secret?.secretName;
        if (!ref) continue;
        // Object names repeat across clusters; the one mounted is on the workload's own provider.
        const source = stack.recorder.resources.find(
          (r) =>
            (r.type === "kubernetes:core/v1:ConfigMap" || r.type === "kubernetes:core/v1:Secret") &&
            (r.inputs.metadata as { name?: string }).name === ref &&
            r.provider === workload.provider,
        );
        assert.ok(source, `${workload.name} mounts ${ref}, which is not declared`);
        assert.ok(workload.dependencies.includes(source.urn), `${workload.name} does not wait for ${ref}`);
      }
    }
  });

  it("rolls Envoy's pods when its bootstrap changes: the pod template carries the bootstrap's checksum", () => {
    type Template = { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } };
    type PodVolumes = { spec: { volumes: Array<{ name: string; configMap?: { name: string } }> } };
    const workloads = [
      ...stack.recorder.ofType("kubernetes:apps/v1:Deployment"),
      ...stack.recorder.ofType("kubernetes:apps/v1:DeploymentPatch"),
    ].filter((w) =>
      ["sidecar", "gateway"].includes(
        (w.inputs.spec as { template: Template }).template.metadata.labels?.["lucid.mesh/role"] ?? "",
      ),
    );
    assert.ok(workloads.length > 0);
    for (const workload of workloads) {
      const template = (workload.inputs.spec as { template: Template & PodVolumes }).template;
      const configName = template.spec.volumes.find((v) => v.name === "envoy-config")?.configMap?.name;
      const config = stack.recorder.resources.find(
        (r) =>
          r.type === "kubernetes:core/v1:ConfigMap" &&
          (r.inputs.metadata as { name?: string }).name === configName &&
          r.provider === workload.provider,
      );
      const bootstrap = (config?.inputs.data as Record<string, string> | undefined)?.[envoyFiles.bootstrap];
      assert.ok(bootstrap, `${workload.name}: no bootstrap.yaml in ${configName}`);
      assert.equal(
        template.metadata.annotations?.[CONFIG_CHECKSUM_ANNOTATION],
        configChecksum([bootstrap]),
        `${workload.name}: a bootstrap change would not roll its pods, and Envoy reads bootstrap.yaml only at start`,
      );
    }
    // So a changed bootstrap is a rolling restart in the drift report, and a changed listener or cluster file is not.
    const workload = workloads[0]!;
    const withAnnotation = (value: string): RecordedResource => {
      const spec = workload.inputs.spec as { template: Template };
      const template = {
        ...spec.template,
        metadata: { ...spec.template.metadata, annotations: { [CONFIG_CHECKSUM_ANNOTATION]: value } },
      };
      return { ...workload, inputs: { ...workload.inputs, spec: { ...spec, template } } };
    };
    const change: PlannedChange = {
      urn: workload.urn,
      type: workload.type,
      name: workload.name,
      action: "update",
      properties: ["spec"],
    };
    assert.equal(restartOf(change, withAnnotation("a"), withAnnotation("b"))?.rolling, true);
    assert.equal(restartOf(change, withAnnotation("a"), withAnnotation("a")), undefined);
  });

  it("puts Envoy configs in ConfigMaps that match the generator and pass the validator", async () => {
    const sets = envoyFileSets(stack.recorder.resources);
    assert.equal(sets.length, mesh.services.reduce((n, s) => n + s.clusters.length, 0) + mesh.clusters.length);
    for (const set of sets.filter((s) => s.workload !== "mesh-gateway")) {
      const instance = instancesOf(mesh, findService(mesh, set.workload)).find((i) => i.cluster === set.cluster)!;
      for (const [name, content] of Object.entries(sidecarFiles(mesh, instance))) {
        assert.equal(set.files[`${envoyFiles.directory}/${name}`], content);
      }
    }
    for (const set of sets) {
      const issues = (await validateConfigSet(configFilesOf(set))).filter((i) => i.severity === "error");
      assert.deepEqual(issues, [], set.source);
    }
  });

  it("gives each sidecar a Secret of exactly the SDS files and the key, serving the service's own issued leaf", () => {
    const secrets = stack.recorder
      .ofType("kubernetes:core/v1:Secret")
      .filter(
        (s) => (s.inputs.metadata as { labels?: Record<string, string> }).labels?.["lucid.mesh/role"] === "sidecar",
      );
    assert.equal(
      secrets.length,
      mesh.services.reduce((n, s) => n + s.clusters.length, 0),
    );
    const trustBundlePem = (stack.outputs as { caCertificate: string }).caCertificate;
    for (const secret of secrets) {
      const labels = (secret.inputs.metadata as { labels: Record<string, string> }).labels;
      const [cluster, service] = [labels["lucid.mesh/cluster"]!, labels["lucid.mesh/service"]!];
      const data = secret.inputs.stringData as Record<string, string>;
      // No cert.pem or ca.pem: Envoy reads the chain and the bundle inline from the SDS files (envoy/sds.ts).
      assert.deepEqual(
        Object.keys(data).sort(),
        [envoyFiles.certificateSds, envoyFiles.privateKeyPem, envoyFiles.trustBundleSds],
        secret.name,
      );
      const sds = sdsFiles({ certificateChainPem: issuedChain(stack.recorder, cluster, service), trustBundlePem });
      assert.equal(data[envoyFiles.certificateSds], sds[envoyFiles.certificateSds], `${secret.name}: certificate.yaml`);
      assert.equal(
        data[envoyFiles.trustBundleSds],
        sds[envoyFiles.trustBundleSds],
        `${secret.name}: trust-bundle.yaml`,
      );
      const files = {
        [`${envoyFiles.secretsDirectory}/${envoyFiles.certificateSds}`]: data[envoyFiles.certificateSds]!,
      };
      const datacenter = mesh.clusters.find((c) => c.name === cluster)!.datacenter;
      assert.deepEqual(spiffeIdsOfServedLeaf(files), [serviceSpiffeId(mesh, service, datacenter)], secret.name);
      assert.match(data[envoyFiles.privateKeyPem]!, /PRIVATE KEY/, `${secret.name}: key.pem`);
    }
  });

  it("keeps private keys out of ConfigMaps", () => {
    for (const configMap of stack.recorder.ofType("kubernetes:core/v1:ConfigMap")) {
      assert.doesNotMatch(JSON.stringify(configMap.inputs), /PRIVATE KEY/, configMap.name);
    }
  });

  it("fronts each gateway with a LoadBalancer that publishes only the gateway port", () => {
    const lbs = loadBalancers("gateway");
    assert.equal(lbs.length, mesh.clusters.length);
    for (const lb of lbs) assert.deepEqual(lbPorts(lb), [8443]);
  });

  it("fronts each cluster's Consul servers with a peering LoadBalancer (gRPC TLS) and an API one (HTTPS)", () => {
    const lbs = loadBalancers("consul-server");
    assert.equal(lbs.length, 2 * mesh.clusters.length);
    const lbName = (lb: RecordedResource) => (lb.inputs.metadata as { name: string }).name;
    for (const lb of lbs.filter((l) => lbName(l) === "consul-server-peering")) assert.deepEqual(lbPorts(lb), [8503]);
    for (const lb of lbs.filter((l) => lbName(l) === "consul-server-api")) assert.deepEqual(lbPorts(lb), [8501]);
    // Nothing else is published: gateways, peering, the API and the edge services' `<service>-edge` are the only
    // LoadBalancers.
    const all = stack.recorder
      .ofType("kubernetes:core/v1:Service")
      .filter((s) => (s.inputs.spec as { type?: string }).type === "LoadBalancer");
    const edges = mesh.services
      .filter((s) => s.edge?.serviceType === "LoadBalancer")
      .reduce((n, s) => n + s.clusters.length, 0);
    assert.equal(edges, 2, "api-gateway's edge in east and west");
    assert.equal(all.length, 3 * mesh.clusters.length + edges);
    assert.deepEqual(
      all
        .map((s) => (s.inputs.metadata as { name: string }).name)
        .filter((n) => n.endsWith("-edge"))
        .sort(),
      ["api-gateway-edge", "api-gateway-edge"],
    );
  });

  it("gives each cluster its own explicit Kubernetes provider and context", () => {
    const providers = stack.recorder.ofType("pulumi:providers:kubernetes");
    assert.deepEqual(providers.map((p) => p.inputs.context).sort(), ["prod-east", "prod-west"]);
  });
});

describe("mesh: determinism", function () {
  it("a second run declares the same resources with the same inputs", async function () {
    this.timeout(180_000);
    const first = await simulateStack(PROJECT_DIR, "dev");
    const second = await simulateStack(PROJECT_DIR, "dev");
    const shape = (r: ResourceRecorder) =>
      r.resources
        .map((x) => ({ type: x.type, name: x.name, inputs: x.inputs }))
        .sort((a, b) => (a.type + a.name < b.type + b.name ? -1 : 1));
    assert.equal(first.recorder.resources.length, second.recorder.resources.length);
    assert.equal(withoutCertificateMaterial(shape(first.recorder)), withoutCertificateMaterial(shape(second.recorder)));
  });
});
