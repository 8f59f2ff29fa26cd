/** OpenTelemetry tracing to the collector cluster; a no-op when tracing is off. */
import { envoyNames } from "../../model/names";
import type { Mesh } from "../../model/mesh";
import { noop, type Configurer } from "../configurer";
import { extensionNames, typeUrls } from "../typeUrls";
import type { Any, HttpConnectionManager } from "../types";

interface OpenTelemetryConfig extends Any {
  grpc_service: { envoy_grpc: { cluster_name: string }; timeout: string };
  service_name: string;
}

export function tracing(mesh: Mesh, serviceName: string): Configurer<HttpConnectionManager> {
  if (!mesh.observability.tracing.enabled) return noop;
  const config: OpenTelemetryConfig = {
    "@type": typeUrls.openTelemetry,
    grpc_service: { envoy_grpc: { cluster_name: envoyNames.tracingCluster }, timeout: "1s" },
    service_name: serviceName,
  };
  return (hcm) => {
    hcm.tracing = { provider: { name: extensionNames.openTelemetry, typed_config: config } };
  };
}
