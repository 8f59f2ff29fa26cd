/** Discovery type, connect timeout and buffer limit: what every cluster states (load balancing: round robin). */
import type { Configurer } from "../configurer";
import { duration } from "../common/duration";
import type { Cluster } from "../types";

/** Edge best practice, applied to upstream connections as well as downstream ones. */
export const UPSTREAM_BUFFER_LIMIT_BYTES = 32768;

export function discovery(type: "STATIC" | "STRICT_DNS", connectTimeoutSeconds: number): Configurer<Cluster> {
  return (cluster) => {
    cluster.type = type;
    cluster.connect_timeout = duration(connectTimeoutSeconds);
    // lb_policy stays unset: ROUND_ROBIN, Envoy's default.
    cluster.per_connection_buffer_limit_bytes = UPSTREAM_BUFFER_LIMIT_BYTES;
  };
}
