/**
 * Upstream mTLS: present our certificate, verify the peer is the target service in the datacenter the socket's
 * endpoints are in (that datacenter's SPIFFE ID, not any of the target's), and send the SNI gateways route on.
 *
 * SNI and failover: one Envoy cluster mixes local endpoints (priority 0) and endpoints behind mesh gateways
 * (priority 1). Each datacenter needs its own SNI, `<svc>.<ns>.<dc>.internal.<td>`, so gateways know where a
 * connection goes. We use `transport_socket_matches`: gateway endpoints carry `envoy.transport_socket_match`
 * metadata `{datacenter: <dc>}` and get a TLS socket with that datacenter's SNI; endpoints without metadata (the
 * local instances) use the cluster's default socket, with the local datacenter's SNI. An upstream with no local
 * copy uses its first remote datacenter as the default instead, so a remote-only upstream in one datacenter has one
 * socket and no match metadata at all (a default socket no endpoint uses would be dead config). The local gateway then
 * forwards foreign-datacenter SNI to that datacenter's gateway, which routes its own SNI to local instances.
 * Each socket pins exactly one SPIFFE ID, its datacenter's: a priority-1 endpoint behind the west gateway must
 * present west's identity, so a compromised local instance cannot answer for the remote copy (or the reverse).
 */
import { serviceSni, serviceSpiffeId, type Mesh, type MeshService } from "../../model/mesh";
import type { Configurer } from "../configurer";
import { extensionNames, typeUrls } from "../typeUrls";
import type { Cluster, Struct, TransportSocket } from "../types";
import { certificateSecretConfig, trustBundleSecretConfig } from "../common/sdsConfig";
import { speaksHttp2 } from "./http2";

export const TRANSPORT_SOCKET_MATCH_KEY = "envoy.transport_socket_match";

/** Endpoint metadata that selects the transport socket for `datacenter`. */
export function datacenterMatch(datacenter: string): Struct {
  return { datacenter };
}

export function upstreamTlsSocket(mesh: Mesh, target: MeshService, datacenter: string): TransportSocket {
  return {
    name: extensionNames.tls,
    typed_config: {
      "@type": typeUrls.upstreamTls,
      sni: serviceSni(mesh, target.name, datacenter),
      common_tls_context: {
        tls_params: { tls_minimum_protocol_version: "TLSv1_2" },
        tls_certificate_sds_secret_configs: [certificateSecretConfig()],
        combined_validation_context: {
          default_validation_context: {
            match_typed_subject_alt_names: [
              { san_type: "URI" as const, matcher: { exact: serviceSpiffeId(mesh, target.name, datacenter) } },
            ],
          },
          validation_context_sds_secret_config: trustBundleSecretConfig(),
        },
        ...(target.protocol === "tcp" ? {} : { alpn_protocols: speaksHttp2(target.protocol) ? ["h2"] : ["http/1.1"] }),
      },
    },
  };
}

/** Which datacenter's socket is the cluster's default, and which ones endpoints select through match metadata. */
export interface UpstreamSockets {
  readonly defaultDatacenter: string;
  readonly matchedDatacenters: readonly string[];
}

/**
 * The default socket is the local datacenter's when the target runs locally, else the first remote one's; every
 * other datacenter the target runs in gets a matched socket. `remoteDatacenters` in name order.
 */
export function upstreamSockets(
  localDatacenter: string,
  runsLocally: boolean,
  remoteDatacenters: readonly string[],
): UpstreamSockets {
  const defaultDatacenter = runsLocally ? localDatacenter : (remoteDatacenters[0] ?? localDatacenter);
  return { defaultDatacenter, matchedDatacenters: remoteDatacenters.filter((dc) => dc !== defaultDatacenter) };
}

/** The default socket and one matched socket per other datacenter, each pinning its own datacenter's SAN only. */
export function upstreamTls(mesh: Mesh, target: MeshService, sockets: UpstreamSockets): Configurer<Cluster> {
  return (cluster) => {
    cluster.transport_socket = upstreamTlsSocket(mesh, target, sockets.defaultDatacenter);
    if (sockets.matchedDatacenters.length === 0) return;
    cluster.transport_socket_matches = sockets.matchedDatacenters.map((dc) => ({
      name: `dc_${dc}`,
      match: datacenterMatch(dc),
      transport_socket: upstreamTlsSocket(mesh, target, dc),
    }));
  };
}
