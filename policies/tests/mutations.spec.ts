/**
 * Issue 19's gate gaps, each as a single fault injected into a generated resource of the simulated dev stack
 * (Docker) and the simulated prod stack (Kubernetes). The unmutated stacks pass every rule (simulatedStacks.spec.ts);
 * each mutated one must fail the rule that owns the fault, on the resource that carries it.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { optionsFromPackConfig } from "../../simulate/policyRunner";
import { packConfigFor } from "../lib/packConfig";
import type { PackEnvironment } from "../lib/packConfig";
import type { Json } from "../lib/props";
import { simulateStack } from "../../simulate/stack";
import { editEnvoy, named } from "./fixtures/mesh";
import type { ResourceUnderTest } from "../../simulate/policyRunner";
import { fromRecorded, runPack } from "../../simulate/policyRunner";

const PROJECT_DIR = path.resolve(__dirname, "..", "..");

async function stackResources(stack: PackEnvironment): Promise<ResourceUnderTest[]> {
  const simulated = await simulateStack(PROJECT_DIR, stack);
  return [
    ...simulated.recorder.resources.map(fromRecorded),
    { type: "pulumi:pulumi:Stack", name: `lucid-mesh-${stack}`, props: simulated.outputs },
  ];
}

type Platform = "docker" | "kubernetes";
const STACK_OF: Record<Platform, PackEnvironment> = { docker: "dev", kubernetes: "prod" };

function labels(r: ResourceUnderTest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of (r.props.labels as Array<{ label: string; value: string }> | undefined) ?? []) out[l.label] = l.value;
  Object.assign(out, (r.props.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {});
  return out;
}

/** East's `service` resource of a Docker type or Kubernetes type with the given role. */
function withRole(resources: ResourceUnderTest[], type: string, role: string, service: string): ResourceUnderTest {
  const found = resources.find((r) => {
    const l = labels(r);
    return (
      r.type === type &&
      l["lucid.mesh/role"] === role &&
      l["lucid.mesh/service"] === service &&
      l["lucid.mesh/cluster"] === "east"
    );
  });
  assert.ok(found, `no ${type} with role ${role} for ${service}`);
  return found;
}

/**
 * The resource carrying east's sidecar Envoy config of `service` (role `envoy-config`): the container that writes
 * it into the sidecar's volumes on Docker, the ConfigMap on Kubernetes.
 */
function sidecarOf(resources: ResourceUnderTest[], platform: Platform, service: string): ResourceUnderTest {
  const type = platform === "docker" ? "docker:index/container:Container" : "kubernetes:core/v1:ConfigMap";
  return withRole(resources, type, "envoy-config", service);
}

/** East's sidecar workload of `service`: the Envoy container on Docker, the Deployment (patch) on Kubernetes. */
function workloadOf(resources: ResourceUnderTest[], platform: Platform, service: string): ResourceUnderTest {
  if (platform === "docker") return withRole(resources, "docker:index/container:Container", "sidecar", service);
  const found = resources.find((r) => {
    if (!r.type.startsWith("kubernetes:apps/v1:Deployment")) return false;
    const template = (r.props.spec as { template?: { metadata?: { labels?: Record<string, string> } } }).template;
    const l = template?.metadata?.labels ?? {};
    return l["lucid.mesh/service"] === service && l["lucid.mesh/cluster"] === "east";
  });
  assert.ok(found, `no Kubernetes workload for ${service}`);
  return found;
}

interface PodSpec {
  volumes?: Json[];
  hostNetwork?: boolean;
  containers: Array<{ securityContext?: Json }>;
}

function podSpec(workload: ResourceUnderTest): PodSpec {
  return (workload.props.spec as { template: { spec: PodSpec } }).template.spec;
}

/** The secret files of east's `service` sidecar: the container's uploads, or the certs Secret's stringData. */
function secretFiles(resources: ResourceUnderTest[], platform: Platform, service: string): Record<string, string> {
  if (platform === "docker") {
    const out: Record<string, string> = {};
    for (const u of sidecarOf(resources, platform, service).props.uploads as Array<{ file: string; content: string }>)
      if (u.file.startsWith("/etc/envoy-secrets/")) out[u.file.slice("/etc/envoy-secrets/".length)] = u.content;
    return out;
  }
  const secret = resources.find(
    (r) =>
      r.type === "kubernetes:core/v1:Secret" &&
      labels(r)["lucid.mesh/role"] === "sidecar" &&
      labels(r)["lucid.mesh/service"] === service &&
      labels(r)["lucid.mesh/cluster"] === "east",
  );
  assert.ok(secret, `no certs Secret for ${service}`);
  return secret.props.stringData as Record<string, string>;
}

