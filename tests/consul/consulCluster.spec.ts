import { strict as assert } from "node:assert";
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { Job } from "kubernetes-models/batch/v1/Job";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { validateKubernetesResource } from "../../artifacts/kubernetes";
import { checkPodSecurity } from "../../policies/rules/workloads/podSecurity";
import { ConsulCluster } from "../../components/consulCluster";
import { consulOnPlatform } from "../../components/platform/clusterPlatform";
import { ConsulMeshConfig, clusterPairs, peerClusters } from "../../components/consulConfig";
import { ServiceRegistration } from "../../components/serviceRegistration";
import { requireBootstrapSuccess } from "../../components/platform/consulDocker";
import {
  isSecretOutput,
  settle,
  startSimulation,
  valueOf,
  type RecordedResource,
  type ResourceRecorder,
} from "../../simulate/recorder";
import { parseMeshConfig } from "../../model";
import type { ApplierPayload } from "../../consul/applier";
import { ConsulApplier } from "../../components/consulApplier";
import { DockerPlatform } from "../../components/platform/docker";
import {
  FAKE_GOSSIP_KEY,
  FAKE_TLS,
  UUID_PATTERN,
  clusterOf,
  fakeToken,
  loadMesh,
  randomModels,
  rawStackConfig,
} from "./fixtures";

type Obj = Record<string, unknown>;
const get = (value: unknown, ...path: Array<string | number>): unknown =>
  path.reduce<unknown>((v, k) => (v === null || v === undefined ? undefined : (v as Obj)[k as string]), value);

function only(recorder: ResourceRecorder, type: string): RecordedResource[] {
  return recorder.ofType(type);
}

