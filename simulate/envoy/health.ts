/**
 * What a Consul check against a sidecar's health listener sees, with the app up or down: a small model of the
 * Envoy code paths the health listener uses, each from envoyproxy/envoy (v1.31):
 *
 * - tcp_proxy: the listener accepts the connection before the filter dials its cluster
 *   (source/common/tcp_proxy/tcp_proxy.cc, Filter::onNewConnection → establishUpstreamConnection), so a TCP check
 *   connects whether or not the app is up.
 * - health_check filter with `pass_through_mode: false`: answers a matching request itself; with
 *   `cluster_min_healthy_percentages` it answers 503 when the cluster is missing, empty, or its healthy members are
 *   below the percentage (source/extensions/filters/http/health_check/health_check.cc, HealthCheckFilter::onComplete).
 *   A host counts as healthy unless a health checker marked it failed: with no `health_checks` on the cluster the
 *   local app is always "healthy" (source/common/upstream/upstream_impl.cc, HostImpl health flags).
 * - router: a route to the app's cluster ends in 503 when the connection is refused
 *   (source/common/router/router.cc, Filter::onUpstreamReset → 503 "upstream connect error"); a direct_response
 *   answers its own status.
 *
 * Consul (hashicorp/consul agent/checks/check.go): an HTTP check passes on 2xx, a TCP check on a completed connect.
 */
import type { Bootstrap, Cluster, HealthCheckFilter, HttpConnectionManager, Listener, Route } from "../../envoy/types";

export type AppState = "up" | "down";

export type HealthCheckTarget = { readonly kind: "http"; readonly path: string } | { readonly kind: "tcp" };

export interface HealthAnswer {
  /** HTTP status, or "connected" for a TCP check. */
  readonly answer: number | "connected";
  readonly passing: boolean;
}

const HEALTH_CHECK_FILTER = "envoy.filters.http.health_check";

function clusterHealthy(cluster: Omit<Cluster, "@type"> | undefined, app: AppState): boolean {
  if (!cluster) return false;
  // Without an active health checker no host is ever marked unhealthy.
  const activelyChecked = (cluster.health_checks ?? []).length > 0;
  return activelyChecked ? app === "up" : true;
}

function routeAnswer(routes: readonly Route[], path: string, app: AppState): number {
  for (const route of routes) {
    const matches = "path" in route.match ? route.match.path === path : path.startsWith(route.match.prefix);
    if (!matches) continue;
    if (route.direct_response) return route.direct_response.status;
    return app === "up" ? 200 : 503;
  }
  return 404;
}

function httpAnswer(
  hcm: HttpConnectionManager,
  staticClusters: readonly Omit<Cluster, "@type">[],
  path: string,
  app: AppState,
): number {
  for (const filter of hcm.http_filters) {
    if (filter.name !== HEALTH_CHECK_FILTER) continue;
    const config = filter.typed_config as HealthCheckFilter;
    const matches = config.headers.every((h) => h.name !== ":path" || h.string_match.exact === path);
    if (!matches || config.pass_through_mode) continue;
    for (const [name, percent] of Object.entries(config.cluster_min_healthy_percentages)) {
      const cluster = staticClusters.find((c) => c.name === name);
      const healthyPercent = clusterHealthy(cluster, app) ? 100 : 0;
      if (!cluster || healthyPercent < percent.value) return 503;
    }
    return 200;
  }
  return routeAnswer(hcm.route_config?.virtual_hosts.flatMap((v) => v.routes) ?? [], path, app);
}

/** The answer a Consul check of `target` gets from `listener` (the health listener) with the app `app`. */
export function healthAnswer(
  listener: Listener,
  bootstrap: Bootstrap,
  target: HealthCheckTarget,
  app: AppState,
): HealthAnswer {
  const chain = listener.filter_chains[0];
  const terminal = chain?.filters.at(-1);
  if (!terminal) return { answer: 503, passing: false };
  if (target.kind === "tcp") return { answer: "connected", passing: true };
  if (terminal.name !== "envoy.filters.network.http_connection_manager") {
    // An HTTP request into a tcp_proxy reaches the app raw, or nothing when it is down.
    return app === "up" ? { answer: 200, passing: true } : { answer: 503, passing: false };
  }
  const status = httpAnswer(
    terminal.typed_config as HttpConnectionManager,
    bootstrap.static_resources.clusters,
    target.path,
    app,
  );
  return { answer: status, passing: status >= 200 && status < 300 };
}
