/**
 * Fixed names, paths and ports of the Consul deployment. Components and tests read these; none works a path or a
 * name out inline.
 */
import type { MeshCluster } from "../model";

/** Defined in the model, beside the other cross-component contracts. */
export { consulPorts } from "../model/names";

/** Paths inside a server container (the official image's layout). */
export const consulPaths = {
  configDir: "/consul/config",
  dataDir: "/consul/data",
  tlsDir: "/consul/tls",
  /** Non-secret agent config: a ConfigMap key on Kubernetes. */
  serverConfig: "server.json",
  /** Gossip key and agent tokens: a Secret key on Kubernetes, a secret upload on Docker. */
  secretsConfig: "secrets.json",
  /** `auto_reload_config`: Consul reloads its config directory and TLS files when they change. */
  autoReloadConfig: "auto-reload.json",
  caFile: "ca.pem",
  certFile: "server.pem",
  keyFile: "server-key.pem",
} as const;

/** consul-esm's config directory: `esm.json` (no secrets) and `token.json` (its ACL token). */
export const esmPaths = {
  configDir: "/consul-esm/config",
  config: "esm.json",
  token: "token.json",
  caFile: "/consul-esm/tls/ca.pem",
} as const;

/**
 * Pinned consul-esm image. 0.8.0 is the release that added admin-partition support (hashicorp/consul-esm#284);
 * the tag could not be checked against the registry offline.
 */
export const CONSUL_ESM_IMAGE = "hashicorp/consul-esm:0.8.0";

/** The consul user and group of the official images (uid 100, gid 1000). */
export const CONSUL_UID = 100;
export const CONSUL_GID = 1000;

/** Kubernetes object names inside the cluster's namespace, defined in the model (its address plan uses them). */
export { consulK8sNames } from "../model/names";

/** Node name of server `index` (0-based). Kubernetes: the StatefulSet pod name. Docker: the container hostname. */
export function consulServerNodeName(cluster: MeshCluster, index: number): string {
  return `${consulServerNodePrefix(cluster)}${index}`;
}

/** Prefix every server node name shares: the agent token's node rule is scoped to it. */
export function consulServerNodePrefix(cluster: MeshCluster): string {
  return cluster.addresses.consulServerNodePrefix;
}

/** Docker network of a cluster, defined in the model. */
export { dockerClusterNetworkName } from "../model/names";

/** The external catalog node that holds a cluster's registered services (see consul/registration.ts). */
export function externalNodeName(cluster: MeshCluster): string {
  return `${cluster.name}-external`;
}

/** Address (host) of each server, in index order: what retry_join and consul-esm dial. */
export function consulServerHosts(cluster: MeshCluster): string[] {
  return [...cluster.addresses.consulServerHosts];
}

/** Where clients in the cluster reach the HTTPS API. */
export function consulApiHost(cluster: MeshCluster): string {
  return cluster.addresses.consulApiHost;
}
