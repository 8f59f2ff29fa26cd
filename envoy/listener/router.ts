/** Routes and the router filter. The router is added here and only here, so it is always last (builders check). */
import type { Configurer } from "../configurer";
import { extensionNames, typeUrls } from "../typeUrls";
import type { HttpConnectionManager, RetryPolicy, Route } from "../types";

export interface RouteOptions {
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

export function router(routeName: string, routes: readonly Route[]): Configurer<HttpConnectionManager> {
  return (hcm) => {
    hcm.route_config = {
      name: routeName,
      virtual_hosts: [{ name: routeName, domains: ["*"], routes: [...routes] }],
    };
    hcm.http_filters.push({ name: extensionNames.router, typed_config: { "@type": typeUrls.router } });
  };
}