describe("ConsulCluster on Docker (dev)", () => {
  let recorder: ResourceRecorder;
  let cluster: ConsulCluster;
  const mesh = loadMesh("dev");
  const east = clusterOf(mesh, "east");

  before(async () => {
    recorder = await startSimulation({ stack: "test", models: randomModels });
    const provider = new docker.Provider("docker", { host: "unix:///var/run/docker.sock" });
    cluster = new ConsulCluster("east-consul", { mesh, cluster: east, tls: FAKE_TLS }, { provider });
    const consulOpts = { provider: cluster.provider, dependsOn: [cluster] };
    new ConsulMeshConfig("east-config", { mesh, cluster: east }, consulOpts);
    new ServiceRegistration("east-registrations", { mesh, cluster: east }, consulOpts);
    if (east.platform !== "docker") throw new Error("the fixture's east cluster runs on Docker");
    const platform = new DockerPlatform({
      cluster: east,
      provider,
      networkName: "lucid-mesh-east",
      wanNetworkName: "lucid-mesh-wan",
      image: (reference) => `${reference}@image-id`,
    });
    new ConsulApplier(
      "east-consul-applier",
      { mesh, cluster: east, platform, addresses: {}, trustBundlePem: FAKE_TLS.caPem, after: [cluster] },
      consulOpts,
    );
    await settle();
  });

  const container = (name: string): Obj => recorder.named("docker:index/container:Container", name).inputs;
  /** The writer that fills the server's config and TLS volumes: it carries the files the server reads. */
  const files = (): Obj => container("east-consul-server-0-files");
  const upload = (c: Obj, file: string): string => {
    const found = (c["uploads"] as Array<{ file: string; content: string }>).find((u) => u.file === file);
    if (!found) throw new Error(`no upload ${file}`);
    return found.content;
  };

  it("creates the cluster network with the model's subnet and dynamic range", () => {
    const [network] = only(recorder, "docker:index/network:Network");
    assert.equal(network?.inputs["name"], "lucid-mesh-east");
    assert.deepEqual(network?.inputs["ipamConfigs"], [{ subnet: "10.10.1.0/24", ipRange: "10.10.1.128/25" }]);
  });

  it("pulls the pinned images and keeps them locally", () => {
    const images = only(recorder, "docker:index/remoteImage:RemoteImage").map((r) => [
      r.inputs["name"],
      r.inputs["keepLocally"],
    ]);
    assert.deepEqual(images, [
      ["hashicorp/consul:1.20.6", true],
      ["hashicorp/consul-esm:0.8.0", true],
    ]);
  });

  it("runs one server at its fixed address, with its own volume, labels and no privileges", () => {
    const server = container("east-consul-server-0");
    assert.equal(server["name"], "east-consul-0");
    assert.deepEqual(get(server, "networksAdvanced", 0, "ipv4Address"), "10.10.1.10");
    // Data read-write; config and TLS read-only, filled by the server's writer (components/platform/dockerFileWriter.ts).
    assert.deepEqual(server["volumes"], [
      { volumeName: "east-consul-0-data", containerPath: "/consul/data" },
      { volumeName: "east-consul-0-config", containerPath: "/consul/config", readOnly: true },
      { volumeName: "east-consul-0-tls", containerPath: "/consul/tls", readOnly: true },
    ]);
    assert.equal(
      only(recorder, "docker:index/volume:Volume").filter((v) => String(v.inputs["name"]).startsWith("east-consul-0-"))
        .length,
      3,
    );
    assert.equal(server["readOnly"], true);
    assert.equal(server["uploads"], undefined);
    assert.deepEqual(server["capabilities"], { drops: ["ALL"] });
    assert.equal(server["privileged"], false);
    assert.equal(server["user"], "100:1000");
    assert.equal(server["restart"], "unless-stopped");
    assert.deepEqual((server["labels"] as Obj[]).slice(0, 2), [
      { label: "lucid.mesh/role", value: "consul-server" },
      { label: "lucid.mesh/cluster", value: "east" },
    ]);
    assert.deepEqual(get(files(), "labels", 2), {
      label: "lucid.mesh/secret-files",
      value: "/consul/config/secrets.json,/consul/tls/server-key.pem",
    });
  });

  it("also joins the shared WAN network at its fixed address, where peers dial it", () => {
    const networks = container("east-consul-server-0")["networksAdvanced"] as Obj[];
    assert.deepEqual(networks, [
      { name: "lucid-mesh-east", ipv4Address: "10.10.1.10", aliases: ["east-consul-0"] },
      { name: "lucid-mesh-wan", ipv4Address: "10.10.255.100", aliases: ["east-consul-0"] },
    ]);
    // The advertised (Raft, gossip) address stays the cluster-network one.
    const serverJson = JSON.parse(upload(files(), "/consul/config/server.json")) as Obj;
    assert.equal(serverJson["advertise_addr"], "10.10.1.10");
    // Neither consul-esm nor the bootstrap job is on the WAN network.
    for (const name of ["east-consul-esm", "east-consul-acl-init"]) {
      assert.equal((container(name)["networksAdvanced"] as Obj[]).length, 1, name);
    }
  });

  it("publishes only the HTTPS API, on loopback", () => {
    assert.deepEqual(container("east-consul-server-0")["ports"], [
      { internal: 8501, external: 8501, ip: "127.0.0.1", protocol: "tcp" },
    ]);
  });

  it("health-checks a status endpoint that needs no token, verifying the server name", () => {
    const tests = get(container("east-consul-server-0"), "healthcheck", "tests") as string[];
    assert.equal(tests[0], "CMD");
    assert.ok(tests.includes("--cacert"));
    assert.equal(tests[tests.length - 1], "https://server.east.consul:8501/v1/status/leader");
  });

  it("uploads server.json without secrets, and a secret secrets.json with gossip encryption", () => {
    const server = files();
    const serverJson = JSON.parse(upload(server, "/consul/config/server.json")) as Obj;
    assert.equal(get(serverJson, "tls", "defaults", "verify_incoming"), true);
    assert.equal(get(serverJson, "tls", "defaults", "verify_outgoing"), true);
    assert.equal(get(serverJson, "tls", "internal_rpc", "verify_server_hostname"), true);
    assert.equal(get(serverJson, "acl", "default_policy"), "deny");
    assert.equal(serverJson["enable_script_checks"], false);
    assert.equal(serverJson["advertise_addr"], "10.10.1.10");
    assert.deepEqual(serverJson["retry_join"], []);
    assert.equal(serverJson["bootstrap_expect"], 1);
    assert.doesNotMatch(upload(server, "/consul/config/server.json"), /"encrypt"|"tokens"|PRIVATE KEY/);
    assert.doesNotMatch(upload(server, "/consul/config/server.json"), UUID_PATTERN);

    const secrets = JSON.parse(upload(server, "/consul/config/secrets.json")) as Obj;
    assert.equal(secrets["encrypt"], FAKE_GOSSIP_KEY);
    assert.equal(get(secrets, "acl", "tokens", "initial_management"), fakeToken("east-consul-bootstrap-token"));
    assert.equal(get(secrets, "acl", "tokens", "dns"), fakeToken("east-consul-dns-token"));
    assert.ok(
      recorder.named("docker:index/container:Container", "east-consul-server-0-files").secretInputs.includes("uploads"),
    );
  });

  it("writes the TLS material, the key only readable by the consul user, and lets Consul reload it", () => {
    const uploads = files()["uploads"] as Array<Obj>;
    const key = uploads.find((u) => u["file"] === "/consul/tls/server-key.pem");
    assert.deepEqual(key, { file: "/consul/tls/server-key.pem", content: FAKE_TLS.keyPem, permissions: "0400" });
    assert.ok(uploads.some((u) => u["file"] === "/consul/tls/ca.pem"));
    const script = (files()["command"] as string[])[0]!;
    assert.match(script, /chown 100:1000 '\/lucid-out\/1\/\.next\/server-key\.pem'/);
    // the key moves in before its certificate: Consul reloads on each file and keeps the old pair on a mismatch
    assert.ok(script.indexOf("server-key.pem'") < script.indexOf("/server.pem'"));
    assert.deepEqual(JSON.parse(upload(files(), "/consul/config/auto-reload.json")), { auto_reload_config: true });
  });

  it("runs consul-esm with its token as a secret file, not in env", () => {
    const esm = recorder.named("docker:index/container:Container", "east-consul-esm");
    // Its one variable only carries the ACL bootstrap's checked exit code (see the bootstrap test).
    assert.deepEqual(esm.inputs["envs"], ["LUCID_ACL_BOOTSTRAP=ok"]);
    const token = JSON.parse(upload(esm.inputs, "/consul-esm/config/token.json")) as Obj;
    assert.equal(token["token"], fakeToken("east-consul-esm-token"));
    const config = JSON.parse(upload(esm.inputs, "/consul-esm/config/esm.json")) as Obj;
    assert.equal(config["token"], undefined);
    assert.equal(config["http_addr"], "https://10.10.1.10:8501");
    assert.ok(esm.secretInputs.includes("uploads"));
    assert.deepEqual(get(esm.inputs, "labels", 0), { label: "lucid.mesh/role", value: "consul-esm" });
  });

  it("bootstraps the DNS, agent and esm tokens once, after the servers", () => {
    const init = recorder.named("docker:index/container:Container", "east-consul-acl-init");
    assert.equal(init.inputs["mustRun"], false);
    assert.equal(init.inputs["attach"], true);
    const script = upload(init.inputs, "/acl-init/config/bootstrap.sh");
    for (const policy of ["lucid-dns", "lucid-consul-agent", "lucid-consul-esm"])
      assert.match(script, new RegExp(policy));
    assert.equal(upload(init.inputs, "/acl-init/tokens/dns"), fakeToken("east-consul-dns-token"));
    const server = recorder.named("docker:index/container:Container", "east-consul-server-0");
    assert.ok(init.dependencies.includes(server.urn));
  });

  it("fails the up when the ACL bootstrap exits non-zero: the provider only waits (resource_docker_container_funcs.go)", () => {
    // kreuzwerker/terraform-provider-docker resourceDockerContainerCreate: `attach` waits for the container to stop
    // and the read stores exit_code; nothing compares it with 0. consul-esm's env is derived from it, checked.
    assert.equal(requireBootstrapSuccess("east-consul-acl-init", 0), "ok");
    assert.throws(
      () => requireBootstrapSuccess("east-consul-acl-init", 1),
      /ACL bootstrap container east-consul-acl-init exited with code 1: see `docker logs east-consul-acl-init`/,
    );
    const esm = recorder.named("docker:index/container:Container", "east-consul-esm");
    const init = recorder.named("docker:index/container:Container", "east-consul-acl-init");
    assert.ok(esm.dependencies.includes(init.urn));
  });

  it("keeps generated secrets secret and exposes the outputs", async () => {
    assert.equal(await isSecretOutput(cluster.bootstrapToken), true);
    assert.equal(await isSecretOutput(cluster.dnsToken), true);
    assert.equal(await valueOf(cluster.apiAddress), "https://127.0.0.1:8501");
    assert.equal(await valueOf(cluster.uiAddress), "https://127.0.0.1:8501/ui/");
    assert.equal(await valueOf(cluster.caPem), FAKE_TLS.caPem);
    assert.deepEqual(
      only(recorder, "random:index/randomBytes:RandomBytes").map((r) => r.inputs["length"]),
      [32, 16, 16, 16, 16],
    );
  });

  it("configures the consul provider from the cluster's outputs", () => {
    const [provider] = only(recorder, "pulumi:providers:consul");
    assert.equal(provider?.inputs["address"], "https://127.0.0.1:8501");
    assert.equal(provider?.inputs["scheme"], "https");
    assert.equal(provider?.inputs["datacenter"], "east");
    assert.equal(provider?.inputs["caPem"], FAKE_TLS.caPem);
    assert.ok(provider?.secretInputs.includes("token"));
  });

  /** The Consul applier's payload, from its writer's uploads. */
  const payload = (): ApplierPayload =>
    JSON.parse(upload(container("east-consul-applier-files"), "/lucid-applier/payload.json")) as ApplierPayload;

  it("writes config entries through the cluster's Consul applier, marked as its own, after the cluster", () => {
    assert.deepEqual(only(recorder, "consul:index/configEntry:ConfigEntry"), []);
    const entries = payload().configEntries;
    const deny = entries.find((e) => e.Kind === "service-intentions" && e.Name === "*");
    assert.deepEqual(deny, {
      Kind: "service-intentions",
      Name: "*",
      Sources: [{ Name: "*", Action: "deny", Precedence: 5, Type: "consul", Description: "default deny" }],
      Meta: { "lucid-mesh-managed-by": "consul-applier" },
    });
    const exported = entries.find((e) => e.Kind === "exported-services");
    assert.deepEqual(exported?.Services, [{ Name: "session-recorder", Consumers: [{ Peer: "west" }] }]);
    const applier = recorder.named("docker:index/container:Container", "east-consul-applier");
    // After its own token and the cluster's servers (a component's dependsOn expands to its resources).
    assert.ok(applier.dependencies.some((d) => d.endsWith("::east-consul-applier-token")));
    assert.ok(applier.dependencies.some((d) => d.endsWith("::east-consul-server-0")));
  });

  it("creates gateway and Prometheus policies and tokens", () => {
    const policies = only(recorder, "consul:index/aclPolicy:AclPolicy").map((p) => p.inputs["name"]);
    assert.deepEqual(policies, ["lucid-mesh-gateway", "lucid-prometheus", "lucid-consul-applier"]);
    const tokens = only(recorder, "consul:index/aclToken:AclToken").map((t) => t.inputs["policies"]);
    assert.deepEqual(tokens, [["lucid-mesh-gateway"], ["lucid-prometheus"], ["lucid-consul-applier"]]);
  });

  it("registers every instance on the external node with its HTTP check", () => {
    const [node] = only(recorder, "consul:index/node:Node");
    assert.equal(node?.inputs["name"], "east-external");
    assert.deepEqual(get(node?.inputs, "meta", "external-node"), "true");
    assert.deepEqual(only(recorder, "consul:index/service:Service"), []);
    const registrations = payload().registrations;
    assert.deepEqual(
      registrations.map((r) => r.Service.ID),
      ["api-gateway-1", "blockchain-core-1", "session-api-1", "session-recorder-1"],
    );
    const api = registrations[0]!;
    assert.equal(api.Node, "east-external");
    assert.equal(api.SkipNodeUpdate, true);
    assert.deepEqual(api.Service.Tags, ["v1", "production"]);
    assert.deepEqual(api.Checks[0], {
      Node: "east-external",
      ServiceID: "api-gateway-1",
      CheckID: "service:api-gateway-1",
      Name: "api-gateway HTTP health",
      Definition: {
        HTTP: "http://east-api-gateway-1:15021/health",
        Method: "GET",
        Interval: "30s",
        Timeout: "10s",
        DeregisterCriticalServiceAfter: "0s",
      },
    });
  });
});

