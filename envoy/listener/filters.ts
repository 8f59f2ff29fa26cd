/** Terminal network filters: an HTTP connection manager, or a plain TCP proxy. */
import type { Configurer } from "../configurer";
import { extensionNames, typeUrls } from "../typeUrls";
import type { FilterChain, HttpConnectionManager } from "../types";
import { tcpAccessLog } from "../common/accessLog";

export function httpConnectionManager(hcm: HttpConnectionManager): Configurer<FilterChain> {
  return (chain) => {
    chain.filters.push({ name: extensionNames.httpConnectionManager, typed_config: hcm });
  };
}

export function tcpProxy(statPrefix: string, cluster: string): Configurer<FilterChain> {
  return (chain) => {
    chain.filters.push({
      name: extensionNames.tcpProxy,
      typed_config: { "@type": typeUrls.tcpProxy, stat_prefix: statPrefix, cluster, access_log: [tcpAccessLog()] },
    });
  };
}

/** Routes on SNI only; no TLS is terminated, so the chain has no transport socket. */
export function matchServerNames(serverNames: readonly string[]): Configurer<FilterChain> {
  return (chain) => {
    chain.filter_chain_match = { server_names: [...serverNames] };
  };
}