function inboundHttpFilters(document: Json): Json[] {
  const chain = (named(document, "inbound").filter_chains as Json[])[0] as Json;
  const manager = (chain.filters as Json[]).find((f) => f.name === "envoy.filters.network.http_connection_manager")!;
  return (manager.typed_config as Json).http_filters as Json[];
}

function rbacPrincipals(document: Json): Json[] {
  const rbac = inboundHttpFilters(document).find((f) => f.name === "envoy.filters.http.rbac")!;
  const policies = ((rbac.typed_config as Json).rules as Json).policies as Record<string, Json>;
  return (policies.allowed_sources ??= { permissions: [{ any: true }], principals: [] }).principals as Json[];
}

function upstreamValidation(document: Json): Json {
  const cluster = named(document, "upstream_blockchain-core");
  const common = ((cluster.transport_socket as Json).typed_config as Json).common_tls_context as Json;
  return (common.combined_validation_context as Json).default_validation_context as Json;
}

function setListenerFile(r: ResourceUnderTest, text: string): void {
  if (r.type === "kubernetes:core/v1:ConfigMap") (r.props.data as Record<string, string>)["listener.yaml"] = text;
  else
    (r.props.uploads as Array<{ file: string; content: string }>).find(
      (u) => u.file === "/etc/envoy/listener.yaml",
    )!.content = text;
}

function editConsulServer(resources: ResourceUnderTest[], platform: Platform, edit: (server: Json) => void) {
  const target = resources.find((r) =>
    platform === "docker"
      ? r.type === "docker:index/container:Container" && labels(r)["lucid.mesh/role"] === "consul-config"
      : r.type === "kubernetes:core/v1:ConfigMap" && (r.props.data as Record<string, string>)?.["server.json"],
  );
  assert.ok(target, "no Consul server config");
  if (platform === "docker") {
    const upload = (target.props.uploads as Array<{ file: string; content: string }>).find((u) =>
      u.file.endsWith("/server.json"),
    )!;
    const server = JSON.parse(upload.content) as Json;
    edit(server);
    upload.content = JSON.stringify(server);
  } else {
    const data = target.props.data as Record<string, string>;
    const server = JSON.parse(data["server.json"]!) as Json;
    edit(server);
    data["server.json"] = JSON.stringify(server);
  }
  return target;
}

interface Mutation {
  readonly name: string;
  readonly policy: string | ((platform: Platform) => string);
  /** Injects the fault; returns the resource that now carries it. */
  readonly apply: (resources: ResourceUnderTest[], platform: Platform) => ResourceUnderTest;
}

