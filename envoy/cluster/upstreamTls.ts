/**
 * Upstream mTLS: present our certificate, verify the peer is the target service in the datacenter the socket's
 * endpoints are in (that datacenter's SPIFFE ID, not any of the target's), and send the SNI gateways route on.
 *
 * SNI and failover: one Envoy cluster mixes local endpoints (priority 0) and endpoints behind mesh gateways
 * (priority 1). Each datacenter needs its own SNI, `<svc>.<ns>.<dc>.internal.<td>`, so gateways know where a
 * connection goes. We use `transport_socket_matches`: gateway endpoints carry `envoy.transport_socket_match`
 * metadata `{datacenter: <dc>}` and get a TLS socket with that datacenter's SNI; endpoints without metadata (the
 * local instances) use the cluster's default socket, with the local datacenter's SNI. The local gateway then
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

/**
 * Default socket for `localDatacenter`, one matched socket per remote datacenter. Each matches the SAN of its own
 * datacenter's instances only.
 */
export function upstreamTls(
  mesh: Mesh,
  target: MeshService,
  localDatacenter: string,
  remoteDatacenters: readonly string[],
): Configurer<Cluster> {
  return (cluster) => {
    cluster.transport_socket = upstreamTlsSocket(mesh, target, localDatacenter);
    if (remoteDatacenters.length === 0) return;
    cluster.transport_socket_matches = remoteDatacenters.map((dc) => ({
      name: `dc_${dc}`,
      match: datacenterMatch(dc),
      transport_socket: upstreamTlsSocket(mesh, target, dc),
    }));
  };
}
