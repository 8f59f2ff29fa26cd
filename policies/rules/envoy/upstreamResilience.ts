import { resourceRule } from "../../lib/policy";
import type { Json } from "../../lib/props";
import { asNumber, asRecord, asRecords, isRecord } from "../../lib/props";
import { durationSeconds, envoyConfigOf, isUpstreamCluster, nameOf } from "../../lib/envoyArtifacts";
import type { ResourceInput } from "../../lib/types";
import { types } from "../../lib/types";

export const upstreamResilienceDefaults = {
  /** Envoy's own default is 5 s; the seed uses 0.25 s. */
  maxConnectTimeoutSeconds: 5,
};
export type UpstreamResilienceConfig = typeof upstreamResilienceDefaults;

const THRESHOLD_FIELDS = ["max_connections", "max_pending_requests", "max_requests"] as const;

function checkCluster(cluster: Json, config: UpstreamResilienceConfig): string[] {
  const where = `cluster "${nameOf(cluster)}"`;
  const problems: string[] = [];
  const thresholds = asRecords(asRecord(cluster.circuit_breakers)?.thresholds);
  if (thresholds.length === 0) {
    problems.push(
      `${where} has no circuit breaker; set circuit_breakers.thresholds with ${THRESHOLD_FIELDS.join(", ")}.`,
    );
  } else {
    // Envoy silently applies 1024 for an unset threshold, so each one must be explicit.
    for (const threshold of thresholds) {
      const missing = THRESHOLD_FIELDS.filter((field) => asNumber(threshold[field]) === undefined);
      if (missing.length > 0) {
        problems.push(`${where}: circuit breaker threshold leaves ${missing.join(", ")} implicit; set them.`);
      }
    }
  }
  const outlier = cluster.outlier_detection;
  if (!isRecord(outlier) || Object.keys(outlier).length === 0) {
    problems.push(
      `${where} has no outlier detection; set outlier_detection (consecutive_5xx, interval, base_ejection_time).`,
    );
  }
  const timeout = durationSeconds(cluster.connect_timeout);
  if (timeout === undefined) {
    problems.push(`${where} has no connect_timeout; set it to at most ${config.maxConnectTimeoutSeconds}s.`);
  } else if (timeout > config.maxConnectTimeoutSeconds) {
    problems.push(`${where}: connect_timeout ${timeout}s exceeds ${config.maxConnectTimeoutSeconds}s; lower it.`);
  }
  return problems;
}

/** Upstream clusters fail fast: circuit breakers, outlier detection and a bounded connect timeout. */
export function checkUpstreamResilience(input: ResourceInput, config: UpstreamResilienceConfig): string[] {
  const envoy = envoyConfigOf(input);
  if (!envoy) return [];
  return envoy.clusters.filter(isUpstreamCluster).flatMap((cluster) => checkCluster(cluster, config));
}

export const upstreamResilience = resourceRule(
  {
    name: "lucid-envoy-upstream-resilience",
    description: "Require circuit breakers, outlier detection and a bounded connect timeout on every upstream cluster.",
    severity: "high",
    appliesTo: [types.dockerContainer, types.configMap],
    defaults: upstreamResilienceDefaults,
    configSchema: {
      properties: {
        maxConnectTimeoutSeconds: {
          type: "number",
          exclusiveMinimum: 0,
          default: upstreamResilienceDefaults.maxConnectTimeoutSeconds,
          description: "Longest acceptable connect_timeout, in seconds.",
        },
      },
    },
  },
  checkUpstreamResilience,
);
