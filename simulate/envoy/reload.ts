/**
 * Whether Envoy accepts a file-based LDS update given the clusters it has loaded at that moment. LDS and CDS are two
 * filesystem subscriptions, each reloading when its own watched path changes, with no ordering between them
 * (source/extensions/config_subscription/filesystem/filesystem_subscription_impl.cc, FilesystemSubscriptionImpl:
 * one watch per subscription, refresh() on its own event; a rejected update is reported through
 * onConfigUpdateFailed and not retried until the next file event).
 *
 * An inline `route_config` is built with `validate_clusters_default = true`
 * (source/common/rds/static_route_config_provider_impl.cc, StaticRouteConfigProviderImpl), so unless it sets
 * `validate_clusters: false`, RouteEntryImplBase::validateClusters (source/common/router/config_impl.cc) refuses a
 * route to a cluster the cluster manager does not have: "route: unknown cluster '<name>'", and the whole listener
 * update is rejected. A CDS update never re-validates listeners, so removing a cluster first is accepted and its
 * routes answer 503 until LDS catches up. tcp_proxy resolves its cluster per connection and is never validated here.
 */
import type { HttpConnectionManager, Listener } from "../../envoy/types";

const HCM = "envoy.filters.network.http_connection_manager";

/** Envoy's message for the first listener it would refuse, or undefined when the LDS update is accepted. */
export function ldsRejection(listeners: readonly Listener[], loadedClusters: ReadonlySet<string>): string | undefined {
  for (const listener of listeners) {
    for (const chain of listener.filter_chains) {
      for (const filter of chain.filters) {
        if (filter.name !== HCM) continue;
        const routeConfig = (filter.typed_config as HttpConnectionManager).route_config;
        if (!routeConfig || routeConfig.validate_clusters === false) continue;
        for (const route of routeConfig.virtual_hosts.flatMap((v) => v.routes)) {
          const cluster = route.route?.cluster;
          if (cluster !== undefined && !loadedClusters.has(cluster)) {
            return `Error adding/updating listener(s) ${listener.name}: route: unknown cluster '${cluster}'`;
          }
        }
      }
    }
  }
  return undefined;
}
