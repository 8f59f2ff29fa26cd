import { strict as assert } from "node:assert";
import { load } from "js-yaml";
import {
  observabilityFiles,
  prometheusConfig,
  prometheusConfigYaml,
  type PrometheusConfig,
  type RelabelConfig,
  type ScrapeConfig,
} from "../../observability";
import { rawStackConfig, stackMesh, type RawCluster, type RawService } from "./helpers";

/** A target as Prometheus ends up with it: address, job and the labels the alerts group by. */
function key(address: string, job: string, labels: Record<string, string | undefined>): string {
  return `${job} ${address} cluster=${labels.cluster} datacenter=${labels.datacenter} service=${labels.service}`;
}

// ---- the expected target set, worked out from the raw stack config (not through the model's helpers) ----

function expectedDockerTargets(): string[] {
  const raw = rawStackConfig("dev") as { clusters: RawCluster[]; services: RawService[] };
  const dc = (c: RawCluster): string => c.datacenter ?? c.name;
  const targets: string[] = [];
  for (const service of raw.services) {
    for (const clusterName of service.clusters) {
      const cluster = raw.clusters.find((c) => c.name === clusterName)!;
      for (let i = 1; i <= (service.instances ?? 1); i++) {
        const labels = { cluster: clusterName, datacenter: dc(cluster), service: service.name };
        targets.push(key(`${clusterName}-${service.name}-${i}:15090`, "envoy-sidecar", labels));
      }
    }
  }
  for (const cluster of raw.clusters) {
    const labels = (service: string) => ({ cluster: cluster.name, datacenter: dc(cluster), service });
    targets.push(key(`${cluster.name}-mesh-gateway:15090`, "mesh-gateway", labels("mesh-gateway")));
    const prefix = cluster.docker!.subnet.replace(/\.0\/24$/, "");
    for (let i = 0; i < (cluster.consul?.servers ?? 3); i++) {
      targets.push(key(`${prefix}.${10 + i}:8501`, "consul-server", labels("consul-server")));
    }
    targets.push(key(`${cluster.name}-consul-esm:8080`, "consul-esm", labels("consul-esm")));
  }
  return targets.sort();
}

function staticTargets(config: PrometheusConfig): string[] {
  return config.scrape_configs
    .flatMap((scrape) =>
      (scrape.static_configs ?? []).flatMap((group) =>
        group.targets.map((t) => {
          const job = applyRelabel({ job: scrape.job_name }, scrape.relabel_configs ?? [])?.job ?? "?";
          return key(t, job, group.labels);
        }),
      ),
    )
    .sort();
}

// ---- Kubernetes: a small model of Prometheus's relabeling, run over pods synthesised from the stack config ----

/** Prometheus's relabel semantics for keep, drop and replace (anchored regex, `;`-joined sources, `$1` default). */
function applyRelabel(
  input: Record<string, string>,
  rules: readonly RelabelConfig[],
): Record<string, string> | undefined {
  const labels = { ...input };
  for (const rule of rules) {
    const source = (rule.source_labels ?? []).map((l) => labels[l] ?? "").join(";");
    const regex = new RegExp(`^(?:${rule.regex ?? "(.*)"})$`);
    const match = regex.exec(source);
    if (rule.action === "keep" && !match) return undefined;
    if (rule.action === "drop" && match) return undefined;
    if (rule.action === "replace" && match && rule.target_label) {
      const value = (rule.replacement ?? "$1").replace(/\$(\d+)/g, (_, n: string) => match[Number(n)] ?? "");
      if (value === "") delete labels[rule.target_label];
      else labels[rule.target_label] = value;
    }
  }
  return labels;
}

interface FakePod {
  name: string;
  ip: string;
  namespace: string;
  phase: string;
  labels: Record<string, string>;
  ports: number[];
}

/** Discovery labels of a pod's targets, as Prometheus's `pod` role produces them: one per container port. */
function discover(pod: FakePod): Array<Record<string, string>> {
  const podLabels: Record<string, string> = {};
  for (const [k, v] of Object.entries(pod.labels)) {
    podLabels[`__meta_kubernetes_pod_label_${k.replace(/[^a-zA-Z0-9_]/g, "_")}`] = v;
  }
  return pod.ports.map((port) => ({
    __address__: `${pod.ip}:${port}`,
    __meta_kubernetes_namespace: pod.namespace,
    __meta_kubernetes_pod_name: pod.name,
    __meta_kubernetes_pod_phase: pod.phase,
    __meta_kubernetes_pod_container_port_number: String(port),
    ...podLabels,
  }));
}

