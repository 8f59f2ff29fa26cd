/**
 * Endpoint discovery through Consul DNS. Consul answers `<svc>.service.<dc>.consul` with passing instances only,
 * so a short refresh makes DNS health-aware; Envoy asks the cluster's Consul DNS directly, not the host resolver.
 *
 * Where the resolver is written (envoyproxy/envoy): a STRICT_DNS/LOGICAL_DNS cluster without its own
 * `typed_dns_resolver_config` (or legacy `dns_resolvers`) uses the server's resolver
 * (source/common/upstream/cluster_factory_impl.cc `selectDnsResolver` → `context.dnsResolver()`), which the server
 * builds once from the bootstrap's `typed_dns_resolver_config` (source/server/server.cc `getOrCreateDnsResolver` →
 * `createDnsResolverFactoryFromProto`, source/common/network/dns_resolver/dns_factory_util.h). So Consul's resolver
 * is written once in the bootstrap; the refresh, TTL and lookup family stay per cluster
 * (source/extensions/clusters/strict_dns/strict_dns_cluster.cc reads them from the cluster).
 */
import type { MeshCluster } from "../../model/mesh";
import { consulPorts } from "../../model/names";
import type { Configurer } from "../configurer";
import { extensionNames, typeUrls } from "../typeUrls";
import type { Any, Address, Bootstrap, Cluster, TypedExtensionConfig } from "../types";
import { LOOPBACK, socketAddress } from "../common/address";

interface CaresDnsResolverConfig extends Any {
  resolvers: Address[];
  use_resolvers_as_fallback?: boolean;
  dns_resolver_options?: { no_default_search_domain: boolean };
}

/** Where c-ares asks when resolv.conf names no nameserver (ares_init.c `init_by_defaults`: loopback, port 53). */
const CARES_DEFAULT_DNS_PORT = 53;

/** Refresh cadence for health-aware DNS: how quickly a failing instance leaves the endpoint set. */
export function dnsRefresh(): Configurer<Cluster> {
  return (cluster) => {
    cluster.dns_lookup_family = "V4_ONLY";
    cluster.dns_refresh_rate = "5s";
    cluster.dns_failure_refresh_rate = { base_interval: "1s", max_interval: "10s" };
    cluster.respect_dns_ttl = true;
  };
}

/** c-ares asking the cluster's Consul DNS on Consul's DNS port. */
export function consulDnsResolver(cluster: MeshCluster): TypedExtensionConfig {
  const config: CaresDnsResolverConfig = {
    "@type": typeUrls.caresResolver,
    resolvers: cluster.consulDnsAddresses.map((address) => socketAddress(address, consulPorts.dns)),
    // `.consul` names are absolute; a search domain would only add failed lookups.
    dns_resolver_options: { no_default_search_domain: true },
  };
  return { name: extensionNames.caresResolver, typed_config: config };
}

/**
 * The system resolver, as Envoy's default c-ares is: the nameservers and search domains `ares_init_options` reads
 * from /etc/resolv.conf (c-ares/c-ares src/lib/ares_sysconfig_files.c, PATH_RESOLV_CONF). Envoy 1.31's
 * CaresDnsResolverConfig needs one resolver (`resolvers` min_items 1), so it names c-ares's own default,
 * 127.0.0.1:53, as the fallback only: with `use_resolvers_as_fallback` the listed resolvers replace the system's
 * only when c-ares found nothing but that default (envoyproxy/envoy
 * source/extensions/network/dns_resolver/cares/dns_impl.cc `initializeChannel`, `isCaresDefaultTheOnlyNameserver`).
 */
export function systemDnsResolver(): TypedExtensionConfig {
  const config: CaresDnsResolverConfig = {
    "@type": typeUrls.caresResolver,
    resolvers: [socketAddress(LOOPBACK, CARES_DEFAULT_DNS_PORT)],
    use_resolvers_as_fallback: true,
  };
  return { name: extensionNames.caresResolver, typed_config: config };
}

/** The server's resolver, which every DNS cluster without its own uses: the cluster's Consul DNS. */
export function consulDnsByDefault(cluster: MeshCluster): Configurer<Bootstrap> {
  return (bootstrap) => {
    bootstrap.typed_dns_resolver_config = consulDnsResolver(cluster);
  };
}

/** For a cluster whose names Consul does not serve (the tracing collector, other clusters' gateways). */
export function systemDns(): Configurer<Cluster> {
  return (target) => {
    target.typed_dns_resolver_config = systemDnsResolver();
  };
}
