import { resourceRule } from "../../lib/policy";
import type { Json } from "../../lib/props";
import { asNumber, asRecord, asRecords, asString, at } from "../../lib/props";
import { envoyNames, SIDECAR_PORT_DEFAULTS } from "../../vendor/model/names";
import {
  LOCAL_RATE_LIMIT,
  ROUTER,
  durationSeconds,
  filterChains,
  filterIs,
  httpConnectionManagers,
  inboundListenersOf,
  mustCarrySidecarConfig,
  nameOf,
} from "../../lib/envoyArtifacts";
import type { ResourceInput } from "../../lib/types";
import { types } from "../../lib/types";

export const rateLimitsSetDefaults = {
  proxyPort: SIDECAR_PORT_DEFAULTS.proxyPort,
  /** Below this the limit starves health checks and retries. */
  minRequestsPerSecond: 10,
  /** Seed: 1000 rps; 5x headroom before a limit stops protecting anything. */
  maxRequestsPerSecond: 5000,
  /** Seed: 2000 tokens. */
  maxBurst: 10000,
};
export type RateLimitsSetConfig = typeof rateLimitsSetDefaults;

const DENOMINATORS: Record<string, number> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

/** A RuntimeFractionalPercent as a fraction; Envoy treats an unset one as 0% ("for safety"). */
function fraction(value: unknown): number {
  const percent = asRecord(at(value, "default_value"));
  const numerator = asNumber(percent?.numerator) ?? 0;
  const denominator = DENOMINATORS[asString(percent?.denominator) ?? "HUNDRED"] ?? 100;
  return numerator / denominator;
}

function checkLimit(where: string, filter: Json, config: RateLimitsSetConfig): string[] {
  const typed = asRecord(filter.typed_config) ?? {};
  const bucket = asRecord(typed.token_bucket);
  if (!bucket)
    return [`${where}: local_ratelimit has no token_bucket; set max_tokens, tokens_per_fill and fill_interval.`];
  const problems: string[] = [];
  const maxTokens = asNumber(bucket.max_tokens);
  // Envoy's default tokens_per_fill is 1.
  const perFill = asNumber(bucket.tokens_per_fill) ?? 1;
  const interval = durationSeconds(bucket.fill_interval);
  if (maxTokens === undefined || interval === undefined || interval <= 0) {
    problems.push(`${where}: token_bucket needs max_tokens and a positive fill_interval; set both.`);
  } else {
    const rps = perFill / interval;
    if (rps < config.minRequestsPerSecond || rps > config.maxRequestsPerSecond) {
      problems.push(
        `${where}: token bucket refills ${rps} requests/s; set tokens_per_fill/fill_interval between ${config.minRequestsPerSecond} and ${config.maxRequestsPerSecond} per second.`,
      );
    }
    if (maxTokens > config.maxBurst) {
      problems.push(`${where}: max_tokens ${maxTokens} allows bursts above ${config.maxBurst}; lower max_tokens.`);
    }
  }
  if (fraction(typed.filter_enabled) < 1 || fraction(typed.filter_enforced) < 1) {
    problems.push(
      `${where}: local_ratelimit is not enabled and enforced for all requests; set filter_enabled and filter_enforced default_value to 100/HUNDRED.`,
    );
  }
  return problems;
}

/** Every inbound HTTP listener limits requests with a bounded local token bucket. */
export function checkRateLimitsSet(input: ResourceInput, config: RateLimitsSetConfig): string[] {
  const inbound = inboundListenersOf(input, config.proxyPort);
  if (inbound.length === 0 && mustCarrySidecarConfig(input)) {
    return [
      `this sidecar has no inbound listener ("${envoyNames.inboundListener}" on port ${config.proxyPort}), so nothing proves it limits requests; deliver the generated listener file.`,
    ];
  }
  const problems: string[] = [];
  for (const listener of inbound) {
    for (const manager of filterChains(listener).flatMap(httpConnectionManagers)) {
      const where = `listener "${nameOf(listener)}"`;
      const filters = asRecords(manager.http_filters);
      const isLimit = (f: Json): boolean => filterIs(f, LOCAL_RATE_LIMIT, ".LocalRateLimit");
      const limits = filters.filter(isLimit);
      if (limits.length === 0) {
        problems.push(
          `${where} has no rate limit; add an ${LOCAL_RATE_LIMIT} HTTP filter with a token bucket before the router.`,
        );
      }
      // Envoy runs HTTP filters in order and the router ends the chain: a filter after it never sees a request.
      const routerIndex = filters.findIndex((f) => filterIs(f, ROUTER, ".Router"));
      filters.forEach((filter, index) => {
        if (!isLimit(filter)) return;
        if (routerIndex >= 0 && index > routerIndex) {
          problems.push(
            `${where}: ${LOCAL_RATE_LIMIT} comes after ${ROUTER}, so it never runs; move it before the router.`,
          );
        }
        if (filter.disabled === true) {
          problems.push(`${where}: ${LOCAL_RATE_LIMIT} is disabled, so it never runs; remove disabled.`);
        }
        problems.push(...checkLimit(where, filter, config));
      });
    }
  }
  return problems;
}

export const rateLimitsSet = resourceRule(
  {
    name: "lucid-envoy-rate-limits-set",
    description: "Require a bounded local rate limit on every sidecar's inbound HTTP listener.",
    severity: "medium",
    appliesTo: [types.dockerContainer, types.configMap],
    defaults: rateLimitsSetDefaults,
    configSchema: {
      properties: {
        proxyPort: { type: "integer", minimum: 1, maximum: 65535, default: rateLimitsSetDefaults.proxyPort },
        minRequestsPerSecond: {
          type: "number",
          minimum: 0,
          default: rateLimitsSetDefaults.minRequestsPerSecond,
          description: "Lowest acceptable token refill rate.",
        },
        maxRequestsPerSecond: {
          type: "number",
          minimum: 1,
          default: rateLimitsSetDefaults.maxRequestsPerSecond,
          description: "Highest acceptable token refill rate.",
        },
        maxBurst: {
          type: "integer",
          minimum: 1,
          default: rateLimitsSetDefaults.maxBurst,
          description: "Largest acceptable token bucket (max_tokens).",
        },
      },
    },
  },
  checkRateLimitsSet,
);
