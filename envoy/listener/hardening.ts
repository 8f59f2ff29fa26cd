/**
 * HTTP hardening from Envoy's "edge proxy" best practices, for listeners on 0.0.0.0 (inbound, health,
 * prometheus): they face other workloads and the network, so they get the same defaults an edge would.
 * Outbound listeners bind 127.0.0.1 and only the local app reaches them: `loopbackHttpOptions` below.
 */
import type { Configurer } from "../configurer";
import type { HttpConnectionManager } from "../types";

export function httpHardening(): Configurer<HttpConnectionManager> {
  return (hcm) => {
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
  };
}

/**
 * Outbound (loopback) listeners: the only client is the local app, which already owns the sidecar's identity, so
 * the edge options that guard against untrusted downstreams are left at Envoy's defaults (header-with-underscore
 * rejection, path normalisation, HTTP/2 window and stream caps, use_remote_address, request_timeout). What bounds
 * a stuck call stays explicit: the connection idle and stream idle timeouts here, and the route's timeout and
 * retry policy. The access log is not an option of either: `requestAccessLog` (requestLog.ts) says which listeners log.
 */
export function loopbackHttpOptions(): Configurer<HttpConnectionManager> {
  return (hcm) => {
    hcm.common_http_protocol_options = { idle_timeout: "3600s" };
    hcm.stream_idle_timeout = "300s";
  };
}