const MUTATIONS: readonly Mutation[] = [
  {
    name: "mTLS: transport_socket_matches kept, default transport_socket removed",
    policy: "lucid-envoy-mtls-required",
    apply: (rs, p) =>
      editEnvoy(sidecarOf(rs, p, "api-gateway"), "cluster.yaml", (d) => {
        const cluster = named(d, "upstream_blockchain-core");
        assert.ok(cluster.transport_socket_matches, "the cluster has transport_socket_matches");
        delete cluster.transport_socket;
      }),
  },
  {
    name: "mTLS: upstream SAN matcher is a prefix of the trust domain",
    policy: "lucid-envoy-mtls-required",
    apply: (rs, p) =>
      editEnvoy(sidecarOf(rs, p, "api-gateway"), "cluster.yaml", (d) => {
        upstreamValidation(d).match_typed_subject_alt_names = [
          { san_type: "URI", matcher: { prefix: "spiffe://lucid.mesh/" } },
        ];
      }),
  },
  {
    name: "mTLS: trust_chain_verification ACCEPT_UNTRUSTED on the inbound listener",
    policy: "lucid-envoy-mtls-required",
    apply: (rs, p) =>
      editEnvoy(sidecarOf(rs, p, "blockchain-core"), "listener.yaml", (d) => {
        const chain = (named(d, "inbound").filter_chains as Json[])[0] as Json;
        const common = ((chain.transport_socket as Json).typed_config as Json).common_tls_context as Json;
        // validation_context_type is a oneof: the SDS bundle moves into a combined context beside the override.
        common.combined_validation_context = {
          default_validation_context: { trust_chain_verification: "ACCEPT_UNTRUSTED" },
          validation_context_sds_secret_config: common.validation_context_sds_secret_config,
        };
        delete common.validation_context_sds_secret_config;
      }),
  },
  {
    name: "mTLS: trust_chain_verification ACCEPT_UNTRUSTED on an upstream",
    policy: "lucid-envoy-mtls-required",
    apply: (rs, p) =>
      editEnvoy(sidecarOf(rs, p, "api-gateway"), "cluster.yaml", (d) => {
        upstreamValidation(d).trust_chain_verification = "ACCEPT_UNTRUSTED";
      }),
  },
  {
    name: "mTLS: a second plaintext listener on a public address next to the mTLS one",
    policy: "lucid-envoy-mtls-required",
    apply: (rs, p) =>
      editEnvoy(sidecarOf(rs, p, "blockchain-core"), "listener.yaml", (d) => {
        const copy = structuredClone(named(d, "inbound"));
        copy.name = "inbound_plaintext";
        copy.address = { socket_address: { address: "0.0.0.0", port_value: 15002 } };
        for (const chain of copy.filter_chains as Json[]) delete chain.transport_socket;
        (d.resources as Json[]).push(copy);
      }),
  },
  {
    name: "RBAC: a principal given as a prefix of the trust domain",
    policy: "lucid-envoy-rbac-default-deny",
    apply: (rs, p) =>
      editEnvoy(sidecarOf(rs, p, "blockchain-core"), "listener.yaml", (d) => {
        const principals = rbacPrincipals(d);
        principals.splice(0, principals.length, {
          authenticated: { principal_name: { prefix: "spiffe://lucid.mesh/" } },
        });
      }),
  },
  {
    name: "RBAC: an exact in-domain principal no intention allows",
    policy: "lucid-envoy-rbac-matches-intentions",
    apply: (rs, p) =>
      editEnvoy(sidecarOf(rs, p, "blockchain-core"), "listener.yaml", (d) => {
        rbacPrincipals(d).push({
          authenticated: { principal_name: { exact: "spiffe://lucid.mesh/ns/lucid/dc/east/svc/session-recorder" } },
        });
      }),
  },
  {
    name: "Rate limit: local_ratelimit placed after the router",
    policy: "lucid-envoy-rate-limits-set",
    apply: (rs, p) =>
      editEnvoy(sidecarOf(rs, p, "blockchain-core"), "listener.yaml", (d) => {
        const filters = inboundHttpFilters(d);
        const index = filters.findIndex((f) => f.name === "envoy.filters.http.local_ratelimit");
        const [limit] = filters.splice(index, 1);
        filters.push(limit!);
      }),
  },
  {
    name: "Admin: the metrics listener routes every admin path on a public address",
    policy: "lucid-envoy-admin-loopback",
    apply: (rs, p) =>
      editEnvoy(sidecarOf(rs, p, "blockchain-core"), "listener.yaml", (d) => {
        const chain = (named(d, "prometheus").filter_chains as Json[])[0] as Json;
        const manager = (chain.filters as Json[])[0]!.typed_config as Json;
        const host = ((manager.route_config as Json).virtual_hosts as Json[])[0] as Json;
        host.routes = [{ match: { prefix: "/" }, route: { cluster: "self_admin" } }];
      }),
  },
  {
    name: "Consul: plaintext HTTP API turned on (ports.http)",
    policy: "lucid-consul-hardening",
    apply: (rs, p) =>
      editConsulServer(rs, p, (server) => {
        (server.ports as Json).http = 8500;
      }),
  },
  {
    name: "Identity: the sidecar mounts another service's leaf",
    policy: "lucid-pki-leaf-matches-workload",
    apply: (rs, p) => {
      const other = secretFiles(rs, p, "blockchain-core");
      if (p === "docker") {
        const sidecar = sidecarOf(rs, p, "api-gateway");
        for (const upload of sidecar.props.uploads as Array<{ file: string; content: string }>) {
          const file = upload.file.slice("/etc/envoy-secrets/".length);
          if (file === "certificate.yaml") upload.content = other[file]!;
        }
        return sidecar;
      }
      const own = secretFiles(rs, p, "api-gateway");
      own["certificate.yaml"] = other["certificate.yaml"]!;
      // Reported on the Deployment that mounts the Secret (and on the Secret, by its service label).
      return workloadOf(rs, p, "api-gateway");
    },
  },
  {
    name: "Workloads: the Docker socket mounted from the host",
    policy: (p) => (p === "docker" ? "lucid-workloads-docker-security" : "lucid-workloads-pod-security"),
    apply: (rs, p) => {
      const workload = workloadOf(rs, p, "blockchain-core");
      if (p === "docker") {
        workload.props.volumes = [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }];
      } else {
        const spec = podSpec(workload);
        spec.volumes = [...(spec.volumes ?? []), { name: "docker", hostPath: { path: "/var/run/docker.sock" } }];
      }
      return workload;
    },
  },
  {
    name: "Workloads: a privileged container",
    policy: (p) => (p === "docker" ? "lucid-workloads-docker-security" : "lucid-workloads-pod-security"),
    apply: (rs, p) => {
      const workload = workloadOf(rs, p, "blockchain-core");
      if (p === "docker") workload.props.privileged = true;
      else podSpec(workload).containers[0]!.securityContext!.privileged = true;
      return workload;
    },
  },
  {
    name: "Workloads: the host network",
    policy: (p) => (p === "docker" ? "lucid-workloads-docker-security" : "lucid-workloads-pod-security"),
    apply: (rs, p) => {
      const workload = workloadOf(rs, p, "blockchain-core");
      if (p === "docker") workload.props.networkMode = "host";
      else podSpec(workload).hostNetwork = true;
      return workload;
    },
  },
  {
    name: "Empty config: the sidecar's listener file holds no listeners",
    policy: "lucid-envoy-mtls-required",
    apply: (rs, p) => {
      const sidecar = sidecarOf(rs, p, "blockchain-core");
      setListenerFile(sidecar, "resources: []\n");
      return sidecar;
    },
  },
  {
    name: "Empty config: the sidecar's listener file is empty",
    policy: "lucid-envoy-rbac-default-deny",
    apply: (rs, p) => {
      const sidecar = sidecarOf(rs, p, "blockchain-core");
      setListenerFile(sidecar, "");
      return sidecar;
    },
  },
];

