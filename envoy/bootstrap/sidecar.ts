/** The bootstrap of one service instance's sidecar. */
import { findCluster, findService, type Mesh, type ServiceInstance } from "../../model/mesh";
import { envoyNames } from "../../model/names";
import type { Bootstrap, Cluster } from "../types";
import { adminCluster, localAppCluster, tracingCluster } from "../cluster/static";
import { consulDnsByDefault } from "../cluster/dns";
import { admin, buildBootstrap, fileDynamicResources, staticClusters } from "./bootstrap";
import { INBOUND_CONNECTION_LIMIT, layeredRuntime, overloadManager } from "./overload";

export function sidecarBootstrap(mesh: Mesh, instance: ServiceInstance): Bootstrap {
  const service = findService(mesh, instance.service);
  const tracing = tracingCluster(mesh);
  const clusters: Cluster[] = [localAppCluster(mesh, instance), adminCluster(mesh), ...(tracing ? [tracing] : [])];
  return buildBootstrap(
    {
      id: instance.name,
      service: service.name,
      cluster: instance.cluster,
      datacenter: instance.datacenter,
      namespace: mesh.namespace,
    },
    admin(mesh.sidecar.adminPort),
    fileDynamicResources(),
    staticClusters(clusters),
    consulDnsByDefault(findCluster(mesh, instance.cluster)),
    overloadManager(mesh.sidecar.memoryMb),
    // The edge faces clients outside the mesh: it gets the same per-listener connection cap as the inbound.
    layeredRuntime({
      [envoyNames.inboundListener]: INBOUND_CONNECTION_LIMIT,
      ...(service.edge ? { [envoyNames.edgeListener]: INBOUND_CONNECTION_LIMIT } : {}),
    }),
  );
}
