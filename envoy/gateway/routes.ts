/**
 * What a cluster's mesh gateway routes, by SNI. Inbound: SNI of services this cluster exports, in its own
 * datacenter, to local instances. Outbound: SNI this cluster's sidecars send for services in another datacenter,
 * to that cluster's gateway. Nothing else matches, so the gateway is no open relay.
 */
import {
  compareStrings,
  exportedServices,
  findCluster,
  serviceSni,
  servicesInCluster,
  upstreamPlacement,
  type Mesh,
} from "../../model/mesh";

export interface LocalRoute {
  readonly service: string;
  readonly sni: string;
}

export interface RemoteRoute {
  readonly cluster: string;
  /** Sorted SNI names, one per service reached through that cluster. */
  readonly serverNames: readonly string[];
}

export function localRoutes(mesh: Mesh, cluster: string): LocalRoute[] {
  const dc = findCluster(mesh, cluster).datacenter;
  return exportedServices(mesh, cluster).map((s) => ({ service: s.name, sni: serviceSni(mesh, s.name, dc) }));
}

export function remoteRoutes(mesh: Mesh, cluster: string): RemoteRoute[] {
  const upstreams = new Set(servicesInCluster(mesh, cluster).flatMap((s) => s.upstreams.map((u) => u.service)));
  const byCluster = new Map<string, Set<string>>();
  for (const upstream of upstreams) {
    for (const remote of upstreamPlacement(mesh, cluster, upstream).remoteClusters) {
      const names = byCluster.get(remote) ?? new Set<string>();
      names.add(serviceSni(mesh, upstream, findCluster(mesh, remote).datacenter));
      byCluster.set(remote, names);
    }
  }
  return mesh.clusters
    .filter((c) => byCluster.has(c.name))
    .map((c) => ({ cluster: c.name, serverNames: [...(byCluster.get(c.name) ?? [])].sort(compareStrings) }));
}
