/**
 * The edge: an edge service's public listener, for clients outside the mesh. It terminates TLS with a user-supplied
 * certificate or the service's own, which the mesh CA then issues with the edge's DNS names beside the SPIFFE ID
 * (pki/identity.ts), and asks for no client certificate: these clients have none. In place of mTLS it is rate-limited, hardened like every
 * 0.0.0.0 listener, admits only the configured client ranges (RBAC on the TCP peer address), and routes to the
 * local app only.
 *
 * `x-forwarded-client-cert`: a client could send one naming any mesh identity. This HCM leaves
 * `forward_client_cert_details` unset, so Envoy's default SANITIZE applies and the header is removed before the
 * app sees it (source/common/http/conn_manager_utility.cc, mutateXfccRequestHeader: SANITIZE removes XFCC); nothing
 * here may override that (tests/envoy/edge.spec.ts and the edge policy check it).
 */
import { findService, type Mesh, type MeshEdge, type MeshService, type ServiceInstance } from "../../model/mesh";
import { envoyNames } from "../../model/names";
import { buildFilterChain, buildHttpConnectionManager, buildListener } from "../builders";
import { configureIf, type Configurer } from "../configurer";
import { ANY_ADDRESS } from "../common/address";
import { certificateSecretConfig, edgeCertificateSecretConfig } from "../common/sdsConfig";
import { extensionNames, typeUrls } from "../typeUrls";
import type {
  AddressPrincipal,
  EdgeTlsContext,
  FilterChain,
  HttpConnectionManager,
  HttpRbac,
  Listener,
  RbacRules,
  SdsSecretConfig,
} from "../types";
import { httpConnectionManager } from "./filters";
import { httpHardening } from "./hardening";
import { requestAccessLog } from "./requestLog";
import { bufferLimit, filterChains } from "./listenerOptions";
import { routeTimeout } from "./outbound";
import { localRateLimit } from "./rateLimit";
import { routeToCluster, router } from "./router";
import { tracing } from "./tracing";
import { websocketUpgrades } from "./upgrades";

export const EDGE_RBAC_POLICY = "edge_clients";

/**
 * The edge's server certificate: the user's, files in `envoyFiles.edgeCertificateDirectory` (a Kubernetes TLS
 * Secret or a Docker host directory mounted there) named by the SDS file `edge-certificate.yaml`; or else the
 * service's mesh leaf, which the CA then issues with the edge's DNS names.
 */
export function edgeCertificates(edge: MeshEdge): SdsSecretConfig[] {
  return [edge.certificate ? edgeCertificateSecretConfig() : certificateSecretConfig()];
}

/** Server-side TLS only; ALPN offers h2 so browsers and gRPC clients multiplex. */
export function edgeTls(edge: MeshEdge): Configurer<FilterChain> {
  const context: EdgeTlsContext = {
    "@type": typeUrls.downstreamTls,
    require_client_certificate: false,
    common_tls_context: {
      tls_params: { tls_minimum_protocol_version: "TLSv1_2" },
      tls_certificate_sds_secret_configs: edgeCertificates(edge),
      alpn_protocols: ["h2", "http/1.1"],
    },
  };
  return (chain) => {
    chain.transport_socket = { name: extensionNames.tls, typed_config: context };
  };
}

function cidrPrincipal(cidr: string): AddressPrincipal {
  const [address, length] = cidr.split("/");
  return { direct_remote_ip: { address_prefix: address ?? cidr, prefix_len: Number(length) } };
}

export function edgeRbacRules(edge: MeshEdge): RbacRules<AddressPrincipal> {
  return {
    action: "ALLOW",
    policies: {
      [EDGE_RBAC_POLICY]: { permissions: [{ any: true }], principals: edge.allowedClientCidrs.map(cidrPrincipal) },
    },
  };
}

export function edgeRbac(edge: MeshEdge): Configurer<HttpConnectionManager> {
  const config: HttpRbac<AddressPrincipal> = { "@type": typeUrls.httpRbac, rules: edgeRbacRules(edge) };
  return (hcm) => {
    hcm.http_filters.push({ name: extensionNames.httpRbac, typed_config: config });
  };
}

export function edgeListener(mesh: Mesh, service: MeshService, edge: MeshEdge): Listener {
  const name = envoyNames.edgeListener;
  const hcm = buildHttpConnectionManager(
    name,
    httpHardening(),
    requestAccessLog(),
    configureIf(service.protocol === "http", websocketUpgrades()),
    tracing(mesh, service.name),
    localRateLimit(`${name}_ratelimit`, edge.rateLimit),
    edgeRbac(edge),
    router(name, [routeToCluster(envoyNames.localAppCluster, { timeout: routeTimeout(service.calls) })]),
  );
  return buildListener(
    name,
    ANY_ADDRESS,
    edge.port,
    filterChains(buildFilterChain(name, edgeTls(edge), httpConnectionManager(hcm))),
    bufferLimit(),
  );
}

/** The edge listener of an instance's service, if it is an edge service (TCP services have none). */
export function edgeListenerFor(mesh: Mesh, instance: ServiceInstance): Listener | undefined {
  const service = findService(mesh, instance.service);
  if (!service.edge) return undefined;
  if (service.protocol === "tcp") throw new Error(`edge service ${service.name}: the edge speaks HTTP; tcp has none`);
  return edgeListener(mesh, service, service.edge);
}
