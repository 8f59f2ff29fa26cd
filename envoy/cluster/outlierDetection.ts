/**
 * Passive health checking. Failover to priority 1 depends on it: Envoy shifts traffic only when priority 0 hosts
 * are ejected (or absent from DNS), so every upstream cluster gets it.
 */
import type { TrafficDefaults } from "../../model/schema";
import type { Configurer } from "../configurer";
import { duration } from "../common/duration";
import type { Cluster } from "../types";

export function outlierDetection(policy: TrafficDefaults["outlierDetection"]): Configurer<Cluster> {
  return (cluster) => {
    cluster.outlier_detection = {
      consecutive_5xx: policy.consecutive5xx,
      interval: duration(policy.intervalSeconds),
      base_ejection_time: duration(policy.baseEjectionSeconds),
      max_ejection_percent: policy.maxEjectionPercent,
    };
  };
}