describe("Cluster peering on Docker (dev)", () => {
  let recorder: ResourceRecorder;
  const mesh = loadMesh("dev");

  before(async () => {
    recorder = await startSimulation({ stack: "test", models: randomModels });
    const provider = new docker.Provider("docker", { host: "unix:///var/run/docker.sock" });
    const wan = new docker.Network(
      "wan",
      { name: "lucid-mesh-wan", ipamConfigs: [{ subnet: "10.10.255.0/24" }] },
      {
        provider,
      },
    );
    const sides = mesh.clusters.map((cluster) => {
      const consul = new ConsulCluster(
        `${cluster.name}-consul`,
        { mesh, cluster, tls: FAKE_TLS, platform: consulOnPlatform(cluster, wan.name) },
        { provider },
      );
      return { cluster, provider: consul.provider, dependsOn: [consul] };
    });
    for (const [a, b] of clusterPairs(sides)) peerClusters(`${a.cluster.name}-${b.cluster.name}`, mesh, a, b);
    await settle();
  });

  it("puts every server on the WAN network at its fixed address, after the network exists", () => {
    const wan = recorder.named("docker:index/network:Network", "wan");
    for (const [name, address] of [
      ["east-consul-server-0", "10.10.255.100"],
      ["west-consul-server-0", "10.10.255.110"],
    ] as const) {
      const server = recorder.named("docker:index/container:Container", name);
      assert.deepEqual(get(server.inputs, "networksAdvanced", 1, "ipv4Address"), address, name);
      assert.equal(get(server.inputs, "networksAdvanced", 1, "name"), "lucid-mesh-wan", name);
      assert.ok(server.dependencies.includes(wan.urn), name);
    }
  });

  it("east's token sends west's servers to east's servers' gRPC TLS port, not a gateway", () => {
    const [token] = recorder.ofType("consul:index/peeringToken:PeeringToken");
    assert.equal(token?.inputs["peerName"], "west");
    assert.deepEqual(token?.inputs["serverExternalAddresses"], ["10.10.255.100:8503"]);
    assert.match(token?.provider ?? "", /east-consul-provider/);
    const [peering] = recorder.ofType("consul:index/peering:Peering");
    assert.equal(peering?.inputs["peerName"], "east");
    assert.match(peering?.provider ?? "", /west-consul-provider/);
  });
});

