/** Typed views of clusters and endpoints (config/cluster/v3, config/endpoint/v3). */
import type { Address, Any, Duration, Metadata, Struct, TypedExtensionConfig } from "./core";
import type { TransportSocket } from "./tls";

export interface LbEndpoint {
  endpoint: { address: Address };
  metadata?: Metadata;
}

export interface LocalityLbEndpoints {
  locality?: { zone: string };
  priority?: number;
  lb_endpoints: LbEndpoint[];
}

export interface ClusterLoadAssignment {
  cluster_name: string;
  endpoints: LocalityLbEndpoints[];
}

export interface CircuitBreakers {
  thresholds: Array<{
    /** Unset means DEFAULT. */
    priority?: "DEFAULT" | "HIGH";
    max_connections: number;
    max_pending_requests: number;
    max_requests: number;
    max_retries: number;
  }>;
}

export interface OutlierDetection {
  consecutive_5xx: number;
  interval: Duration;
  base_ejection_time: Duration;
  max_ejection_percent: number;
}

export interface HttpProtocolOptions extends Any {
  explicit_http_config: { http2_protocol_options: Record<string, never> };
}

export interface TransportSocketMatch {
  name: string;
  match: Struct;
  transport_socket: TransportSocket;
}

export interface Cluster extends Any {
  name: string;
  type?: "STATIC" | "STRICT_DNS";
  connect_timeout?: Duration;
  lb_policy?: "ROUND_ROBIN";
  load_assignment?: ClusterLoadAssignment;
  circuit_breakers?: CircuitBreakers;
  outlier_detection?: OutlierDetection;
  transport_socket?: TransportSocket;
  transport_socket_matches?: TransportSocketMatch[];
  typed_extension_protocol_options?: Record<string, HttpProtocolOptions>;
  typed_dns_resolver_config?: TypedExtensionConfig;
  dns_lookup_family?: "V4_ONLY";
  dns_refresh_rate?: Duration;
  dns_failure_refresh_rate?: { base_interval: Duration; max_interval: Duration };
  respect_dns_ttl?: boolean;
  per_connection_buffer_limit_bytes?: number;
  health_checks?: Array<{
    timeout: Duration;
    interval: Duration;
    unhealthy_threshold: number;
    healthy_threshold: number;
    tcp_health_check: Record<string, never>;
  }>;
}
