/** Routes and the router filter. The router is added here and only here, so it is always last (builders check). */
import type { Configurer } from "../configurer";
import { extensionNames, typeUrls } from "../typeUrls";
import type { HttpConnectionManager, RetryPolicy, Route } from "../types";

export interface RouteOptions {
  /** "0s" turns the whole-request timeout off (Envoy's default is 15 s when unset). */
  readonly timeout: string;
  readonly retryPolicy?: RetryPolicy;
}

/** Every request to one cluster. */
export function routeToCluster(cluster: string, options: RouteOptions): Route {
  return {
    match: { prefix: "/" },
    route: { cluster, timeout: options.timeout, ...(options.retryPolicy ? { retry_policy: options.retryPolicy } : {}) },
  };
}

/**
 * An inline route config. `validate_clusters: false`: Envoy validates an inline (static) route config's clusters by
 * default (source/common/rds/static_route_config_provider_impl.cc creates it with validate_clusters_default = true;
 * source/common/router/config_impl.cc, RouteEntryImplBase::validateClusters, refuses "route: unknown cluster"), while
 * file-based LDS and CDS are separate subscriptions that reload on their own
 * (source/extensions/config_subscription/filesystem/filesystem_subscription_impl.cc, one watch per file, no ordering).
 * With validation off, a listener naming an upstream whose cluster has not loaded yet is accepted and answers 503
 * (no cluster) until CDS catches up, and removing a cluster before its listener never rejects anything.
 */
export function router(routeName: string, routes: readonly Route[]): Configurer<HttpConnectionManager> {
  return (hcm) => {
    hcm.route_config = {
      name: routeName,
      validate_clusters: false,
      virtual_hosts: [{ name: routeName, domains: ["*"], routes: [...routes] }],
    };
    hcm.http_filters.push({ name: extensionNames.router, typed_config: { "@type": typeUrls.router } });
  };
}
