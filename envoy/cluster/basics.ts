/** Discovery type, connect timeout and load balancing: what every cluster states. */
import type { Configurer } from "../configurer";
import { duration } from "../yaml";
import type { Cluster } from "../types";

/** Edge best practice, applied to upstream connections as well as downstream ones. */
export const UPSTREAM_BUFFER_LIMIT_BYTES = 32768;

export function discovery(type: "STATIC" | "STRICT_DNS", connectTimeoutSeconds: number): Configurer<Cluster> {
  return (cluster) => {
    cluster.type = type;
    cluster.connect_timeout = duration(connectTimeoutSeconds);
    cluster.lb_policy = "ROUND_ROBIN";
    cluster.per_connection_buffer_limit_bytes = UPSTREAM_BUFFER_LIMIT_BYTES;
  };
}
