/**
 * Every listener of one sidecar, in a fixed order: inbound, edge (edge services only), health, prometheus, then
 * outbound by upstream name.
 */
import { findService, type Mesh, type ServiceInstance } from "../../model/mesh";
import type { Listener } from "../types";
import { healthListener } from "./health";
import { edgeListenerFor } from "./edge";
import { inboundListener } from "./inbound";
import { outboundListener } from "./outbound";
import { prometheusListener } from "./prometheus";

export function sidecarListeners(mesh: Mesh, instance: ServiceInstance): Listener[] {
  const service = findService(mesh, instance.service);
  const edge = edgeListenerFor(mesh, instance);
  return [
    inboundListener(mesh, instance),
    ...(edge ? [edge] : []),
    healthListener(service, mesh.sidecar.healthPort),
    ...(mesh.observability.metrics ? [prometheusListener(mesh.sidecar.metricsPort)] : []),
    // The model sorts upstreams by service name.
    ...service.upstreams.map((u) => outboundListener(mesh, instance, u)),
  ];
}

export { healthListener, inboundListener, outboundListener, prometheusListener };
