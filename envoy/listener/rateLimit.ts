/** Local (per-sidecar) token-bucket rate limit, from the service's effective rate-limit policy. */
import type { RateLimit } from "../../model/schema";
import type { Configurer } from "../configurer";
import { extensionNames, typeUrls } from "../typeUrls";
import type { HttpConnectionManager, LocalRateLimit, RuntimeFractionalPercent } from "../types";

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
