/** Extension names and `@type` URLs, in one place so a typo is one fix. */
const t = (message: string): string => `type.googleapis.com/${message}`;

export const typeUrls = {
  listener: t("envoy.config.listener.v3.Listener"),
  cluster: t("envoy.config.cluster.v3.Cluster"),
  secret: t("envoy.extensions.transport_sockets.tls.v3.Secret"),
  httpConnectionManager: t("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"),
  tcpProxy: t("envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"),
  networkRbac: t("envoy.extensions.filters.network.rbac.v3.RBAC"),
  httpRbac: t("envoy.extensions.filters.http.rbac.v3.RBAC"),
  localRateLimit: t("envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"),
  networkLocalRateLimit: t("envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit"),
  healthCheck: t("envoy.extensions.filters.http.health_check.v3.HealthCheck"),
  router: t("envoy.extensions.filters.http.router.v3.Router"),
  tlsInspector: t("envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"),
  downstreamTls: t("envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"),
  upstreamTls: t("envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"),
  fileAccessLog: t("envoy.extensions.access_loggers.file.v3.FileAccessLog"),
  httpProtocolOptions: t("envoy.extensions.upstreams.http.v3.HttpProtocolOptions"),
  caresResolver: t("envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig"),
  fixedHeap: t("envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig"),
  downstreamConnections: t("envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig"),
  openTelemetry: t("envoy.config.trace.v3.OpenTelemetryConfig"),
} as const;

export const extensionNames = {
  httpConnectionManager: "envoy.filters.network.http_connection_manager",
  tcpProxy: "envoy.filters.network.tcp_proxy",
  networkRbac: "envoy.filters.network.rbac",
  httpRbac: "envoy.filters.http.rbac",
  localRateLimit: "envoy.filters.http.local_ratelimit",
  networkLocalRateLimit: "envoy.filters.network.local_ratelimit",
  healthCheck: "envoy.filters.http.health_check",
  router: "envoy.filters.http.router",
  tlsInspector: "envoy.filters.listener.tls_inspector",
  tls: "envoy.transport_sockets.tls",
  fileAccessLog: "envoy.access_loggers.file",
  caresResolver: "envoy.network.dns_resolver.cares",
  fixedHeap: "envoy.resource_monitors.fixed_heap",
  globalConnections: "envoy.resource_monitors.global_downstream_max_connections",
  openTelemetry: "envoy.tracers.opentelemetry",
} as const;
