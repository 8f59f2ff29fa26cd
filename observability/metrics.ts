/**
 * Every metric name the alert rules may use, each with where it is documented. The tests parse each rule with the
 * real PromQL grammar and fail if an expression names a metric that is not listed here, so an invented or
 * misspelled name cannot slip into the rules.
 *
 * Prometheus names: Envoy writes a stat `a.b.c` as `envoy_a_b_c`, after its default tag extractors have moved
 * the variable parts (cluster name, HCM stat prefix, response code class, rate-limit stat prefix) into labels.
 * Envoy does not append `_total` to counters. Consul (go-metrics' Prometheus sink) replaces `.` and `-` with `_`.
 */

/** The Envoy release the sidecar image pins (`sidecar.image` default); the doc links point at its docs. */
export const ENVOY_DOCS = "https://www.envoyproxy.io/docs/envoy/v1.31.10";

/** Envoy's default tag extractors (how `cluster.<name>.x` becomes `envoy_cluster_x{envoy_cluster_name="<name>"}`). */
export const ENVOY_TAG_EXTRACTORS =
  "https://github.com/envoyproxy/envoy/blob/v1.31.10/source/common/config/well_known_names.cc";

export interface MetricSource {
  /** The name as Prometheus stores it. */
  readonly name: string;
  readonly type: "counter" | "gauge" | "synthetic";
  /** The stat as the component documents it. */
  readonly nativeName: string;
  /** Labels the expressions rely on, beyond the target labels (cluster, datacenter, service, job, instance). */
  readonly labels: readonly string[];
  /** Documentation page that defines the metric. */
  readonly source: string;
  readonly description: string;
}

export const METRICS: readonly MetricSource[] = [
  {
    name: "envoy_server_days_until_first_cert_expiring",
    type: "gauge",
    nativeName: "server.days_until_first_cert_expiring",
    labels: [],
    source: `${ENVOY_DOCS}/configuration/observability/statistics#server`,
    description: "Days until the next certificate Envoy manages (SDS leaf or trust bundle) expires.",
  },
  {
    name: "envoy_http_downstream_rq_xx",
    type: "counter",
    nativeName: "http.<stat_prefix>.downstream_rq_<N>xx",
    labels: ["envoy_http_conn_manager_prefix", "envoy_response_code_class"],
    source: `${ENVOY_DOCS}/configuration/http/http_conn_man/stats#general-statistics`,
    description: "Responses by class (1xx..5xx) on an HTTP connection manager; the class becomes a label.",
  },
  {
    name: "envoy_http_local_rate_limit_rate_limited",
    type: "counter",
    nativeName: "<stat_prefix>.http_local_rate_limit.rate_limited",
    labels: ["envoy_local_http_ratelimit_prefix"],
    source: `${ENVOY_DOCS}/configuration/http/http_filters/local_rate_limit_filter#statistics`,
    description:
      "Requests the local rate limit found over the token bucket. The stat prefix becomes the " +
      "envoy_local_http_ratelimit_prefix label (Envoy's tag extractor `$.http_local_rate_limit.**`).",
  },
  {
    name: "envoy_cluster_update_failure",
    type: "counter",
    nativeName: "cluster.<name>.update_failure",
    labels: ["envoy_cluster_name"],
    source: `${ENVOY_DOCS}/configuration/upstream/cluster_manager/cluster_stats#general`,
    description: "Failed cluster membership updates: for STRICT_DNS clusters, failed DNS resolutions of the upstream.",
  },
  {
    name: "envoy_cluster_outlier_detection_ejections_active",
    type: "gauge",
    nativeName: "cluster.<name>.outlier_detection.ejections_active",
    labels: ["envoy_cluster_name"],
    source: `${ENVOY_DOCS}/configuration/upstream/cluster_manager/cluster_stats#outlier-detection-statistics`,
    description: "Upstream hosts currently ejected by outlier detection (Envoy's passive health checking).",
  },
  {
    name: "envoy_dns_cares_not_found",
    type: "counter",
    nativeName: "dns.cares.not_found",
    labels: [],
    source: `${ENVOY_DOCS}/intro/arch_overview/upstream/dns_resolution`,
    description:
      "DNS queries answered NXDOMAIN/NODATA. Consul DNS answers so when a service has no passing instance, " +
      "so this counts lookups of services whose health checks all fail (or that are not registered).",
  },
  {
    name: "envoy_dns_cares_get_addr_failure",
    type: "counter",
    nativeName: "dns.cares.get_addr_failure",
    labels: [],
    source: `${ENVOY_DOCS}/intro/arch_overview/upstream/dns_resolution`,
    description: "General failures of DNS queries (the resolver, Consul DNS here, answered with an error).",
  },
  {
    name: "envoy_dns_cares_timeout",
    type: "counter",
    nativeName: "dns.cares.timeout",
    labels: [],
    source: `${ENVOY_DOCS}/intro/arch_overview/upstream/dns_resolution`,
    description: "DNS queries that timed out (Consul DNS on port 8600 unreachable or overloaded).",
  },
  {
    name: "consul_health_service_not_found",
    type: "counter",
    nativeName: "consul.health.service.not-found",
    labels: ["service"],
    source: "https://developer.hashicorp.com/consul/docs/reference/agent/telemetry",
    description:
      "Health queries for a service that returned no instance, labelled with the queried service. Consul DNS " +
      "lookups are health queries, so this is the server-side view of a service nobody can discover.",
  },
  {
    name: "up",
    type: "synthetic",
    nativeName: "up",
    labels: [],
    source: "https://prometheus.io/docs/concepts/jobs_instances/#automatically-generated-labels-and-time-series",
    description: "1 if Prometheus's last scrape of the target succeeded, 0 if it failed.",
  },
];

/** Just the names, for membership checks. */
export const METRIC_NAMES: ReadonlySet<string> = new Set(METRICS.map((m) => m.name));
