/** Bootstrap-time clusters the listeners rely on: the local app, the admin interface, the tracing collector. */
import { findService, type Mesh, type ServiceInstance } from "../../model/mesh";
import { envoyNames } from "../../model/names";
import { buildCluster } from "../builders";
import type { Configurer } from "../configurer";
import type { Cluster } from "../types";
import { LOOPBACK, socketAddress } from "../common/address";
import { discovery } from "./basics";
import { http2 } from "./http2";
import { dnsRefresh } from "./dns";

function singleEndpoint(host: string, port: number): Configurer<Cluster> {
  return (cluster) => {
    cluster.load_assignment = {
      cluster_name: cluster.name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(host, port) } }] }],
    };
  };
}

/** The app, in the same network namespace. */
export function localAppCluster(mesh: Mesh, instance: ServiceInstance): Cluster {
  const service = findService(mesh, instance.service);
  return buildCluster(
    envoyNames.localAppCluster,
    discovery("STATIC", mesh.defaults.connectTimeoutSeconds),
    http2(service.protocol),
    singleEndpoint(LOOPBACK, service.port),
  );
}

/** Admin on loopback, for the prometheus listener's one route. */
export function adminCluster(mesh: Mesh): Cluster {
  return buildCluster(
    envoyNames.adminCluster,
    discovery("STATIC", mesh.defaults.connectTimeoutSeconds),
    singleEndpoint(LOOPBACK, mesh.sidecar.adminPort),
  );
}

/** The OpenTelemetry collector (OTLP over gRPC, so HTTP/2); not in Consul, so the system resolver finds it. */
export function tracingCluster(mesh: Mesh): Cluster | undefined {
  const tracing = mesh.observability.tracing;
  if (!tracing.enabled) return undefined;
  return buildCluster(
    envoyNames.tracingCluster,
    discovery("STRICT_DNS", mesh.defaults.connectTimeoutSeconds),
    dnsRefresh(),
    http2("grpc"),
    singleEndpoint(tracing.collectorHost, tracing.collectorPort),
  );
}
