/** Inbound mTLS: the sidecar terminates the mesh's TLS and demands a client certificate from the trust bundle. */
import type { Configurer } from "../configurer";
import { extensionNames, typeUrls } from "../typeUrls";
import type { FilterChain } from "../types";
import { certificateSecretConfig, trustBundleSecretConfig } from "../common/sdsConfig";

export interface DownstreamTlsOptions {
  /** ALPN to offer; HTTP services offer h2 and http/1.1, TCP services none. */
  readonly alpnProtocols: readonly string[];
}

export function downstreamTls(options: DownstreamTlsOptions): Configurer<FilterChain> {
  return (chain) => {
    chain.transport_socket = {
      name: extensionNames.tls,
      typed_config: {
        "@type": typeUrls.downstreamTls,
        // Without a client certificate there is no peer identity, and RBAC would have nothing to match on.
        require_client_certificate: true,
        common_tls_context: {
          tls_params: { tls_minimum_protocol_version: "TLSv1_2" },
          tls_certificate_sds_secret_configs: [certificateSecretConfig()],
          validation_context_sds_secret_config: trustBundleSecretConfig(),
          ...(options.alpnProtocols.length > 0 ? { alpn_protocols: [...options.alpnProtocols] } : {}),
        },
      },
    };
  };
}
