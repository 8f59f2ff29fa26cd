/** Every listener of one sidecar, in a fixed order: inbound, prometheus, then outbound by upstream name. */
import { findService, type Mesh, type ServiceInstance } from "../../model/mesh";
import type { Listener } from "../types";
import { inboundListener } from "./inbound";
import { outboundListener } from "./outbound";
import { prometheusListener } from "./prometheus";

export function sidecarListeners(mesh: Mesh, instance: ServiceInstance): Listener[] {
  const service = findService(mesh, instance.service);
  return [
    inboundListener(mesh, instance),
    ...(mesh.observability.metrics ? [prometheusListener(mesh.sidecar.metricsPort)] : []),
    // The model sorts upstreams by service name.
    ...service.upstreams.map((u) => outboundListener(mesh, instance, u)),
  ];
}

export { inboundListener, outboundListener, prometheusListener };
