/** The inbound mTLS listener: everything other services send this instance arrives here. */
import { allowedSourceSpiffeIds, findService, type Mesh, type ServiceInstance } from "../../model/mesh";
import { envoyNames } from "../../model/names";
import { buildFilterChain, buildHttpConnectionManager, buildListener } from "../builders";
import { ANY_ADDRESS } from "../common/address";
import type { Listener } from "../types";
import { downstreamTls } from "./tls";
import { connectionRateLimit, localRateLimit } from "./rateLimit";
import { routeTimeout } from "./outbound";
import { forwardCallerIdentity } from "./clientCert";
import { websocketUpgrades } from "./upgrades";
import { configureIf } from "../configurer";
import { httpRbac, networkRbac } from "./rbac";
import { routeToCluster, router } from "./router";
import { httpHardening } from "./hardening";
import { requestAccessLog } from "./requestLog";
import { tracing } from "./tracing";
import { httpConnectionManager, tcpProxy } from "./filters";
import { bufferLimit, filterChains } from "./listenerOptions";

export function inboundListener(mesh: Mesh, instance: ServiceInstance): Listener {
  const service = findService(mesh, instance.service);
  const name = envoyNames.inboundListener;
  const allowed = allowedSourceSpiffeIds(mesh, service.name);
  const local = envoyNames.localAppCluster;

  const chain =
    service.protocol === "tcp"
      ? buildFilterChain(
          name,
          downstreamTls({ alpnProtocols: [] }),
          // Connections, not requests, are what a TCP service can be flooded with.
          connectionRateLimit(`${name}_ratelimit`, service.rateLimit),
          networkRbac(`${name}_rbac`, allowed),
          tcpProxy(name, local),
        )
      : buildFilterChain(
          name,
          downstreamTls({ alpnProtocols: ["h2", "http/1.1"] }),
          httpConnectionManager(
            buildHttpConnectionManager(
              name,
              httpHardening(),
              requestAccessLog(),
              forwardCallerIdentity(),
              configureIf(service.protocol === "http", websocketUpgrades()),
              tracing(mesh, service.name),
              // Order matters and the builder enforces it: rate limit, then RBAC, then the router.
              localRateLimit(`${name}_ratelimit`, service.rateLimit),
              httpRbac(allowed),
              router(name, [routeToCluster(local, { timeout: routeTimeout(service.calls) })]),
            ),
          ),
        );

  return buildListener(name, ANY_ADDRESS, mesh.sidecar.proxyPort, filterChains(chain), bufferLimit());
}
