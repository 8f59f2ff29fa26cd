/**
 * Endpoint discovery through Consul DNS. Consul answers `<svc>.service.<dc>.consul` with passing instances only,
 * so a short refresh makes DNS health-aware; Envoy asks the cluster's Consul DNS directly, not the host resolver.
 */
import type { MeshCluster } from "../../model/mesh";
import { consulPorts } from "../../model/names";
import type { Configurer } from "../configurer";
import { extensionNames, typeUrls } from "../typeUrls";
import type { Any, Address, Cluster } from "../types";
import { socketAddress } from "../common/address";

interface CaresDnsResolverConfig extends Any {
  resolvers: Address[];
  dns_resolver_options: { no_default_search_domain: boolean };
}

/** Refresh cadence for health-aware DNS: how quickly a failing instance leaves the endpoint set. */
export function dnsRefresh(): Configurer<Cluster> {
  return (cluster) => {
    cluster.dns_lookup_family = "V4_ONLY";
    cluster.dns_refresh_rate = "5s";
    cluster.dns_failure_refresh_rate = { base_interval: "1s", max_interval: "10s" };
    cluster.respect_dns_ttl = true;
  };
}

export function consulDns(cluster: MeshCluster): Configurer<Cluster> {
  const config: CaresDnsResolverConfig = {
    "@type": typeUrls.caresResolver,
    resolvers: cluster.consulDnsAddresses.map((address) => socketAddress(address, consulPorts.dns)),
    // `.consul` names are absolute; a search domain would only add failed lookups.
    dns_resolver_options: { no_default_search_domain: true },
  };
  return (target) => {
    target.typed_dns_resolver_config = { name: extensionNames.caresResolver, typed_config: config };
  };
}
