/**
 * The health listener: the one plain-text way into a workload, and it reaches only the health check. Consul's
 * checks (run by consul-esm) come here, so the app itself can listen on loopback and every other request must
 * pass the mTLS listener. Every answer reflects the app:
 * - HTTP services: exactly the health path, routed to the app; app down → the router's 503.
 * - TCP services: Envoy's health_check filter answers the health path itself from the local app cluster's active TCP
 *   health check (cluster/static.ts). A TCP connect to a tcp_proxy would succeed with the app down, since Envoy
 *   accepts before it dials. With `pass_through_mode: false` and `cluster_min_healthy_percentages: {local_app: 100}`
 *   HealthCheckFilter::onComplete (source/extensions/filters/http/health_check/health_check.cc) answers 503 unless
 *   the cluster's healthy members are at least 100 % of its members.
 */
import type { MeshService } from "../../model/mesh";
import { envoyNames } from "../../model/names";
import { buildFilterChain, buildHttpConnectionManager, buildListener } from "../builders";
import type { Configurer } from "../configurer";
import { ANY_ADDRESS } from "../common/address";
import { extensionNames, typeUrls } from "../typeUrls";
import type { HealthCheckFilter, HttpConnectionManager, Listener, Route } from "../types";
import { router } from "./router";
import { httpHardening } from "./hardening";
import { httpConnectionManager } from "./filters";
import { bufferLimit, filterChains, ignoreGlobalConnectionLimit } from "./listenerOptions";

/** Exact-path GET to the app; anything else is a 404 that never reaches it. */
export function healthRoutes(healthCheckPath: string): Route[] {
  return [
    { match: { path: healthCheckPath }, route: { cluster: envoyNames.localAppCluster, timeout: "5s" } },
    { match: { prefix: "/" }, direct_response: { status: 404 } },
  ];
}

/** Answers `path` from the local app cluster's health; other paths go on to the 404 route. */
export function appHealthCheck(path: string): Configurer<HttpConnectionManager> {
  const config: HealthCheckFilter = {
    "@type": typeUrls.healthCheck,
    pass_through_mode: false,
    headers: [{ name: ":path", string_match: { exact: path } }],
    cluster_min_healthy_percentages: { [envoyNames.localAppCluster]: { value: 100 } },
  };
  return (hcm) => {
    hcm.http_filters.push({ name: extensionNames.healthCheck, typed_config: config });
  };
}

export function healthListener(service: MeshService, healthPort: number): Listener {
  const name = envoyNames.healthListener;
  const hcm =
    service.protocol === "tcp"
      ? buildHttpConnectionManager(
          name,
          httpHardening(),
          appHealthCheck(service.healthCheckPath),
          router(name, [{ match: { prefix: "/" }, direct_response: { status: 404 } }]),
        )
      : buildHttpConnectionManager(name, httpHardening(), router(name, healthRoutes(service.healthCheckPath)));
  return buildListener(
    name,
    ANY_ADDRESS,
    healthPort,
    filterChains(buildFilterChain(name, httpConnectionManager(hcm))),
    bufferLimit(),
    ignoreGlobalConnectionLimit(),
  );
}
