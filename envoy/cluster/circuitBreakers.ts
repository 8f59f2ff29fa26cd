/** Circuit breakers from the mesh defaults: they bound what one sidecar can pile onto an upstream. */
import type { TrafficDefaults } from "../../model/schema";
import type { Configurer } from "../configurer";
import type { Cluster } from "../types";

export function circuitBreakers(limits: TrafficDefaults["circuitBreaker"]): Configurer<Cluster> {
  return (cluster) => {
    cluster.circuit_breakers = {
      thresholds: [
        {
          // priority left unset: DEFAULT.
          max_connections: limits.maxConnections,
          max_pending_requests: limits.maxPendingRequests,
          max_requests: limits.maxRequests,
          max_retries: limits.maxRetries,
        },
      ],
    };
  };
}
