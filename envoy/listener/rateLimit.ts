/** Local (per-sidecar) token-bucket rate limit, from the service's effective rate-limit policy. */
import type { RateLimit } from "../../model/schema";
import type { Configurer } from "../configurer";
import { extensionNames, typeUrls } from "../typeUrls";
import type {
  FilterChain,
  HttpConnectionManager,
  LocalRateLimit,
  NetworkLocalRateLimit,
  RuntimeFractionalPercent,
} from "../types";

/** Always on and enforced; the runtime keys let an operator switch it off live during an incident. */
function percent(runtimeKey: string): RuntimeFractionalPercent {
  return { runtime_key: runtimeKey, default_value: { numerator: 100, denominator: "HUNDRED" } };
}

export function localRateLimit(statPrefix: string, limit: RateLimit): Configurer<HttpConnectionManager> {
  const config: LocalRateLimit = {
    "@type": typeUrls.localRateLimit,
    stat_prefix: statPrefix,
    // The bucket holds `burst` tokens and refills `requestsPerSecond` each second.
    token_bucket: { max_tokens: limit.burst, tokens_per_fill: limit.requestsPerSecond, fill_interval: "1s" },
    filter_enabled: percent("local_rate_limit_enabled"),
    filter_enforced: percent("local_rate_limit_enforced"),
  };
  return (hcm) => {
    hcm.http_filters.push({ name: extensionNames.localRateLimit, typed_config: config });
  };
}

/**
 * TCP services: a token bucket of new connections (envoy.filters.network.local_ratelimit). Each connection takes a
 * token in onNewConnection and is closed at once when none is left
 * (source/extensions/filters/network/local_ratelimit/local_ratelimit.cc). `requestsPerSecond` and `burst` count
 * connections here.
 */
export function connectionRateLimit(statPrefix: string, limit: RateLimit): Configurer<FilterChain> {
  const config: NetworkLocalRateLimit = {
    "@type": typeUrls.networkLocalRateLimit,
    stat_prefix: statPrefix,
    token_bucket: { max_tokens: limit.burst, tokens_per_fill: limit.requestsPerSecond, fill_interval: "1s" },
    runtime_enabled: { default_value: true, runtime_key: "local_connection_rate_limit_enabled" },
  };
  return (chain) => {
    chain.filters.push({ name: extensionNames.networkLocalRateLimit, typed_config: config });
  };
}
