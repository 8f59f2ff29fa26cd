/**
 * Prometheus scrape configuration for the mesh: every sidecar's and gateway's Envoy metrics listener
 * (`:<sidecar.metricsPort>/stats/prometheus`), every Consul server's `/v1/agent/metrics` over HTTPS, and consul-esm.
 *
 * One Prometheus watches one "scope":
 * - Docker: all Docker clusters together. The container joins every cluster network, so targets are static and
 *   named by container (the app container's name is the sidecar's DNS name: they share a network namespace).
 * - Kubernetes: one Prometheus per cluster (pod IPs do not route between clusters). Targets come from
 *   `kubernetes_sd_configs` (role `pod`, the mesh namespace only), kept by the `lucid.mesh/role` pod label and the
 *   container port, so pods that come and go are followed without a `pulumi up`.
 *
 * Every target carries `cluster`, `datacenter` and `service` labels. Credentials are only ever referenced by file
 * (`authorization.credentials_file`); nothing secret is written into this config.
 */
import type { Mesh, MeshCluster } from "../model/mesh";
import { instancesInCluster, servicesInCluster } from "../model/mesh";
import {
  CONSUL_ESM_METRICS_PORT,
  consulPorts,
  consulServerTlsName,
  DOCKER_METRICS_SCOPE,
  dockerConsulEsmContainerName,
  dockerGatewayContainerName,
  envoyNames,
} from "../model/names";
import {
  CLUSTER_LABEL,
  CONSUL_ESM_METRICS_PATH,
  JOB_SERVICE_LABEL,
  JOBS,
  PROMETHEUS_PATHS,
  ROLE_LABEL,
  SERVICE_LABEL,
  consulTokenFile,
  podLabelMeta,
} from "./layout";
import { toYaml } from "../model/yaml";

/** Envoy serves Prometheus text here on the metrics listener (see docs/ARCHITECTURE.md; envoyNames.prometheusListener). */
export const ENVOY_METRICS_PATH = "/stats/prometheus";
export const CONSUL_METRICS_PATH = "/v1/agent/metrics";