describe("issue 19: the gate rejects every single fault, on a Docker and a Kubernetes plan", function () {
  this.timeout(300_000);
  const plans: Partial<Record<PackEnvironment, ResourceUnderTest[]>> = {};

  before(async () => {
    // One simulation at a time: the mocks are process-global.
    plans.dev = await stackResources("dev");
    plans.prod = await stackResources("prod");
  });

  for (const platform of ["docker", "kubernetes"] as const) {
    const environment = STACK_OF[platform];
    const options = optionsFromPackConfig(packConfigFor(environment));

    it(`${platform}: the unmutated ${environment} plan passes every rule`, async () => {
      const violations = await runPack(plans[environment] ?? [], options);
      assert.deepEqual(
        violations.map((v) => `${v.policy} ${v.urn ?? ""}: ${v.message}`),
        [],
      );
    });

    for (const mutation of MUTATIONS) {
      it(`${platform}: ${mutation.name}`, async () => {
        const resources = structuredClone(plans[environment] ?? []);
        const target = mutation.apply(resources, platform);
        const policy = typeof mutation.policy === "string" ? mutation.policy : mutation.policy(platform);
        const violations = await runPack(resources, options);
        const hits = violations.filter((v) => v.policy === policy && v.urn === target.urn);
        assert.ok(
          hits.length > 0,
          `${policy} did not reject ${target.name}; violations: ${JSON.stringify(violations, null, 1)}`,
        );
        // prod enforces every one of them.
        if (environment === "prod") assert.ok(hits.every((v) => v.level === "mandatory"));
      });
    }
  }
});
