/**
 * The gateway listener: tls_inspector reads SNI, and each filter chain matches server names and proxies bytes.
 * The mesh's mTLS passes through untouched (no transport socket): a gateway never sees plaintext.
 */
import { findCluster, type Mesh } from "../../model/mesh";
import { envoyNames } from "../../model/names";
import { buildFilterChain, buildListener } from "../builders";
import { ANY_ADDRESS } from "../common/address";
import type { FilterChain, Listener } from "../types";
import { matchServerNames, tcpProxy } from "../listener/filters";
import { bufferLimit, filterChains, tlsInspector } from "../listener/listenerOptions";
import { localRoutes, remoteRoutes } from "./routes";

export function gatewayFilterChains(mesh: Mesh, cluster: string): FilterChain[] {
  const local = localRoutes(mesh, cluster).map((r) => {
    const target = envoyNames.gatewayLocalCluster(r.service);
    return buildFilterChain(target, matchServerNames([r.sni]), tcpProxy(target, target));
  });
  const remote = remoteRoutes(mesh, cluster).map((r) => {
    const target = envoyNames.gatewayRemoteCluster(r.cluster);
    return buildFilterChain(target, matchServerNames(r.serverNames), tcpProxy(target, target));
  });
  return [...local, ...remote];
}

/** Undefined when the cluster neither exports nor imports anything: Envoy rejects a listener with no chains. */
export function gatewayListener(mesh: Mesh, cluster: string): Listener | undefined {
  const chains = gatewayFilterChains(mesh, cluster);
  if (chains.length === 0) return undefined;
  const port = findCluster(mesh, cluster).gateway.port;
  return buildListener(
    envoyNames.gatewayListener,
    ANY_ADDRESS,
    port,
    tlsInspector(),
    filterChains(...chains),
    bufferLimit(),
  );
}
