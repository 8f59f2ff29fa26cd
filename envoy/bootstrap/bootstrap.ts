/** bootstrap.yaml: identity, loopback admin, stats tags, overload protection, and where LDS/CDS come from. */
import { envoyFiles } from "../../model/names";
import { applyAll, type Configurer } from "../configurer";
import type { Bootstrap, Cluster } from "../types";
import { LOOPBACK, socketAddress } from "../common/address";
import { adminAccessLog } from "../common/accessLog";
import { pathConfigSource } from "../common/sdsConfig";

/** Who this Envoy is; the same values become fixed stats tags so every metric says where it came from. */
export interface NodeIdentity {
  readonly id: string;
  readonly service: string;
  readonly cluster: string;
  readonly datacenter: string;
  readonly namespace: string;
}

/** The admin interface can drain, quit and dump config: it never binds beyond loopback. */
export function admin(port: number): Configurer<Bootstrap> {
  return (bootstrap) => {
    bootstrap.admin = {
      address: socketAddress(LOOPBACK, port),
      access_log: [adminAccessLog()],
      // Operators can still reach admin when the connection limit bites.
      ignore_global_conn_limit: true,
    };
  };
}

/** File-based LDS and CDS beside the bootstrap; watching the directory picks up ConfigMap symlink swaps. */
export function fileDynamicResources(): Configurer<Bootstrap> {
  return (bootstrap) => {
    bootstrap.dynamic_resources = {
      lds_config: pathConfigSource(envoyFiles.directory, envoyFiles.listeners),
      cds_config: pathConfigSource(envoyFiles.directory, envoyFiles.clusters),
    };
  };
}

export function staticClusters(clusters: readonly Cluster[]): Configurer<Bootstrap> {
  return (bootstrap) => {
    bootstrap.static_resources.clusters.push(...clusters.map(({ "@type": _type, ...cluster }) => cluster));
  };
}

export function buildBootstrap(node: NodeIdentity, ...configurers: Configurer<Bootstrap>[]): Bootstrap {
  const bootstrap = applyAll<Bootstrap>(
    {
      node: {
        id: node.id,
        cluster: node.service,
        metadata: {
          service: node.service,
          cluster: node.cluster,
          datacenter: node.datacenter,
          namespace: node.namespace,
        },
      },
      static_resources: { clusters: [] },
      stats_config: {
        use_all_default_tags: true,
        stats_tags: [
          { tag_name: "service", fixed_value: node.service },
          { tag_name: "cluster", fixed_value: node.cluster },
          { tag_name: "datacenter", fixed_value: node.datacenter },
        ],
      },
    },
    configurers,
  );
  if (!bootstrap.node.id) throw new Error("envoy bootstrap: node id must be set");
  const adminAddress = bootstrap.admin?.address.socket_address.address;
  if (adminAddress !== LOOPBACK) throw new Error(`envoy bootstrap ${node.id}: admin must bind to ${LOOPBACK}`);
  if (!bootstrap.overload_manager) throw new Error(`envoy bootstrap ${node.id}: an overload manager is required`);
  return bootstrap;
}
