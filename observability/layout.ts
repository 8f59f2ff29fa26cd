/**
 * Names, ports and paths the Prometheus files and the Prometheus component share with the components that run
 * the scraped processes. Changing one here means changing that component too: each says which.
 */
import { MESH_GATEWAY_SERVICE } from "../model/names";

/** Scrape job names. Stable: alert rules and dashboards select on them. */
export const JOBS = {
  sidecar: "envoy-sidecar",
  gateway: "mesh-gateway",
  consulServer: "consul-server",
  consulEsm: "consul-esm",
} as const;
export type JobName = (typeof JOBS)[keyof typeof JOBS];

/** The `service` target label of the non-sidecar jobs. The gateway uses its Consul service name. */
export const JOB_SERVICE_LABEL = {
  gateway: MESH_GATEWAY_SERVICE,
  consulServer: "consul-server",
  consulEsm: "consul-esm",
} as const;

/** consul-esm's metrics path; its port is `CONSUL_ESM_METRICS_PORT` in model/names.ts. */
export const CONSUL_ESM_METRICS_PATH = "/metrics";

/** Prometheus's own listener. */
export const PROMETHEUS_PORT = 9090;

/** Files inside the Prometheus container. */
export const PROMETHEUS_PATHS = {
  configDirectory: "/etc/prometheus/config",
  config: "/etc/prometheus/config/prometheus.yml",
  rules: "/etc/prometheus/config/alerts.yml",
  /** The mesh root CA, which signs (through each cluster's intermediate) the Consul server certificates. Public. */
  caFile: "/etc/prometheus/config/mesh-ca.pem",
  secretsDirectory: "/etc/prometheus/secrets",
  /** The TSDB; the only writable path in the container. */
  data: "/prometheus",
} as const;

/** File name of a cluster's Consul metrics token (least privilege: `agent:read`). */
export function consulTokenFileName(cluster: string): string {
  return `consul-${cluster}.token`;
}

/** Full path of a cluster's Consul metrics token inside the Prometheus container. */
export function consulTokenFile(cluster: string): string {
  return `${PROMETHEUS_PATHS.secretsDirectory}/${consulTokenFileName(cluster)}`;
}

/** Kubernetes pod labels the scrape config selects on (see docs/ARCHITECTURE.md, "Roles"). */
export const ROLE_LABEL = "lucid.mesh/role";
export const SERVICE_LABEL = "lucid.mesh/service";
export const CLUSTER_LABEL = "lucid.mesh/cluster";

/** How Prometheus's Kubernetes discovery spells a pod label in its meta labels (non-word characters become `_`). */
export function podLabelMeta(label: string): string {
  return `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, "_")}`;
}
