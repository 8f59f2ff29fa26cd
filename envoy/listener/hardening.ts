/**
 * HTTP hardening from Envoy's "edge proxy" best practices. The inbound listener faces other workloads, so it
 * gets the same defaults an edge would; outbound listeners get them too, since the local app is not trusted more.
 */
import type { Configurer } from "../configurer";
import type { HttpConnectionManager } from "../types";
import { httpAccessLog } from "../common/accessLog";

export function httpHardening(): Configurer<HttpConnectionManager> {
  return (hcm) => {
    hcm.codec_type = "AUTO";
    hcm.common_http_protocol_options = {
      idle_timeout: "3600s",
      // Underscored headers can smuggle past proxies that normalise them to dashes.
      headers_with_underscores_action: "REJECT_REQUEST",
    };
    hcm.http2_protocol_options = {
      max_concurrent_streams: 100,
      initial_stream_window_size: 65536,
      initial_connection_window_size: 1048576,
    };
    hcm.stream_idle_timeout = "300s";
    hcm.request_timeout = "300s";
    hcm.use_remote_address = true;
    // Normalise before RBAC or routing sees the path, so "/a/../b" and "/a//b" cannot dodge a match.
    hcm.normalize_path = true;
    hcm.merge_slashes = true;
    hcm.path_with_escaped_slashes_action = "UNESCAPE_AND_REDIRECT";
    hcm.access_log = [httpAccessLog()];
  };
}