export interface StaticConfig {
  readonly targets: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/** A subset of Prometheus's `<relabel_config>`: what this file uses. */
export interface RelabelConfig {
  readonly source_labels?: readonly string[];
  readonly regex?: string;
  readonly action: "keep" | "drop" | "replace";
  readonly target_label?: string;
  readonly replacement?: string;
}

export interface KubernetesSdConfig {
  readonly role: "pod";
  readonly namespaces: { readonly names: readonly string[] };
}

export interface ScrapeConfig {
  readonly job_name: string;
  readonly scheme: "http" | "https";
  readonly metrics_path: string;
  readonly params?: Readonly<Record<string, readonly string[]>>;
  readonly honor_labels?: boolean;
  readonly authorization?: { readonly type: "Bearer"; readonly credentials_file: string };
  readonly tls_config?: { readonly ca_file: string; readonly server_name: string };
  readonly static_configs?: readonly StaticConfig[];
  readonly kubernetes_sd_configs?: readonly KubernetesSdConfig[];
  readonly relabel_configs?: readonly RelabelConfig[];
}

export interface PrometheusConfig {
  readonly global: {
    readonly scrape_interval: string;
    readonly scrape_timeout: string;
    readonly evaluation_interval: string;
    readonly external_labels: Readonly<Record<string, string>>;
  };
  readonly rule_files: readonly string[];
  readonly scrape_configs: readonly ScrapeConfig[];
}

/**
 * The clusters one Prometheus watches, and how it finds their targets (each cluster's
 * `addresses.metricsDiscovery`): static targets, or pod discovery in one cluster's namespace.
 */
export type PrometheusScope =
  | {
      /** `docker` for the Docker clusters. */
      readonly name: string;
      readonly discovery: "static";
      readonly clusters: readonly MeshCluster[];
    }
  | {
      /** The cluster's name. */
      readonly name: string;
      readonly discovery: "kubernetes-pods";
      readonly namespace: string;
      readonly clusters: readonly [MeshCluster];
    };

/** The scope of the Docker clusters, defined in the model. */
export const DOCKER_SCOPE = DOCKER_METRICS_SCOPE;

/** The Prometheus deployments a mesh needs: one per static scope (all Docker clusters), one per pod-discovery cluster. */
export function prometheusScopes(mesh: Mesh): PrometheusScope[] {
  const shared = new Map<string, MeshCluster[]>();
  const own: PrometheusScope[] = [];
  for (const cluster of mesh.clusters) {
    const discovery = cluster.addresses.metricsDiscovery;
    if (discovery.kind === "static") {
      shared.set(discovery.scope, [...(shared.get(discovery.scope) ?? []), cluster]);
    } else {
      own.push({ name: cluster.name, discovery: discovery.kind, namespace: discovery.namespace, clusters: [cluster] });
    }
  }
  const statics = [...shared].map(([name, clusters]): PrometheusScope => ({ name, discovery: "static", clusters }));
  return [...statics, ...own];
}

/** Finds a scope by name, or the only scope when no name is given. */
export function findScope(mesh: Mesh, name?: string): PrometheusScope {
  const scopes = prometheusScopes(mesh);
  if (name === undefined) {
    const [only, ...rest] = scopes;
    if (!only || rest.length > 0) {
      throw new Error(
        `the mesh needs ${scopes.length} Prometheus scopes (${scopes.map((s) => s.name).join(", ")}); name one`,
      );
    }
    return only;
  }
  const scope = scopes.find((s) => s.name === name);
  if (!scope) throw new Error(`unknown Prometheus scope "${name}" (known: ${scopes.map((s) => s.name).join(", ")})`);
  return scope;
}

function clusterLabels(cluster: MeshCluster, service: string): Record<string, string> {
  return { cluster: cluster.name, datacenter: cluster.datacenter, service };
}

const consulTls = (cluster: MeshCluster): ScrapeConfig["tls_config"] => ({
  ca_file: PROMETHEUS_PATHS.caFile,
  // Consul's server certificates carry server.<dc>.consul (verify_server_hostname); checking that name works for
  // any address we reach the server on.
  server_name: consulServerTlsName(cluster.datacenter),
});

const consulAuthorization = (cluster: MeshCluster): ScrapeConfig["authorization"] => ({
  type: "Bearer",
  credentials_file: consulTokenFile(cluster.name),
});

/** What every Consul server job shares, whatever discovers its targets: HTTPS, the mesh CA, a token from a file. */
const consulServerJob = (cluster: MeshCluster): ScrapeConfig => ({
  job_name: consulServerJobName(cluster.name),
  scheme: "https",
  metrics_path: CONSUL_METRICS_PATH,
  params: { format: ["prometheus"] },
  honor_labels: true,
  authorization: consulAuthorization(cluster),
  tls_config: consulTls(cluster),
});

/**
 * Consul servers get one scrape config per cluster (each has its own token and TLS server name, and both are
 * per-scrape-config settings), so the job name carries the cluster; a relabel gives every one the same `job`.
 * `honor_labels` keeps the `service` label Consul puts on per-service metrics such as
 * consul_health_service_not_found; series without one get the target's `service="consul-server"`.
 */
function consulServerJobName(cluster: string): string {
  return `${JOBS.consulServer}-${cluster}`;
}
const sameJobLabel: RelabelConfig = { action: "replace", target_label: "job", replacement: JOBS.consulServer };

// ---- Docker: static targets by container name or fixed address ----

function dockerScrapeConfigs(mesh: Mesh, clusters: readonly MeshCluster[]): ScrapeConfig[] {
  const metricsPort = mesh.sidecar.metricsPort;
  const sidecarGroups: StaticConfig[] = clusters.flatMap((cluster) =>
    servicesInCluster(mesh, cluster.name).map((service) => ({
      targets: instancesInCluster(mesh, cluster.name)
        .filter((i) => i.service === service.name)
        .map((i) => `${i.name}:${metricsPort}`),
      labels: clusterLabels(cluster, service.name),
    })),
  );
  const gatewayGroups: StaticConfig[] = clusters.map((cluster) => ({
    // Docker runs one gateway container per cluster, whatever gateway.replicas says (that is for Kubernetes).
    targets: [`${dockerGatewayContainerName(cluster.name)}:${metricsPort}`],
    labels: clusterLabels(cluster, JOB_SERVICE_LABEL.gateway),
  }));
  const consulServers: ScrapeConfig[] = clusters.map((cluster) => ({
    ...consulServerJob(cluster),
    static_configs: [
      {
        targets: cluster.addresses.consulServerHosts.map((a) => `${a}:${consulPorts.https}`),
        labels: clusterLabels(cluster, JOB_SERVICE_LABEL.consulServer),
      },
    ],
    relabel_configs: [sameJobLabel],
  }));
  return [
    { job_name: JOBS.sidecar, scheme: "http", metrics_path: ENVOY_METRICS_PATH, static_configs: sidecarGroups },
    { job_name: JOBS.gateway, scheme: "http", metrics_path: ENVOY_METRICS_PATH, static_configs: gatewayGroups },
    ...consulServers,
    {
      job_name: JOBS.consulEsm,
      scheme: "http",
      metrics_path: CONSUL_ESM_METRICS_PATH,
      static_configs: clusters.map((cluster) => ({
        targets: [`${dockerConsulEsmContainerName(cluster.name)}:${CONSUL_ESM_METRICS_PORT}`],
        labels: clusterLabels(cluster, JOB_SERVICE_LABEL.consulEsm),
      })),
    },
  ];
}

// ---- Kubernetes: pod discovery in the mesh namespace, kept by role label and container port ----

/** Relabel rules that keep one role's pods on one port and set the target labels. */
export function podRelabeling(cluster: MeshCluster, role: string, port: number, service?: string): RelabelConfig[] {
  return [
    { action: "keep", source_labels: [podLabelMeta(ROLE_LABEL)], regex: escapeRegex(role) },
    { action: "keep", source_labels: ["__meta_kubernetes_pod_container_port_number"], regex: String(port) },
    // A finished pod keeps its IP in the API for a while; it is not a target.
    { action: "drop", source_labels: ["__meta_kubernetes_pod_phase"], regex: "Succeeded|Failed" },
    // Only pods this cluster's mesh labelled (a namespace could be shared).
    { action: "keep", source_labels: [podLabelMeta(CLUSTER_LABEL)], regex: escapeRegex(cluster.name) },
    service === undefined
      ? { action: "replace", source_labels: [podLabelMeta(SERVICE_LABEL)], target_label: "service" }
      : { action: "replace", target_label: "service", replacement: service },
    { action: "replace", target_label: "cluster", replacement: cluster.name },
    { action: "replace", target_label: "datacenter", replacement: cluster.datacenter },
    { action: "replace", source_labels: ["__meta_kubernetes_pod_name"], target_label: "instance" },
    { action: "replace", source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
  ];
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function kubernetesScrapeConfigs(mesh: Mesh, cluster: MeshCluster, namespace: string): ScrapeConfig[] {
  const sd: KubernetesSdConfig[] = [{ role: "pod", namespaces: { names: [namespace] } }];
  const metricsPort = mesh.sidecar.metricsPort;
  return [
    {
      job_name: JOBS.sidecar,
      scheme: "http",
      metrics_path: ENVOY_METRICS_PATH,
      kubernetes_sd_configs: sd,
      relabel_configs: podRelabeling(cluster, "sidecar", metricsPort),
    },
    {
      job_name: JOBS.gateway,
      scheme: "http",
      metrics_path: ENVOY_METRICS_PATH,
      kubernetes_sd_configs: sd,
      relabel_configs: podRelabeling(cluster, "gateway", metricsPort, JOB_SERVICE_LABEL.gateway),
    },
    {
      ...consulServerJob(cluster),
      kubernetes_sd_configs: sd,
      relabel_configs: [
        ...podRelabeling(cluster, "consul-server", consulPorts.https, JOB_SERVICE_LABEL.consulServer),
        sameJobLabel,
      ],
    },
    {
      job_name: JOBS.consulEsm,
      scheme: "http",
      metrics_path: CONSUL_ESM_METRICS_PATH,
      kubernetes_sd_configs: sd,
      relabel_configs: podRelabeling(cluster, "consul-esm", CONSUL_ESM_METRICS_PORT, JOB_SERVICE_LABEL.consulEsm),
    },
  ];
}

/**
 * The Prometheus configuration for one scope (see `prometheusScopes`). With no scope named the mesh must have
 * exactly one, which is the case for the Docker stacks.
 */
export function prometheusConfig(mesh: Mesh, scopeName?: string): PrometheusConfig {
  const scope = findScope(mesh, scopeName);
  const scrapeConfigs =
    scope.discovery === "static"
      ? dockerScrapeConfigs(mesh, scope.clusters)
      : kubernetesScrapeConfigs(mesh, scope.clusters[0], scope.namespace);
  return {
    global: {
      scrape_interval: "15s",
      scrape_timeout: "10s",
      evaluation_interval: "15s",
      external_labels: { mesh: mesh.trustDomain, prometheus: scope.name },
    },
    rule_files: [PROMETHEUS_PATHS.rules],
    scrape_configs: scrapeConfigs,
  };
}

/** `prometheusConfig` as the YAML Prometheus reads: sorted keys, byte-for-byte stable. */
export function prometheusConfigYaml(mesh: Mesh, scopeName?: string): string {
  return toYaml(prometheusConfig(mesh, scopeName));
}

/** The Envoy listener whose HTTP stats the error-ratio alert reads (its HCM `stat_prefix`). */
export const INBOUND_STAT_PREFIX = envoyNames.inboundListener;
