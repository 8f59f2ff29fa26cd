/** consul-esm's config, split like the agent's: `esm.json` (no secrets) and `token.json` (its ACL token). */
import type { MeshCluster } from "../model";
import { consulServerTlsName } from "../model";
import type { JsonObject } from "./agentConfig";
import { ESM_KV_PREFIX, ESM_SERVICE } from "./acl";
import { consulApiHost, consulPorts, esmPaths } from "./names";

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
  };
}

export function esmSecretConfig(token: string): JsonObject {
  return { token };
}
