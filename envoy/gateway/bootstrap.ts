/** The gateway's bootstrap: the sidecar's, minus the app and tracing clusters. */
import { findCluster, type Mesh } from "../../model/mesh";
import { envoyNames, gatewayNodeId, MESH_GATEWAY_SERVICE } from "../../model/names";
import type { Bootstrap } from "../types";
import { adminCluster } from "../cluster/static";
import { consulDnsByDefault } from "../cluster/dns";
import { admin, buildBootstrap, fileDynamicResources, staticClusters } from "../bootstrap/bootstrap";
import { INBOUND_CONNECTION_LIMIT, layeredRuntime, overloadManager } from "../bootstrap/overload";

export function gatewayBootstrap(mesh: Mesh, cluster: string): Bootstrap {
  const own = findCluster(mesh, cluster);
  return buildBootstrap(
    {
      id: gatewayNodeId(cluster),
      service: MESH_GATEWAY_SERVICE,
      cluster,
      datacenter: own.datacenter,
      namespace: mesh.namespace,
    },
    admin(mesh.sidecar.adminPort),
    fileDynamicResources(),
    staticClusters([adminCluster(mesh)]),
    consulDnsByDefault(own),
    overloadManager(mesh.sidecar.memoryMb),
    layeredRuntime({ [envoyNames.gatewayListener]: INBOUND_CONNECTION_LIMIT }),
  );
}
