/** Typed views of the TLS transport socket messages (extensions/transport_sockets/tls/v3). */
import type { Any, ConfigSource } from "./core";

export interface SdsSecretConfig {
  name: string;
  sds_config: ConfigSource;
}

export interface StringMatcher {
  exact: string;
}

export interface SubjectAltNameMatcher {
  san_type: "URI" | "DNS";
  matcher: StringMatcher;
}

export interface CommonTlsContext {
  tls_params: { tls_minimum_protocol_version: "TLSv1_2" | "TLSv1_3" };
  tls_certificate_sds_secret_configs: SdsSecretConfig[];
  validation_context_sds_secret_config?: SdsSecretConfig;
  combined_validation_context?: {
    default_validation_context: { match_typed_subject_alt_names: SubjectAltNameMatcher[] };
    validation_context_sds_secret_config: SdsSecretConfig;
  };
  alpn_protocols?: string[];
}

export interface DownstreamTlsContext extends Any {
  common_tls_context: CommonTlsContext;
  require_client_certificate: boolean;
}

/** A certificate and key read from files, reloaded when their directory is swapped (Kubernetes Secret volumes). */
export interface FileTlsCertificate {
  certificate_chain: { filename: string };
  private_key: { filename: string };
  watched_directory: { path: string };
}

/** The edge's server-only TLS: no client certificate, so no validation context. */
export interface EdgeTlsContext extends Any {
  common_tls_context: {
    tls_params: CommonTlsContext["tls_params"];
    tls_certificate_sds_secret_configs: SdsSecretConfig[];
    alpn_protocols: string[];
  };
  require_client_certificate: false;
}

export interface UpstreamTlsContext extends Any {
  common_tls_context: CommonTlsContext;
  sni: string;
}

export interface TransportSocket {
  name: string;
  typed_config: DownstreamTlsContext | UpstreamTlsContext | EdgeTlsContext;
}

/** An SDS resource in a file: `{resources: [Secret]}`. */
export interface Secret extends Any {
  name: string;
  tls_certificate?:
    { certificate_chain: { inline_string: string }; private_key: { filename: string } } | FileTlsCertificate;
  validation_context?: { trusted_ca: { inline_string: string } };
}
