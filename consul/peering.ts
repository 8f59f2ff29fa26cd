/**
 * Where other clusters' Consul servers dial this cluster's servers for cluster peering.
 *
 * Servers peer directly, not through the mesh gateways (`PeerThroughMeshGateways` keeps its default, off: no `mesh` entry is written):
 * our gateways are self-managed Envoy with static routes for the mesh's service SNI names only, and peering's
 * control plane uses an SNI with Consul's own CA trust domain, which cannot be known before Consul runs. So each
 * peering token names the servers' gRPC TLS port (8503) at an address the other cluster can reach:
 * - Docker: every server also sits on the shared WAN network at a fixed address (model/wan.ts); all of them are
 *   listed, since only the leader accepts the stream and the dialer tries the addresses in turn.
 * - Kubernetes: the `consul-server-peering` LoadBalancer (8503 only) at `consul.peeringAddress`.
 *
 * TLS: the dialer verifies the server name and CA carried in the token, which Consul fills from its built-in
 * Connect CA (`server.<dc>.peering.<connect trust domain>`), and the server answers that SNI with its own
 * Connect-CA leaf. Our PKI's server certificate (pki/identity.ts) is not involved, and the dialled IP or host is
 * not checked against any SAN, so no address needs adding to it.
 */
import type { Mesh, MeshCluster } from "../model";
import { consulPorts } from "./names";

/** `host:port` of every address a peer dials to reach `cluster`'s servers, for `server_external_addresses`. */
export function peeringServerAddresses(_mesh: Mesh, cluster: MeshCluster): string[] {
  const hosts = cluster.addresses.peeringHosts;
  // Only a single-cluster mesh, which never peers, may leave Kubernetes' consul.peeringAddress unset (validate.ts).
  if (hosts.length === 0) throw new Error(`cluster ${cluster.name}: no address for other clusters to peer with`);
  return hosts.map((host) => `${host}:${consulPorts.grpcTls}`);
}
