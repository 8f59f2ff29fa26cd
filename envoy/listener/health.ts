/**
 * The health listener: the one plain-text way into a workload, and it reaches only the health check. Consul's
 * checks (run by consul-esm) come here, so the app itself can listen on loopback and every other request must
 * pass the mTLS listener. HTTP services expose exactly their health path; TCP services answer a TCP connect.
 */
import type { MeshService } from "../../model/mesh";
import { envoyNames } from "../../model/names";
import { buildFilterChain, buildHttpConnectionManager, buildListener } from "../builders";
import { ANY_ADDRESS } from "../common/address";
import type { Listener, Route } from "../types";
import { router } from "./router";
import { httpHardening } from "./hardening";
import { httpConnectionManager, tcpProxy } from "./filters";
import { bufferLimit, filterChains, ignoreGlobalConnectionLimit } from "./listenerOptions";

/** Exact-path GET to the app; anything else is a 404 that never reaches it. */
export function healthRoutes(healthCheckPath: string): Route[] {
  return [
    { match: { path: healthCheckPath }, route: { cluster: envoyNames.localAppCluster, timeout: "5s" } },
    { match: { prefix: "/" }, direct_response: { status: 404 } },
  ];
}

export function healthListener(service: MeshService, healthPort: number): Listener {
  const name = envoyNames.healthListener;
  const chain =
    service.protocol === "tcp"
      ? buildFilterChain(name, tcpProxy(name, envoyNames.localAppCluster))
      : buildFilterChain(
          name,
          httpConnectionManager(
            buildHttpConnectionManager(name, httpHardening(), router(name, healthRoutes(service.healthCheckPath))),
          ),
        );
  return buildListener(
    name,
    ANY_ADDRESS,
    healthPort,
    filterChains(chain),
    bufferLimit(),
    ignoreGlobalConnectionLimit(),
  );
}
