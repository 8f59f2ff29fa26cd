/** HTTP/2 to a cluster whose service speaks gRPC or h2c; HTTP/1.1 services keep Envoy's default. */
import type { Protocol } from "../../model/schema";
import { noop, type Configurer } from "../configurer";
import { typeUrls } from "../typeUrls";
import type { Cluster } from "../types";

/** Envoy keys protocol options by the extension's message name. */
const HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

export function speaksHttp2(protocol: Protocol): boolean {
  return protocol === "grpc" || protocol === "http2";
}

export function http2(protocol: Protocol): Configurer<Cluster> {
  if (!speaksHttp2(protocol)) return noop;
  return (cluster) => {
    cluster.typed_extension_protocol_options = {
      [HTTP_PROTOCOL_OPTIONS]: {
        "@type": typeUrls.httpProtocolOptions,
        explicit_http_config: { http2_protocol_options: {} },
      },
    };
  };
}
