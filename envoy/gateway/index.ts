/** One cluster's mesh gateway: bootstrap, LDS and CDS. */
import type { Mesh } from "../../model/mesh";
import { prometheusListener } from "../listener/prometheus";
import { discoveryFile } from "../resources";
import { configFiles, type EnvoyConfigObjects } from "../sidecar";
import { gatewayBootstrap } from "./bootstrap";
import { gatewayClusters } from "./clusters";
import { gatewayListener } from "./listener";

export function gatewayConfig(mesh: Mesh, cluster: string): EnvoyConfigObjects {
  const listener = gatewayListener(mesh, cluster);
  return {
    bootstrap: gatewayBootstrap(mesh, cluster),
    listeners: discoveryFile([
      ...(listener ? [listener] : []),
      ...(mesh.observability.metrics ? [prometheusListener(mesh.sidecar.metricsPort)] : []),
    ]),
    clusters: discoveryFile(gatewayClusters(mesh, cluster)),
  };
}

export function gatewayFiles(mesh: Mesh, cluster: string): Record<string, string> {
  return configFiles(gatewayConfig(mesh, cluster));
}

export { gatewayBootstrap, gatewayClusters, gatewayListener };
export { gatewayFilterChains } from "./listener";
export { localRoutes, remoteRoutes } from "./routes";
