/** The `upstream_<svc>` cluster a sidecar dials for one of its upstreams (CDS). */
import {
  findCluster,
  findService,
  upstreamPlacement,
  type Mesh,
  type MeshUpstream,
  type ServiceInstance,
} from "../../model/mesh";
import { envoyNames } from "../../model/names";
import { buildCluster } from "../builders";
import type { Cluster } from "../types";
import { discovery } from "./basics";
import { circuitBreakers } from "./circuitBreakers";
import { outlierDetection } from "./outlierDetection";
import { dnsRefresh } from "./dns";
import { http2 } from "./http2";
import { upstreamSockets, upstreamTls } from "./upstreamTls";
import { loadAssignment, upstreamEndpoints } from "./loadAssignment";

export function upstreamCluster(mesh: Mesh, instance: ServiceInstance, upstream: MeshUpstream): Cluster {
  const target = findService(mesh, upstream.service);
  const placement = upstreamPlacement(mesh, instance.cluster, target.name);
  const remoteDatacenters = placement.remoteClusters.map((c) => findCluster(mesh, c).datacenter);
  const sockets = upstreamSockets(instance.datacenter, placement.local, remoteDatacenters);
  return buildCluster(
    envoyNames.upstreamCluster(upstream.service),
    discovery("STRICT_DNS", mesh.defaults.connectTimeoutSeconds),
    // Resolved by the bootstrap's resolver, the cluster's Consul DNS (bootstrap/sidecar.ts).
    dnsRefresh(),
    circuitBreakers(mesh.defaults.circuitBreaker),
    outlierDetection(mesh.defaults.outlierDetection),
    upstreamTls(mesh, target, sockets),
    http2(target.protocol),
    loadAssignment(upstreamEndpoints(mesh, instance.cluster, target, sockets)),
  );
}

export function upstreamClusters(mesh: Mesh, instance: ServiceInstance): Cluster[] {
  return findService(mesh, instance.service).upstreams.map((u) => upstreamCluster(mesh, instance, u));
}
