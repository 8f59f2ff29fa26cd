/** One loopback listener per upstream: the app dials 127.0.0.1:<localPort> and the sidecar does the rest. */
import { findService, type Mesh, type MeshUpstream, type ServiceInstance } from "../../model/mesh";
import { envoyNames } from "../../model/names";
import type { TrafficDefaults } from "../../model/schema";
import { buildFilterChain, buildHttpConnectionManager, buildListener } from "../builders";
import { duration } from "../common/duration";
import { LOOPBACK } from "../common/address";
import type { Listener, RetryPolicy } from "../types";
import { routeToCluster, router } from "./router";
import { loopbackHttpOptions } from "./hardening";
import { tracing } from "./tracing";
import { httpConnectionManager, tcpProxy } from "./filters";
import { filterChains } from "./listenerOptions";

export function retryPolicy(defaults: TrafficDefaults): RetryPolicy {
  return {
    retry_on: defaults.retries.retryOn.join(","),
    num_retries: defaults.retries.attempts,
    per_try_timeout: duration(defaults.retries.perTryTimeoutSeconds),
  };
}

export function outboundListener(mesh: Mesh, instance: ServiceInstance, upstream: MeshUpstream): Listener {
  const target = findService(mesh, upstream.service);
  const name = envoyNames.outboundListener(upstream.service);
  const cluster = envoyNames.upstreamCluster(upstream.service);

  const chain =
    target.protocol === "tcp"
      ? buildFilterChain(name, tcpProxy(name, cluster))
      : buildFilterChain(
          name,
          httpConnectionManager(
            buildHttpConnectionManager(
              name,
              loopbackHttpOptions(),
              tracing(mesh, instance.service),
              router(name, [
                routeToCluster(cluster, {
                  timeout: duration(mesh.defaults.requestTimeoutSeconds),
                  retryPolicy: retryPolicy(mesh.defaults),
                }),
              ]),
            ),
          ),
        );

  // No per-connection buffer limit: Envoy's default (1 MiB) is fine for the one, local client.
  return buildListener(name, LOOPBACK, upstream.localPort, filterChains(chain));
}
