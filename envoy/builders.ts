/**
 * One small builder per Envoy object: start empty, apply configurers in order, then check the invariants that
 * Envoy would only report at runtime (or, worse, accept and misbehave on).
 */
import { applyAll, type Configurer } from "./configurer";
import { extensionNames, typeUrls } from "./typeUrls";
import type { Cluster, FilterChain, HttpConnectionManager, Listener } from "./types";
import { socketAddress } from "./common/address";

function fail(object: string, message: string): never {
  throw new Error(`envoy ${object}: ${message}`);
}

export function buildHttpConnectionManager(
  statPrefix: string,
  ...configurers: Configurer<HttpConnectionManager>[]
): HttpConnectionManager {
  const hcm = applyAll<HttpConnectionManager>(
    { "@type": typeUrls.httpConnectionManager, stat_prefix: statPrefix, http_filters: [] },
    configurers,
  );
  const names = hcm.http_filters.map((f) => f.name);
  const at = (name: string): number => names.indexOf(name);
  if (!hcm.stat_prefix) fail("http_connection_manager", "stat_prefix must be set");
  // Envoy stops at the router: any filter after it never runs, so an RBAC placed there would silently allow all.
  if (at(extensionNames.router) !== names.length - 1) fail(`hcm ${statPrefix}`, "the router must be the last filter");
  // RBAC must decide before anything forwards the request.
  if (at(extensionNames.httpRbac) > at(extensionNames.router))
    fail(`hcm ${statPrefix}`, "rbac must precede the router");
  // Rate limiting runs first so floods are shed (and counted) before policy evaluation, whoever sends them.
  const rl = at(extensionNames.localRateLimit);
  if (rl >= 0 && at(extensionNames.httpRbac) >= 0 && rl > at(extensionNames.httpRbac)) {
    fail(`hcm ${statPrefix}`, "local_ratelimit must precede rbac");
  }
  if (!hcm.route_config) fail(`hcm ${statPrefix}`, "a route_config must be set");
  return hcm;
}

const TERMINAL = new Set<string>([extensionNames.httpConnectionManager, extensionNames.tcpProxy]);

export function buildFilterChain(name: string, ...configurers: Configurer<FilterChain>[]): FilterChain {
  const chain = applyAll<FilterChain>({ name, filters: [] }, configurers);
  const names = chain.filters.map((f) => f.name);
  const last = names[names.length - 1];
  if (!last || !TERMINAL.has(last)) fail(`filter chain ${name}`, "must end in http_connection_manager or tcp_proxy");
  if (names.slice(0, -1).some((n) => TERMINAL.has(n)))
    fail(`filter chain ${name}`, "only the last filter may be terminal");
  // RBAC decides before anything else sees the connection; only the connection rate limit, which sheds floods
  // whoever sends them, may run before it.
  const rbac = names.indexOf(extensionNames.networkRbac);
  if (rbac > 0 && names.slice(0, rbac).some((n) => n !== extensionNames.networkLocalRateLimit))
    fail(`filter chain ${name}`, "network rbac must be the first filter (after the connection rate limit)");
  return chain;
}

export function buildListener(
  name: string,
  address: string,
  port: number,
  ...configurers: Configurer<Listener>[]
): Listener {
  const listener = applyAll<Listener>(
    { "@type": typeUrls.listener, name, address: socketAddress(address, port), filter_chains: [] },
    configurers,
  );
  if (!listener.name) fail("listener", "name must be set");
  // Envoy rejects a stream listener without filter chains.
  if (listener.filter_chains.length === 0) fail(`listener ${name}`, "needs at least one filter chain");
  // An empty server_names matches every SNI: never emit one by accident.
  for (const chain of listener.filter_chains) {
    if (chain.filter_chain_match && chain.filter_chain_match.server_names.length === 0) {
      fail(`listener ${name}`, `filter chain ${chain.name ?? "?"} has an empty server_names match`);
    }
  }
  return listener;
}

export function buildCluster(name: string, ...configurers: Configurer<Cluster>[]): Cluster {
  const cluster = applyAll<Cluster>({ "@type": typeUrls.cluster, name }, configurers);
  if (!cluster.name) fail("cluster", "name must be set");
  if (!cluster.type || !cluster.connect_timeout) fail(`cluster ${name}`, "type and connect_timeout must be set");
  if (!cluster.load_assignment || cluster.load_assignment.endpoints.length === 0) {
    fail(`cluster ${name}`, "needs a load_assignment with endpoints");
  }
  // Failover to priority 1 happens only when priority 0 hosts are ejected: without outlier detection it never does.
  const hasFailover = cluster.load_assignment.endpoints.some((e) => (e.priority ?? 0) > 0);
  if (hasFailover && !cluster.outlier_detection) fail(`cluster ${name}`, "failover endpoints need outlier_detection");
  return cluster;
}