const K8S = {
  namespace: "kubernetes:core/v1:Namespace",
  configMap: "kubernetes:core/v1:ConfigMap",
  secret: "kubernetes:core/v1:Secret",
  service: "kubernetes:core/v1:Service",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  deployment: "kubernetes:apps/v1:Deployment",
  job: "kubernetes:batch/v1:Job",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
} as const;

describe("ConsulCluster on Kubernetes (prod)", () => {
  let recorder: ResourceRecorder;
  let eastConsul: ConsulCluster;
  const mesh = loadMesh("prod");
  const east = clusterOf(mesh, "east");
  const west = clusterOf(mesh, "west");

  before(async () => {
    recorder = await startSimulation({ stack: "test", models: randomModels });
    const eastK8s = new k8s.Provider("east-k8s", { context: "prod-east" });
    const westK8s = new k8s.Provider("west-k8s", { context: "prod-west" });
    eastConsul = new ConsulCluster("east-consul", { mesh, cluster: east, tls: FAKE_TLS }, { provider: eastK8s });
    const westConsul = new ConsulCluster("west-consul", { mesh, cluster: west, tls: FAKE_TLS }, { provider: westK8s });
    const sides = [
      { cluster: east, provider: eastConsul.provider, dependsOn: [eastConsul] },
      { cluster: west, provider: westConsul.provider, dependsOn: [westConsul] },
    ];
    for (const [a, b] of clusterPairs(sides)) peerClusters(`${a.cluster.name}-${b.cluster.name}`, mesh, a, b);
    await settle();
  });

  const eastObjects = (type: string): RecordedResource[] =>
    recorder.ofType(type).filter((r) => r.name.startsWith("east-"));
  const named = (type: string, name: string): Obj => recorder.named(type, name).inputs;

  it("gives every object an explicit name in the cluster's namespace", () => {
    for (const type of Object.values(K8S)) {
      for (const r of eastObjects(type)) {
        assert.ok(get(r.inputs, "metadata", "name"), `${r.name} has no metadata.name`);
        if (type !== K8S.namespace) assert.equal(get(r.inputs, "metadata", "namespace"), "lucid-mesh", r.name);
      }
    }
  });

  it("every Kubernetes object validates against the Kubernetes schema", () => {
    const models: Record<string, (o: Obj) => { validate(): void }> = {
      [K8S.namespace]: (o) => new Namespace(o),
      [K8S.configMap]: (o) => new ConfigMap(o),
      [K8S.secret]: (o) => new Secret(o),
      [K8S.service]: (o) => new Service(o),
      [K8S.serviceAccount]: (o) => new ServiceAccount(o),
      [K8S.statefulSet]: (o) => new StatefulSet(o as ConstructorParameters<typeof StatefulSet>[0]),
      [K8S.deployment]: (o) => new Deployment(o as ConstructorParameters<typeof Deployment>[0]),
      [K8S.job]: (o) => new Job(o),
      [K8S.pdb]: (o) => new PodDisruptionBudget(o),
    };
    let count = 0;
    for (const [type, build] of Object.entries(models)) {
      for (const r of eastObjects(type)) {
        assert.doesNotThrow(() => build(r.inputs).validate(), `${r.name}`);
        count += 1;
      }
    }
    // Namespace, 2 ServiceAccounts, 3 ConfigMaps, 5 Secrets, 4 Services, StatefulSet, PDB, Job, 2 Deployments
    // (consul-esm and consul-k8s catalog sync).
    assert.equal(count, 20);
  });

  it("negative: the schema check catches a bad object", () => {
    const bad = structuredClone(named(K8S.statefulSet, "east-consul-statefulset"));
    (get(bad, "spec") as Obj)["replicas"] = "three";
    assert.throws(
      () => new StatefulSet(bad as ConstructorParameters<typeof StatefulSet>[0]).validate(),
      (e: Error) => e.constructor.name === "ValidationError" && /spec\/replicas must be integer/.test(e.message),
    );
  });

  it("creates a restricted namespace", () => {
    assert.deepEqual(
      get(named(K8S.namespace, "east-consul-namespace"), "metadata", "labels", "pod-security.kubernetes.io/enforce"),
      "restricted",
    );
  });

  it("runs the StatefulSet with parallel start, anti-affinity, storage and probes", () => {
    const sts = named(K8S.statefulSet, "east-consul-statefulset");
    assert.equal(get(sts, "spec", "serviceName"), "consul-server-headless");
    assert.equal(get(sts, "spec", "replicas"), 3);
    assert.equal(get(sts, "spec", "podManagementPolicy"), "Parallel");
    assert.equal(
      get(
        sts,
        "spec",
        "template",
        "spec",
        "affinity",
        "podAntiAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution",
        0,
        "topologyKey",
      ),
      "kubernetes.io/hostname",
    );
    assert.equal(get(sts, "spec", "volumeClaimTemplates", 0, "spec", "resources", "requests", "storage"), "10Gi");
    const container = get(sts, "spec", "template", "spec", "containers", 0) as Obj;
    assert.equal(container["image"], "hashicorp/consul:1.20.6");
    assert.deepEqual(get(container, "readinessProbe", "httpGet"), {
      path: "/v1/status/leader",
      port: 8501,
      scheme: "HTTPS",
    });
    assert.ok(get(container, "livenessProbe"));
    assert.equal(get(sts, "spec", "template", "metadata", "labels", "lucid.mesh/role"), "consul-server");
  });

  it("every pod passes the policy pack's restricted pod-security check", () => {
    const workloads: Array<[string, string]> = [
      [K8S.statefulSet, "east-consul-statefulset"],
      [K8S.deployment, "east-consul-esm"],
      [K8S.job, "east-consul-acl-init"],
    ];
    for (const [type, name] of workloads) {
      assert.deepEqual(checkPodSecurity({ type, name, props: named(type, name) }, {}), [], name);
    }
    const sts = get(
      named(K8S.statefulSet, "east-consul-statefulset"),
      "spec",
      "template",
      "spec",
      "securityContext",
    ) as Obj;
    assert.equal(sts["runAsUser"], 100);
    assert.equal(sts["fsGroup"], 1000);
  });

  it("serves DNS (TCP and UDP) and HTTPS at the reserved ClusterIP; the headless Service publishes unready pods", () => {
    const svc = named(K8S.service, "east-consul-service");
    assert.equal(get(svc, "spec", "clusterIP"), "10.96.200.53");
    const ports = (get(svc, "spec", "ports") as Obj[]).map((p) => `${p["port"]}/${p["protocol"]}`);
    assert.deepEqual(ports, ["8501/TCP", "8600/TCP", "8600/UDP"]);
    const headless = named(K8S.service, "east-consul-headless");
    assert.equal(get(headless, "spec", "clusterIP"), "None");
    assert.equal(get(headless, "spec", "publishNotReadyAddresses"), true);
  });

  it("exposes only the servers' gRPC TLS port on a LoadBalancer, for peering", () => {
    const peering = recorder.named(K8S.service, "east-consul-peering");
    assert.equal(get(peering.inputs, "metadata", "name"), "consul-server-peering");
    assert.equal(get(peering.inputs, "spec", "type"), "LoadBalancer");
    assert.deepEqual(get(peering.inputs, "spec", "ports"), [
      { name: "grpc-tls", port: 8503, targetPort: 8503, protocol: "TCP" },
    ]);
    assert.deepEqual(get(peering.inputs, "spec", "selector"), {
      "app.kubernetes.io/name": "consul-server",
      "lucid.mesh/cluster": "east",
    });
    assert.deepEqual(get(peering.inputs, "metadata", "labels", "lucid.mesh/role"), "consul-server");
    assert.deepEqual(validateKubernetesResource(K8S.service, peering.inputs), []);
    // Consul's only other LoadBalancer is the API's, for Pulumi (see the provider test); DNS stays inside.
    const balancers = eastObjects(K8S.service).filter((r) => get(r.inputs, "spec", "type") === "LoadBalancer");
    assert.deepEqual(
      balancers.map((r) => r.name),
      ["east-consul-peering", "east-consul-api"],
    );
    assert.equal(get(peering.inputs, "spec", "loadBalancerIP"), "198.51.100.11");
  });

  it("negative: the schema check catches a bad peering Service", () => {
    const bad = structuredClone(named(K8S.service, "east-consul-peering"));
    (get(bad, "spec", "ports", 0) as Obj)["port"] = "grpc";
    assert.notDeepEqual(validateKubernetesResource(K8S.service, bad), []);
  });

  it("allows one server down at a time", () => {
    assert.equal(get(named(K8S.pdb, "east-consul-pdb"), "spec", "maxUnavailable"), 1);
  });

  it("keeps server.json in the ConfigMap and every secret in Secrets", () => {
    const configMaps = eastObjects(K8S.configMap);
    for (const cm of configMaps) {
      const text = JSON.stringify(cm.inputs["data"]);
      assert.doesNotMatch(text, /"encrypt"|PRIVATE KEY|initial_management|"token"/, cm.name);
      assert.doesNotMatch(text, UUID_PATTERN, cm.name);
      assert.deepEqual(cm.secretInputs, [], cm.name);
    }
    const server = JSON.parse(get(named(K8S.configMap, "east-consul-config"), "data", "server.json") as string) as Obj;
    assert.equal(get(server, "acl", "default_policy"), "deny");
    assert.equal(get(server, "tls", "defaults", "verify_incoming"), true);
    assert.equal(server["enable_script_checks"], false);
    assert.equal((server["retry_join"] as string[]).length, 3);

    const secrets = recorder.named(K8S.secret, "east-consul-secrets");
    assert.ok(secrets.secretInputs.includes("stringData"));
    const secretsJson = JSON.parse(get(secrets.inputs, "stringData", "secrets.json") as string) as Obj;
    assert.equal(secretsJson["encrypt"], FAKE_GOSSIP_KEY);
    const tls = recorder.named(K8S.secret, "east-consul-tls");
    assert.equal(get(tls.inputs, "stringData", "server-key.pem"), FAKE_TLS.keyPem);
    assert.ok(tls.secretInputs.includes("stringData"));
  });

  it("gives the provider the API LoadBalancer's reserved address, reachable from outside the cluster", async () => {
    assert.equal(await valueOf(eastConsul.apiAddress), "https://10.10.0.50:8501");
    const api = recorder.named(K8S.service, "east-consul-api");
    assert.equal(get(api.inputs, "spec", "loadBalancerIP"), "10.10.0.50");
    assert.deepEqual(get(api.inputs, "spec", "ports"), [
      { name: "https", port: 8501, targetPort: 8501, protocol: "TCP" },
    ]);
  });

  it("peers the clusters: east issues a token for west, west dials it", () => {
    const [token] = recorder.ofType("consul:index/peeringToken:PeeringToken");
    assert.equal(token?.inputs["peerName"], "west");
    // The servers' peering LoadBalancer on gRPC TLS, never the mesh gateway (which cannot route peering).
    assert.deepEqual(token?.inputs["serverExternalAddresses"], ["198.51.100.11:8503"]);
    assert.match(token?.provider ?? "", /east-consul-provider/);
    const [peering] = recorder.ofType("consul:index/peering:Peering");
    assert.equal(peering?.inputs["peerName"], "east");
    assert.match(peering?.provider ?? "", /west-consul-provider/);
  });
});

describe("ConsulCluster on a single Kubernetes cluster", () => {
  it("publishes no peering LoadBalancer when there is no peer", async () => {
    const raw = rawStackConfig("prod");
    const all = raw["clusters"] as Obj[];
    raw["clusters"] = [all[0]];
    delete (all[0]!["consul"] as Obj)["peeringAddress"];
    for (const s of raw["services"] as Obj[]) s["clusters"] = ["east"];
    const mesh = parseMeshConfig(raw);
    const recorder = await startSimulation({ stack: "test", models: randomModels });
    const provider = new k8s.Provider("east-k8s", { context: "prod-east" });
    new ConsulCluster("east-consul", { mesh, cluster: clusterOf(mesh, "east"), tls: FAKE_TLS }, { provider });
    await settle();
    const services = recorder.ofType(K8S.service).map((r) => r.name);
    assert.deepEqual(services.sort(), ["east-consul-api", "east-consul-headless", "east-consul-service"]);
  });
});
