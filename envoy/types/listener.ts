/** Typed views of listeners and their network/HTTP filters (config/listener/v3, extensions/filters). */
import type { AccessLog, Address, Any, Duration, RuntimeFractionalPercent, TypedExtensionConfig } from "./core";
import type { StringMatcher, TransportSocket } from "./tls";

export interface Principal {
  authenticated: { principal_name: StringMatcher };
}

/** The TCP peer's address, never a header: `direct_remote_ip`. */
export interface AddressPrincipal {
  direct_remote_ip: { address_prefix: string; prefix_len: number };
}

export interface RbacPolicy<P = Principal> {
  permissions: Array<{ any: true }>;
  principals: P[];
}

/** Mesh RBAC matches SPIFFE IDs; the edge's matches client addresses (`AddressPrincipal`). */
export interface RbacRules<P = Principal> {
  action: "ALLOW" | "DENY";
  policies: Record<string, RbacPolicy<P>>;
}

export interface HttpRbac<P = Principal> extends Any {
  rules: RbacRules<P>;
}

export interface NetworkRbac extends Any {
  stat_prefix: string;
  rules: RbacRules;
}

export interface LocalRateLimit extends Any {
  stat_prefix: string;
  token_bucket: { max_tokens: number; tokens_per_fill: number; fill_interval: Duration };
  filter_enabled: RuntimeFractionalPercent;
  filter_enforced: RuntimeFractionalPercent;
}

export interface NetworkLocalRateLimit extends Any {
  stat_prefix: string;
  token_bucket: { max_tokens: number; tokens_per_fill: number; fill_interval: Duration };
  runtime_enabled: { default_value: boolean; runtime_key: string };
}

export interface HealthCheckFilter extends Any {
  pass_through_mode: boolean;
  headers: Array<{ name: string; string_match: { exact: string } }>;
  cluster_min_healthy_percentages: Record<string, { value: number }>;
}

export interface RetryPolicy {
  retry_on: string;
  num_retries: number;
  /** Unset unless configured: a per-try timeout resets the try and counts for outlier detection. */
  per_try_timeout?: Duration;
}

export interface Route {
  match: { prefix: string } | { path: string };
  route?: { cluster: string; timeout?: Duration; prefix_rewrite?: string; retry_policy?: RetryPolicy };
  direct_response?: { status: number };
}

export interface RouteConfiguration {
  name: string;
  /** False on every inline route config: see router.ts for why reload order needs it. */
  validate_clusters?: boolean;
  virtual_hosts: Array<{ name: string; domains: string[]; routes: Route[] }>;
}

export interface HttpFilter {
  name: string;
  typed_config: Any;
}

export interface HttpConnectionManager extends Any {
  stat_prefix: string;
  route_config?: RouteConfiguration;
  http_filters: HttpFilter[];
  access_log?: AccessLog[];
  common_http_protocol_options?: { idle_timeout: Duration; headers_with_underscores_action?: "REJECT_REQUEST" };
  http2_protocol_options?: {
    max_concurrent_streams: number;
    initial_stream_window_size: number;
    initial_connection_window_size: number;
  };
  stream_idle_timeout?: Duration;
  request_timeout?: Duration;
  use_remote_address?: boolean;
  normalize_path?: boolean;
  merge_slashes?: boolean;
  path_with_escaped_slashes_action?: "UNESCAPE_AND_REDIRECT";
  tracing?: { provider: TypedExtensionConfig };
  upgrade_configs?: Array<{ upgrade_type: string }>;
  forward_client_cert_details?: "SANITIZE" | "SANITIZE_SET";
  set_current_client_cert_details?: { uri: boolean };
}

export interface TcpProxy extends Any {
  stat_prefix: string;
  cluster: string;
  access_log?: AccessLog[];
}

export interface NetworkFilter {
  name: string;
  typed_config: HttpConnectionManager | TcpProxy | NetworkRbac | NetworkLocalRateLimit;
}

export interface FilterChain {
  name?: string;
  filter_chain_match?: { server_names: string[] };
  filters: NetworkFilter[];
  transport_socket?: TransportSocket;
}

export interface Listener extends Any {
  name: string;
  address: Address;
  filter_chains: FilterChain[];
  listener_filters?: TypedExtensionConfig[];
  per_connection_buffer_limit_bytes?: number;
  /** Keeps metrics scrapeable when the global connection limit is hit. */
  ignore_global_conn_limit?: boolean;
}
