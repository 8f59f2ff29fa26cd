/** consul-esm's config, split like the agent's: `esm.json` (no secrets) and `token.json` (its ACL token). */
import type { MeshCluster } from "../model";
import { consulServerTlsName } from "../model";
import type { JsonObject } from "./agentConfig";
import { ESM_KV_PREFIX, ESM_SERVICE } from "./acl";
import { consulApiHost, consulPorts, esmPaths } from "./names";
import { CONSUL_ESM_METRICS_PORT } from "../model/names";

/**
 * consul-esm serves `/metrics` only when `client_address` is set and `telemetry.prometheus_retention_time` is
 * above zero (hashicorp/consul-esm v0.8.0 agent.go, runHTTP); it keeps each metric for that long after its last
 * update, so it must outlast a few scrape intervals.
 */
export const ESM_PROMETHEUS_RETENTION = "10m";

export function esmConfig(cluster: MeshCluster): JsonObject {
  return {
    log_level: "INFO",
    log_json: true,
    datacenter: cluster.datacenter,
    consul_service: ESM_SERVICE,
    consul_kv_path: ESM_KV_PREFIX,
    http_addr: `https://${consulApiHost(cluster)}:${consulPorts.https}`,
    ca_file: esmPaths.caFile,
    tls_server_name: consulServerTlsName(cluster.datacenter),
    external_node_meta: { "external-node": "true" },
    // Registrations live on one node without an address of its own (consul/registration.ts), so no pings.
    disable_coordinate_updates: true,
    client_address: `0.0.0.0:${CONSUL_ESM_METRICS_PORT}`,
    telemetry: { prometheus_retention_time: ESM_PROMETHEUS_RETENTION, disable_hostname: true },
  };
}

export function esmSecretConfig(token: string): JsonObject {
  return { token };
}
