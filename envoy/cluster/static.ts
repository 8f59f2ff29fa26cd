/** Bootstrap-time clusters the listeners rely on: the local app, the admin interface, the tracing collector. */
import { findService, type Mesh, type ServiceInstance } from "../../model/mesh";
import { envoyNames } from "../../model/names";
import { buildCluster } from "../builders";
import { configureIf, type Configurer } from "../configurer";
import { duration } from "../common/duration";
import type { Cluster } from "../types";
import { LOOPBACK, socketAddress } from "../common/address";
import { discovery } from "./basics";
import { http2 } from "./http2";
import { dnsRefresh, systemDns } from "./dns";

function singleEndpoint(host: string, port: number): Configurer<Cluster> {
  return (cluster) => {
    cluster.load_assignment = {
      cluster_name: cluster.name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(host, port) } }] }],
    };
  };
}

/**
 * Active TCP health checking of the app, which the health listener's health_check filter reads for TCP services
 * (listener/health.ts). Intervals follow Consul's check interval, so a down app shows within one Consul check.
 */
export function appTcpHealthCheck(intervalSeconds: number, timeoutSeconds: number): Configurer<Cluster> {
  return (cluster) => {
    cluster.health_checks = [
      {
        timeout: duration(timeoutSeconds),
        interval: duration(intervalSeconds),
        unhealthy_threshold: 1,
        healthy_threshold: 1,
        tcp_health_check: {},
      },
    ];
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
    configureIf(service.protocol === "tcp", appTcpHealthCheck(APP_HEALTH_INTERVAL_SECONDS, APP_HEALTH_TIMEOUT_SECONDS)),
  );
}

/** Loopback checks are cheap; a short interval keeps the health answer current between Consul's checks. */
export const APP_HEALTH_INTERVAL_SECONDS = 5;
export const APP_HEALTH_TIMEOUT_SECONDS = 1;

/** Admin on loopback, for the prometheus listener's one route. */
export function adminCluster(mesh: Mesh): Cluster {
  return buildCluster(
    envoyNames.adminCluster,
    discovery("STATIC", mesh.defaults.connectTimeoutSeconds),
    singleEndpoint(LOOPBACK, mesh.sidecar.adminPort),
  );
}

/**
 * The OpenTelemetry collector (OTLP over gRPC, so HTTP/2). Not in Consul: it keeps the system resolver (and its
 * search domains, which `<svc>.<namespace>.svc` needs) instead of the bootstrap's Consul DNS.
 */
export function tracingCluster(mesh: Mesh): Cluster | undefined {
  const tracing = mesh.observability.tracing;
  if (!tracing.enabled) return undefined;
  return buildCluster(
    envoyNames.tracingCluster,
    discovery("STRICT_DNS", mesh.defaults.connectTimeoutSeconds),
    dnsRefresh(),
    systemDns(),
    http2("grpc"),
    singleEndpoint(tracing.collectorHost, tracing.collectorPort),
  );
}
