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

/** The edge's server-only TLS: no client certificate, so no validation context. */
export interface EdgeTlsContext extends Any {
  common_tls_context: Omit<CommonTlsContext, "validation_context_sds_secret_config" | "combined_validation_context">;
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
  tls_certificate?: { certificate_chain: { inline_string: string }; private_key: { filename: string } };
  validation_context?: { trusted_ca: { inline_string: string } };
}