function prodPods(clusterName: string): { pods: FakePod[]; expected: string[] } {
  const raw = rawStackConfig("prod") as { clusters: RawCluster[]; services: RawService[] };
  const cluster = raw.clusters.find((c) => c.name === clusterName)!;
  const namespace = cluster.kubernetes?.namespace ?? "lucid-mesh";
  const dc = cluster.datacenter ?? cluster.name;
  const pods: FakePod[] = [];
  const expected: string[] = [];
  let host = 1;
  const pod = (
    name: string,
    role: string | undefined,
    ports: number[],
    extra: Partial<FakePod> = {},
    service?: string,
  ) => {
    const labels: Record<string, string> = { "lucid.mesh/cluster": clusterName };
    if (role) labels["lucid.mesh/role"] = role;
    if (service) labels["lucid.mesh/service"] = service;
    const made: FakePod = { name, ip: `10.1.0.${host++}`, namespace, phase: "Running", labels, ports, ...extra };
    pods.push(made);
    return made;
  };
  const labels = (service: string) => ({ cluster: clusterName, datacenter: dc, service });
  for (const service of raw.services.filter((s) => s.clusters.includes(clusterName))) {
    for (let i = 1; i <= (service.instances ?? 1); i++) {
      const p = pod(`${service.name}-${i}`, "sidecar", [8080, 15001, 15090], {}, service.name);
      expected.push(key(`${p.ip}:15090`, "envoy-sidecar", labels(service.name)));
    }
  }
  for (let i = 0; i < (cluster.gateway?.replicas ?? 1); i++) {
    const p = pod(`mesh-gateway-${i}`, "gateway", [8443, 15090]);
    expected.push(key(`${p.ip}:15090`, "mesh-gateway", labels("mesh-gateway")));
  }
  for (let i = 0; i < (cluster.consul?.servers ?? 3); i++) {
    const p = pod(`consul-server-${i}`, "consul-server", [8300, 8301, 8500, 8501, 8502, 8600]);
    expected.push(key(`${p.ip}:8501`, "consul-server", labels("consul-server")));
  }
  const esm = pod("consul-esm-0", "consul-esm", [8080]);
  expected.push(key(`${esm.ip}:8080`, "consul-esm", labels("consul-esm")));
  // Decoys: none of these is a target.
  pod("prometheus-0", "prometheus", [9090]);
  pod("unlabelled-envoy", undefined, [15090]);
  pod("finished-sidecar", "sidecar", [15090], { phase: "Succeeded" }, "api-gateway");
  pod("other-cluster-sidecar", "sidecar", [15090], {
    labels: { "lucid.mesh/role": "sidecar", "lucid.mesh/cluster": "elsewhere" },
  });
  return { pods, expected: expected.sort() };
}

function kubernetesTargets(config: PrometheusConfig, pods: FakePod[]): string[] {
  const found: string[] = [];
  for (const scrape of config.scrape_configs) {
    for (const sd of scrape.kubernetes_sd_configs ?? []) {
      for (const pod of pods.filter((p) => sd.namespaces.names.includes(p.namespace))) {
        for (const discovered of discover(pod)) {
          const labels = applyRelabel({ ...discovered, job: scrape.job_name }, scrape.relabel_configs ?? []);
          if (labels) found.push(key(labels.__address__!, labels.job!, labels));
        }
      }
    }
  }
  return found.sort();
}

// ---- secrets never inline ----

const FORBIDDEN_KEYS = new Set(["credentials", "bearer_token", "password", "basic_auth", "key", "client_secret"]);
function inlineSecretProblems(value: unknown, path = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => inlineSecretProblems(v, `${path}[${i}]`));
  if (typeof value === "string") return /PRIVATE KEY/.test(value) ? [`${path}: key material`] : [];
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(FORBIDDEN_KEYS.has(k) ? [`${path}.${k}: inline secret`] : []),
    ...(k === "authorization" && Object.keys(v as object).some((a) => a !== "type" && a !== "credentials_file")
      ? [`${path}.authorization: must only name a credentials_file`]
      : []),
    ...inlineSecretProblems(v, `${path}.${k}`),
  ]);
}

