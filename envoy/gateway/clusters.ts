/**
 * Gateway clusters: local instances through Consul DNS (the bootstrap's resolver), and other clusters' gateways
 * through the system resolver: their WAN address may be a host name Consul does not serve.
 */
import { findCluster, type Mesh } from "../../model/mesh";
import { consulDnsName, envoyNames } from "../../model/names";
import { buildCluster } from "../builders";
import type { Configurer } from "../configurer";
import type { Cluster } from "../types";
import { socketAddress } from "../common/address";
import { discovery } from "../cluster/basics";
import { circuitBreakers } from "../cluster/circuitBreakers";
import { outlierDetection } from "../cluster/outlierDetection";
import { dnsRefresh, systemDns } from "../cluster/dns";
import { loadAssignment } from "../cluster/loadAssignment";
import { localRoutes, remoteRoutes } from "./routes";

function dnsCluster(
  mesh: Mesh,
  name: string,
  connectTimeoutSeconds: number,
  host: string,
  port: number,
  ...extra: Configurer<Cluster>[]
): Cluster {
  return buildCluster(
    name,
    discovery("STRICT_DNS", connectTimeoutSeconds),
    dnsRefresh(),
    circuitBreakers(mesh.defaults.circuitBreaker),
    outlierDetection(mesh.defaults.outlierDetection),
    loadAssignment([{ lb_endpoints: [{ endpoint: { address: socketAddress(host, port) } }] }]),
    ...extra,
  );
}

export function gatewayClusters(mesh: Mesh, cluster: string): Cluster[] {
  const own = findCluster(mesh, cluster);
  const local = localRoutes(mesh, cluster).map((r) =>
    // Port: the target's sidecar inbound listener, which terminates the caller's mTLS.
    dnsCluster(
      mesh,
      envoyNames.gatewayLocalCluster(r.service),
      mesh.defaults.connectTimeoutSeconds,
      consulDnsName(r.service, own.datacenter),
      mesh.sidecar.proxyPort,
    ),
  );
  const remote = remoteRoutes(mesh, cluster).map((r) => {
    const peer = findCluster(mesh, r.cluster);
    // A WAN hop: the local 0.25 s connect timeout would fail a healthy peer across regions (Consul: 5 s).
    return dnsCluster(
      mesh,
      envoyNames.gatewayRemoteCluster(r.cluster),
      own.gateway.remoteConnectTimeoutSeconds,
      peer.gateway.wanAddress,
      peer.gateway.port,
      systemDns(),
    );
  });
  return [...local, ...remote];
}
