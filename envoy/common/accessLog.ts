/** JSON access logs to stdout, where the container runtime collects them. */
import { extensionNames, typeUrls } from "../typeUrls";
import type { AccessLog, Struct } from "../types";

export const STDOUT = "/dev/stdout";

const HTTP_FIELDS: Struct = {
  start_time: "%START_TIME%",
  method: "%REQ(:METHOD)%",
  path: "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
  protocol: "%PROTOCOL%",
  response_code: "%RESPONSE_CODE%",
  response_flags: "%RESPONSE_FLAGS%",
  bytes_received: "%BYTES_RECEIVED%",
  bytes_sent: "%BYTES_SENT%",
  duration_ms: "%DURATION%",
  upstream_cluster: "%UPSTREAM_CLUSTER%",
  upstream_host: "%UPSTREAM_HOST%",
  downstream_peer_uri_san: "%DOWNSTREAM_PEER_URI_SAN%",
  request_id: "%REQ(X-REQUEST-ID)%",
};

const TCP_FIELDS: Struct = {
  start_time: "%START_TIME%",
  response_flags: "%RESPONSE_FLAGS%",
  bytes_received: "%BYTES_RECEIVED%",
  bytes_sent: "%BYTES_SENT%",
  duration_ms: "%DURATION%",
  upstream_cluster: "%UPSTREAM_CLUSTER%",
  upstream_host: "%UPSTREAM_HOST%",
  requested_server_name: "%REQUESTED_SERVER_NAME%",
  downstream_peer_uri_san: "%DOWNSTREAM_PEER_URI_SAN%",
};

function stdoutLog(fields: Struct | undefined): AccessLog {
  return {
    name: extensionNames.fileAccessLog,
    typed_config: {
      "@type": typeUrls.fileAccessLog,
      path: STDOUT,
      ...(fields ? { log_format: { json_format: { ...fields } } } : {}),
    },
  };
}

/**
 * Every traffic HTTP listener (inbound, edge, outbound; not health or Prometheus: listener/requestLog.ts): one JSON
 * schema for log pipelines (a field that does not apply, such as an outbound call's peer SAN, reads "-").
 */
export const httpAccessLog = (): AccessLog => stdoutLog(HTTP_FIELDS);
export const tcpAccessLog = (): AccessLog => stdoutLog(TCP_FIELDS);
/** Admin requests, in Envoy's default format: who used admin (each scrape too, via the Prometheus listener). */
export const adminAccessLog = (): AccessLog => stdoutLog(undefined);
