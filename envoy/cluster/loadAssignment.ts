/**
 * Endpoints of an upstream: its local instances through Consul DNS at priority 0, and for each other cluster
 * running it the local mesh gateway at priority 1 (priority 0 when there is no local copy). Traffic goes
 * sidecar → local gateway → remote gateway, as in Consul's mesh gateway "local" mode.
 */
import { findCluster, upstreamPlacement, type Mesh, type MeshService } from "../../model/mesh";
import { consulDnsName, MESH_GATEWAY_SERVICE } from "../../model/names";
import type { Configurer } from "../configurer";
import type { Cluster, LocalityLbEndpoints } from "../types";
import { socketAddress } from "../common/address";
import { datacenterMatch, TRANSPORT_SOCKET_MATCH_KEY, type UpstreamSockets } from "./upstreamTls";

/** Gateway endpoints carry match metadata only for a datacenter that is not the cluster's default socket's. */
export function upstreamEndpoints(
  mesh: Mesh,
  fromCluster: string,
  target: MeshService,
  sockets: UpstreamSockets,
): LocalityLbEndpoints[] {
  const placement = upstreamPlacement(mesh, fromCluster, target.name);
  const local = findCluster(mesh, fromCluster);
  const endpoints: LocalityLbEndpoints[] = [];
  if (placement.local) {
    endpoints.push({
      locality: { zone: local.datacenter },
      priority: 0,
      // Every sidecar listens on the same proxy port, so an A record plus this port reaches the inbound listener.
      lb_endpoints: [
        { endpoint: { address: socketAddress(consulDnsName(target.name, local.datacenter), mesh.sidecar.proxyPort) } },
      ],
    });
  }
  for (const remoteName of placement.remoteClusters) {
    const remote = findCluster(mesh, remoteName);
    endpoints.push({
      locality: { zone: remote.datacenter },
      priority: placement.local ? 1 : 0,
      lb_endpoints: [
        {
          endpoint: {
            address: socketAddress(consulDnsName(MESH_GATEWAY_SERVICE, local.datacenter), local.gateway.port),
          },
          ...(sockets.matchedDatacenters.includes(remote.datacenter)
            ? { metadata: { filter_metadata: { [TRANSPORT_SOCKET_MATCH_KEY]: datacenterMatch(remote.datacenter) } } }
            : {}),
        },
      ],
    });
  }
  return endpoints;
}

export function loadAssignment(endpoints: LocalityLbEndpoints[]): Configurer<Cluster> {
  return (cluster) => {
    cluster.load_assignment = { cluster_name: cluster.name, endpoints };
  };
}
