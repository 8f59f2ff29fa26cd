/** One loopback listener per upstream: the app dials 127.0.0.1:<localPort> and the sidecar does the rest. */
import { findService, type Mesh, type MeshUpstream, type ServiceInstance } from "../../model/mesh";
import { envoyNames } from "../../model/names";
import type { CallPolicy } from "../../model/mesh";
import { buildFilterChain, buildHttpConnectionManager, buildListener } from "../builders";
import { duration } from "../common/duration";
import { LOOPBACK } from "../common/address";
import type { Listener, RetryPolicy } from "../types";
import { routeToCluster, router } from "./router";
import { loopbackHttpOptions } from "./hardening";
import { requestAccessLog } from "./requestLog";
import { tracing } from "./tracing";
import { httpConnectionManager, tcpProxy } from "./filters";
import { filterChains } from "./listenerOptions";
import { configureIf } from "../configurer";
import { websocketUpgrades } from "./upgrades";

/**
 * Retries for calls to one service. The default `retry_on` (connect-failure, refused-stream, reset-before-request)
 * retries only tries whose request never left: source/common/router/retry_state_impl.cc, wouldRetryFromReset,
 * returns a retry for reset-before-request only while `!upstream_request_started`, whereas `reset`, `5xx` and
 * `gateway-error` retry any reset, including the LocalReset that router.cc's onPerTryTimeoutCommon raises after a
 * per-try timeout (which it also reports to outlier detection as LocalOriginTimeout). So there is no per-try timeout
 * unless the service sets one.
 */
export function retryPolicy(calls: CallPolicy): RetryPolicy {
  const { retries } = calls;
  return {
    retry_on: retries.retryOn.join(","),
    num_retries: retries.attempts,
    ...(retries.perTryTimeoutSeconds !== undefined ? { per_try_timeout: duration(retries.perTryTimeoutSeconds) } : {}),
  };
}

/** The route timeout for calls to a service: its own, the default, or "0s" (none: gRPC streams by default). */
export function routeTimeout(calls: CallPolicy): string {
  return duration(calls.requestTimeoutSeconds);
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
              requestAccessLog(),
              configureIf(target.protocol === "http", websocketUpgrades()),
              tracing(mesh, instance.service),
              router(name, [
                routeToCluster(cluster, {
                  timeout: routeTimeout(target.calls),
                  retryPolicy: retryPolicy(target.calls),
                }),
              ]),
            ),
          ),
        );

  // No per-connection buffer limit: Envoy's default (1 MiB) is fine for the one, local client.
  return buildListener(name, LOOPBACK, upstream.localPort, filterChains(chain));
}