describe("observability: scrape config", () => {
  it("dev (Docker): the static targets are exactly the model's sidecars, gateways, servers and consul-esm", () => {
    assert.deepEqual(staticTargets(prometheusConfig(stackMesh("dev"))), expectedDockerTargets());
  });

  it("dev: more instances in the stack config mean more targets", () => {
    const mesh = stackMesh("dev", (raw) => {
      (raw.services as RawService[]).find((s) => s.name === "session-api")!.instances = 3;
    });
    const targets = staticTargets(prometheusConfig(mesh)).filter((t) => t.includes("service=session-api"));
    assert.equal(targets.length, 6);
    assert.ok(targets.some((t) => t.includes("west-session-api-3:15090")));
  });

  for (const cluster of ["east", "west"]) {
    it(`prod (Kubernetes, ${cluster}): pod discovery and relabeling select exactly the model's processes`, () => {
      const config = prometheusConfig(stackMesh("prod"), cluster);
      assert.equal(staticTargets(config).length, 0);
      const { pods, expected } = prodPods(cluster);
      assert.deepEqual(kubernetesTargets(config, pods), expected);
    });
  }

  it("negative: the relabel check notices a target set that differs from the model", () => {
    const config = prometheusConfig(stackMesh("prod"), "east");
    const { pods, expected } = prodPods("east");
    const extra = { ...pods[0]!, name: "stray", ip: "10.9.9.9" };
    assert.notDeepEqual(kubernetesTargets(config, [...pods, extra]), expected);
    assert.notDeepEqual(staticTargets(prometheusConfig(stackMesh("dev"))), expectedDockerTargets().slice(1));
  });

  it("prod needs one Prometheus per cluster; naming none is an error", () => {
    assert.throws(() => prometheusConfig(stackMesh("prod")), /name one/);
    assert.deepEqual(Object.keys(observabilityFiles(stackMesh("prod"))).sort(), [
      "alerts.yml",
      "east/prometheus.yml",
      "west/prometheus.yml",
    ]);
    assert.deepEqual(Object.keys(observabilityFiles(stackMesh("dev"))).sort(), ["alerts.yml", "prometheus.yml"]);
  });

  for (const stack of ["dev", "prod"] as const) {
    it(`${stack}: Consul is scraped over HTTPS with a token file, a CA file and format=prometheus`, () => {
      for (const [name, text] of Object.entries(observabilityFiles(stackMesh(stack)))) {
        if (!name.endsWith("prometheus.yml")) continue;
        const config = load(text) as { scrape_configs: ScrapeConfig[] };
        const consul = config.scrape_configs.filter((s) => s.job_name.startsWith("consul-server"));
        assert.ok(consul.length > 0);
        for (const scrape of consul) {
          const cluster = scrape.job_name.replace(/^consul-server-/, "");
          assert.equal(scrape.scheme, "https");
          assert.equal(scrape.metrics_path, "/v1/agent/metrics");
          assert.deepEqual(scrape.params, { format: ["prometheus"] });
          assert.deepEqual(scrape.authorization, {
            type: "Bearer",
            credentials_file: `/etc/prometheus/secrets/consul-${cluster}.token`,
          });
          assert.equal(scrape.tls_config?.server_name, `server.${cluster}.consul`);
          assert.ok(scrape.tls_config?.ca_file);
        }
        assert.deepEqual(inlineSecretProblems(config), [], name);
      }
    });
  }

  it("negative: an inline token or key is caught", () => {
    const config = structuredClone(prometheusConfig(stackMesh("dev"))) as unknown as {
      scrape_configs: Array<Record<string, unknown>>;
    };
    config.scrape_configs[2]!.authorization = { type: "Bearer", credentials: "s3cr3t" };
    assert.notDeepEqual(inlineSecretProblems(config), []);
    assert.notDeepEqual(inlineSecretProblems({ bearer_token: "x" }), []);
    assert.notDeepEqual(inlineSecretProblems({ basic_auth: { username: "u", password: "p" } }), []);
    assert.notDeepEqual(inlineSecretProblems({ tls_config: { cert: "-----BEGIN EC PRIVATE KEY-----" } }), []);
  });

  it("is deterministic YAML with sorted keys", () => {
    const a = prometheusConfigYaml(stackMesh("dev"));
    assert.equal(a, prometheusConfigYaml(stackMesh("dev")));
    const topKeys = a
      .split("\n")
      .filter((l) => /^\w/.test(l))
      .map((l) => l.split(":")[0]!);
    assert.deepEqual(topKeys, [...topKeys].sort());
  });
});
