/**
 * The `lucid-mesh:mesh` stack config, as a zod schema. Defaults come from the seed's quick reference
 * (rate limit, circuit breaker, timeouts, certificate validity, ports, registry TTL).
 *
 * Objects are strict, so a misspelled key is an error that names its path instead of a silently ignored setting.
 */
import { isIPv4 } from "node:net";
import { z } from "zod";
import { DEFAULT_TRUST_DOMAIN, SIDECAR_PORT_DEFAULTS } from "./names";

/** DNS-1123 label: what Consul, Kubernetes and Docker all accept as a name. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** DNS-1123 subdomain, for the trust domain. */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Options for a refinement whose fix is more specific than "correct the value": validate.ts shows `params.fix`
 * beside the message.
 */
function withFix(message: string, fix: string): { message: string; params: { fix: string } } {
  return { message, params: { fix } };
}

/** A DNS name (letters, digits, '-', dots), or an IPv4 address: no scheme, port or path. */
const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An IPv4 address (node's isIPv4: four numbers 0-255, no leading zeros) or a DNS name that is not all digits. */
export function isHost(value: string): boolean {
  return isIPv4(value) || (DNS_NAME.test(value) && !/^[\d.]+$/.test(value));
}

/** A host other programs dial: given as a URL or with a port, it would be dialled as a name that does not exist. */
function hostOnly(example: string, portKey: string) {
  return z
    .string()
    .min(1)
    .refine(
      isHost,
      withFix(
        "must be a host alone (an IPv4 address or DNS name), without scheme, port or path",
        `give only the host, such as ${example}; the port is ${portKey}`,
      ),
    );
}

const dnsLabel = z
  .string()
  .max(63, "must be at most 63 characters")
  .regex(
    DNS1123_LABEL,
    "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending alphanumeric",
  );

const port = z
  .number()
  .int("must be a whole number")
  .min(1, "must be a port from 1 to 65535")
  .max(65535, "must be a port from 1 to 65535");

const positive = z.number().positive("must be greater than 0");
const positiveInt = z.number().int("must be a whole number").positive("must be greater than 0");

/** An image reference: `repo[:tag][@sha256:digest]`. Pinning is the policy pack's job; here it only must parse. */
const imageRef = z
  .string()
  .regex(/^[a-z0-9]+([._/:-][a-z0-9]+)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/i, "must be an image reference");

export const rateLimitSchema = z.strictObject({
  /** Token-bucket refill, in requests per second. @default 1000 (seed) */
  requestsPerSecond: positiveInt.default(1000),
  /** Token-bucket size. @default 2000 (seed) */
  burst: positiveInt.default(2000),
});

export const circuitBreakerSchema = z.strictObject({
  maxConnections: positiveInt.default(1000),
  maxPendingRequests: positiveInt.default(1000),
  maxRequests: positiveInt.default(1000),
  maxRetries: positiveInt.default(3),
});

export const outlierDetectionSchema = z.strictObject({
  /** Seed: failure_threshold 5. */
  consecutive5xx: positiveInt.default(5),
  /** Seed: recovery_timeout 30 s. */
  baseEjectionSeconds: positiveInt.default(30),
  intervalSeconds: positiveInt.default(10),
  maxEjectionPercent: z.number().int().min(1).max(100).default(50),
});

/** Envoy `retry_on` conditions (source/common/router/retry_state_impl.cc, parseRetryOn). */
const retryOn = z.enum([
  "5xx",
  "gateway-error",
  "reset",
  "reset-before-request",
  "connect-failure",
  "retriable-4xx",
  "refused-stream",
]);

/**
 * The default retries only what was never sent, so any method is safe to repeat: `gateway-error`, `5xx` and `reset`
 * also retry after a per-try timeout or a reset mid-request (retry_state_impl.cc, wouldRetryFromReset).
 */
export const SAFE_RETRY_ON = ["connect-failure", "refused-stream", "reset-before-request"] as const;

export const retrySchema = z.strictObject({
  attempts: z.number().int().min(0).max(10).default(2),
  /** No per-try timeout unless set: a timed-out try is reset, counts for outlier detection and may be retried. */
  perTryTimeoutSeconds: positive.optional(),
  retryOn: z
    .array(retryOn)
    .min(1)
    .default([...SAFE_RETRY_ON]),
});

/** Per-service overrides of `defaults.retries` and the route timeout, for calls to that service. */
export const serviceTrafficSchema = z.strictObject({
  retries: z
    .strictObject({
      attempts: z.number().int().min(0).max(10).optional(),
      perTryTimeoutSeconds: positive.optional(),
      retryOn: z.array(retryOn).min(1).optional(),
    })
    .optional(),
  /** Whole-request timeout on routes to this service; 0 turns it off. @default defaults.requestTimeoutSeconds, none for gRPC */
  requestTimeoutSeconds: z.number().min(0).max(3600).optional(),
});

export const trafficDefaultsSchema = z.strictObject({
  rateLimit: rateLimitSchema.prefault({}),
  circuitBreaker: circuitBreakerSchema.prefault({}),
  outlierDetection: outlierDetectionSchema.prefault({}),
  /** Seed: connect_timeout 0.25 s. */
  connectTimeoutSeconds: positive.max(60).default(0.25),
  /** Whole-request timeout on routes to non-streaming services; gRPC routes have none (Envoy's FAQ on streaming). */
  requestTimeoutSeconds: positive.max(3600).default(15),
  retries: retrySchema.prefault({}),
});

export const securitySchema = z.strictObject({
  /** Only `strict` exists: plaintext mesh traffic is not offered. */
  mtls: z.literal("strict").default("strict"),
  /** Seed: CERT_VALIDITY_DAYS=90. */
  certValidityDays: positiveInt.max(397).default(90),
  /** Renew this long before expiry. @default a third of certValidityDays (seed: AUTO_ROTATE_CERTS). */
  earlyRenewalDays: positiveInt.optional(),
  /** Per-cluster intermediate CA validity. @default 365; must be ≥ 3 × certValidityDays. */
  intermediateValidityDays: positiveInt.default(365),
  /** Root CA validity. @default 3650; must be ≥ intermediateValidityDays. */
  rootValidityDays: positiveInt.default(3650),
  keyAlgorithm: z.enum(["ECDSA-P256", "ECDSA-P384", "RSA-2048", "RSA-4096"]).default("ECDSA-P256"),
  /** Intentions' fallback. `deny` is the only safe value; `allow` exists so the policy pack has something to stop. */
  defaultIntention: z.enum(["deny", "allow"]).default("deny"),
});

/**
 * The Envoy v3 API the offline validator checks (envoy/validator/protos.ts loads the protos @grpc/grpc-js-xds vendors),
 * recorded beside the image pinned to it: @grpc/grpc-js-xds 1.14.1's deps/envoy-api submodule (grpc/grpc-node) is
 * envoyproxy/data-plane-api f8b75d1e, mirrored from envoyproxy/envoy main @ 799e3e2c on 2024-07-19, the day Envoy
 * v1.31.0 was released. tests/envoy-validator/apiVersion.spec.ts checks the installed protos are these.
 */
export const ENVOY_VALIDATOR_API = {
  protos: "@grpc/grpc-js-xds@1.14.1",
  dataPlaneApiCommit: "f8b75d1efa92bbf534596a013d9ca5873f79dd30",
  envoyCommit: "799e3e2cb6b4058912538e920b22a76edd55e283",
  envoyRelease: "1.31",
} as const;

export const sidecarSchema = z.strictObject({
  /** Envoy 1.31, the release whose API the validator checks (ENVOY_VALIDATOR_API). */
  image: imageRef.default("envoyproxy/envoy:v1.31.10"),
  /** Ports: see SIDECAR_PORT_DEFAULTS. The admin port is bound to loopback only. */
  adminPort: port.default(SIDECAR_PORT_DEFAULTS.adminPort),
  proxyPort: port.default(SIDECAR_PORT_DEFAULTS.proxyPort),
  metricsPort: port.default(SIDECAR_PORT_DEFAULTS.metricsPort),
  healthPort: port.default(SIDECAR_PORT_DEFAULTS.healthPort),
  cpus: positive.default(0.5),
  memoryMb: positiveInt.default(256),
});

export const tracingSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** An OpenTelemetry collector reachable from every sidecar. */
  collectorHost: hostOnly("otel-collector", "observability.tracing.collectorPort").default("otel-collector"),
  collectorPort: port.default(4317),
});

export const observabilitySchema = z.strictObject({
  /** Seed: ENABLE_METRICS=true. */
  metrics: z.boolean().default(true),
  /** Seed: TRACING_ENABLED. */
  tracing: tracingSchema.prefault({}),
  /** Run a pinned Prometheus with the generated scrape config and alerts. */
  prometheus: z.boolean().default(false),
  alerts: z
    .strictObject({
      certExpiryWarningDays: positiveInt.default(30),
      certExpiryCriticalDays: positiveInt.default(7),
      errorRatioThreshold: z.number().gt(0).lt(1).default(0.05),
      rateLimitedPerSecondThreshold: positive.default(10),
    })
    .prefault({}),
});

export const discoverySchema = z.strictObject({
  /** Seed: SERVICE_REGISTRY_TTL=60: a critical instance is deregistered after this long. */
  registryTtlSeconds: positiveInt.default(60),
  /** Seed: health_checker.default_interval = 30. */
  healthCheckIntervalSeconds: positiveInt.default(30),
  /** Seed: health_checker.default_timeout = 10. */
  healthCheckTimeoutSeconds: positiveInt.default(10),
});

export const consulSchema = z.strictObject({
  /** 1 only in dev; otherwise 3 or 5 (odd, for Raft quorum). */
  servers: positiveInt.default(3),
  image: imageRef.default("hashicorp/consul:1.20.6"),
  ui: z.boolean().default(true),
  /** Host port for the HTTPS API on Docker. Nothing is published when unset. */
  publishApiPort: port.optional(),
  /** Persistent volume size on Kubernetes. */
  storageGi: positiveInt.default(10),
  /**
   * Kubernetes: the host (reserved LoadBalancer IP or DNS name) other clusters' Consul servers dial for cluster
   * peering, on the gRPC TLS port. Required on multi-cluster Kubernetes. Docker servers have fixed WAN addresses.
   */
  peeringAddress: z
    .string()
    .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, "must be an IPv4 address or a DNS name, without a port")
    .optional(),
});

export const gatewaySchema = z.strictObject({
  /** The mesh gateway's listener port. */
  port: port.default(8443),
  /** The address other clusters dial. Docker: derived from the WAN network. Kubernetes: the LoadBalancer's reserved IP or name. */
  wanAddress: hostOnly("203.0.113.10", "gateway.port").optional(),
  replicas: positiveInt.default(1),
  /** Connect timeout from this gateway to other clusters' gateways: a WAN hop (Consul's default is 5 s). */
  remoteConnectTimeoutSeconds: positive.max(60).default(5),
});

/**
 * A cluster's platform settings block, which its `platform` requires: what a missing one is reported as, and how to
 * fix it (validate.ts attaches the fix).
 */
export const missingPlatformSettings = {
  docker: { message: "a docker cluster needs its docker settings", fix: 'add docker: { subnet: "10.10.1.0/24" }' },
  kubernetes: {
    message: "a kubernetes cluster needs its kubernetes settings",
    fix: "add kubernetes: { context, consulDnsIP, consulApiAddress }",
  },
} as const;

/** Reports a missing block with its own message; other issues keep zod's. */
function settingsError(platform: keyof typeof missingPlatformSettings) {
  return {
    error: (issue: { input?: unknown }) =>
      issue.input === undefined ? missingPlatformSettings[platform].message : undefined,
  };
}

const dockerPlatformFields = {
  /** Docker daemon. @default the local socket */
  host: z.string().min(1).default("unix:///var/run/docker.sock"),
  /** The cluster network's /24, so Consul DNS has a fixed address Envoy can resolve through. */
  subnet: z
    .string()
    .refine(
      (s) => s.endsWith(".0/24") && isIPv4(s.slice(0, -3)),
      withFix(
        "must be an IPv4 /24 such as 10.10.1.0/24: four numbers from 0 to 255, the last 0",
        "correct the address; dockerd parses it with Go's net/netip, which refuses a number above 255",
      ),
    ),
};

export const dockerPlatformSchema = z.strictObject(dockerPlatformFields, settingsError("docker"));

const kubernetesPlatformFields = {
  /** kubeconfig context for this cluster. */
  context: z.string().min(1),
  /** Path to a kubeconfig. @default the user's default kubeconfig */
  kubeconfig: z.string().min(1).optional(),
  namespace: dnsLabel.default("lucid-mesh"),
  /**
   * The ClusterIP reserved for the Consul DNS Service, which Envoy uses as its resolver. Kubernetes refuses an
   * address outside the cluster's Service CIDR (`--service-cluster-ip-range`); only the cluster knows that range.
   */
  consulDnsIP: z
    .string()
    .refine(
      isIPv4,
      withFix(
        "must be an IPv4 address: four numbers from 0 to 255 without leading zeros",
        "give a free address inside the cluster's Service CIDR (kube-apiserver --service-cluster-ip-range), such as 10.96.0.53",
      ),
    ),
  storageClass: z.string().min(1).optional(),
  /**
   * The address reserved for the `consul-server-api` LoadBalancer (bound through `loadBalancerIP`): where Pulumi
   * reaches this cluster's Consul HTTPS API. Distinct per cluster, reachable from where `pulumi up` runs, and in the
   * Consul server certificate.
   */
  consulApiAddress: z.ipv4("must be the IPv4 address reserved for the consul-server-api LoadBalancer"),
  /** Annotations on the consul-server-api LoadBalancer, such as your cloud's "internal load balancer" one. */
  consulApiAnnotations: z.record(z.string().min(1), z.string()).default({}),
};

export const kubernetesPlatformSchema = z.strictObject(kubernetesPlatformFields, settingsError("kubernetes"));

const clusterFields = {
  name: dnsLabel,
  /** Consul datacenter. @default the cluster name */
  datacenter: dnsLabel.optional(),
  consul: consulSchema.prefault({}),
  gateway: gatewaySchema.prefault({}),
};

/**
 * A cluster is on one platform and carries that platform's settings only: a union on `platform`, so a missing block
 * or the other platform's block is a schema error at its own path.
 */
export const clusterSchema = z.discriminatedUnion("platform", [
  z.strictObject({ ...clusterFields, platform: z.literal("docker"), docker: dockerPlatformSchema }),
  z.strictObject({ ...clusterFields, platform: z.literal("kubernetes"), kubernetes: kubernetesPlatformSchema }),
]);

export const upstreamSchema = z.strictObject({
  service: dnsLabel,
  /** Loopback port the app dials to reach the upstream through its sidecar. */
  localPort: port,
});

/** A public entry point: a TLS listener (no client certificate) on the service's sidecar, routed to its app. */
export const edgeSchema = z.strictObject({
  /** The public listener's port inside the workload. */
  port: port.default(8443),
  /**
   * DNS names clients use. Without `certificate`, the mesh CA adds them to the service's certificate, which the edge
   * listener serves (clients must trust the mesh root).
   */
  dnsNames: z.array(z.string().regex(DNS1123_SUBDOMAIN, "must be a lower-case DNS name")).default([]),
  /** A user-supplied server certificate (`tls.crt` and `tls.key`), instead of one from the mesh CA. */
  certificate: z
    .strictObject({
      /** Kubernetes: a `kubernetes.io/tls` Secret in the mesh namespace. */
      kubernetesSecret: z.string().max(253).regex(DNS1123_SUBDOMAIN, "must be a Secret name").optional(),
      /** Docker: a host directory holding `tls.crt` and `tls.key`, mounted read-only. */
      dockerHostPath: z
        .string()
        .regex(/^\/\S*$/, "must be an absolute path")
        .optional(),
    })
    .optional(),
  /** Client source ranges the edge's RBAC admits (CIDR). @default every IPv4 client */
  allowedClientCidrs: z
    .array(z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, "must be an IPv4 CIDR such as 203.0.113.0/24"))
    .min(1)
    .default(["0.0.0.0/0"]),
  /** Token bucket for edge requests, per sidecar. @default the service's rate limit */
  rateLimit: rateLimitSchema.optional(),
  /** Docker: publish the edge port on this 127.0.0.1 port. @default edge.port */
  hostPort: port.optional(),
  /** Kubernetes: the type of the `<service>-edge` Service. */
  serviceType: z.enum(["ClusterIP", "NodePort", "LoadBalancer"]).default("LoadBalancer"),
});

/**
 * Kubernetes Service names are DNS-1035 labels (k8s.io/apimachinery pkg/util/validation/validation.go,
 * IsDNS1035Label: `[a-z]([-a-z0-9]*[a-z0-9])?`), stricter than DNS-1123 in that they start with a letter. Every
 * service gets a Service on Kubernetes, so the rule holds on every platform and a dev mesh stays deployable to prod.
 */
const serviceName = dnsLabel.refine(
  (name) => /^[a-z]/.test(name),
  withFix(
    "must be a DNS-1035 label: start with a letter, as Kubernetes requires of Service names",
    "rename the service to start with a letter (api-v1, not 1-api), here and wherever it is named",
  ),
);

export const serviceSchema = z.strictObject({
  name: serviceName,
  port,
  protocol: z.enum(["http", "http2", "grpc", "tcp"]).default("http"),
  /** Clusters the service runs in. More than one gives cross-cluster failover. */
  clusters: z.array(dnsLabel).min(1, "must name at least one cluster"),
  instances: positiveInt.max(50).default(1),
  /** Run this image as the app. Without it the sidecar joins a workload the team deploys. */
  image: imageRef.optional(),
  /** Arguments for the app container's entrypoint. */
  args: z.array(z.string()).default([]),
  /** Environment for the app container. Never put secrets here. */
  env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name"), z.string()).default({}),
  /** The seed's health_check_url path. An empty value means a TCP check. */
  healthCheckPath: z
    .string()
    .regex(/^\/[^\s]*$/, "must be an absolute path such as /health")
    // Envoy matches a route's `path` against :path with the query string removed (route_components.proto,
    // RouteMatch.path), so the health route for "/health?deep=1" never matches and the check never passes.
    .refine(
      (path) => !/[?#]/.test(path),
      withFix(
        "must be a path alone, without a query string or fragment: Envoy matches routes on the path without the query",
        "drop everything from the ? or #, such as /health",
      ),
    )
    .default("/health"),
  tags: z.array(z.string().min(1)).default([]),
  meta: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "must be a Consul meta key"), z.string()).default({}),
  /** Overrides defaults.rateLimit for this service. */
  rateLimit: rateLimitSchema.optional(),
  upstreams: z.array(upstreamSchema).default([]),
  /** Retries and timeout for calls to this service (its callers' routes). */
  traffic: serviceTrafficSchema.optional(),
  /** Makes this an edge service: clients outside the mesh reach it over TLS. */
  edge: edgeSchema.optional(),
  /** Kubernetes: the team's existing Deployment to patch the sidecar into, when no image is given. @default the service name */
  deployment: dnsLabel.optional(),
  /**
   * Kubernetes: the team's namespace, holding its Deployment (patched, never owned) and the sidecar's ConfigMap,
   * Secret and Service. Required when the service has no image. @default the mesh namespace, for a mesh-run image
   */
  kubernetesNamespace: dnsLabel.optional(),
});

/** Consul: `len(src.Description) > metaValueMaxLength` (512, counted in bytes) refuses the config entry. */
export const INTENTION_DESCRIPTION_MAX_BYTES = 512;

export const intentionSchema = z.strictObject({
  source: z.union([dnsLabel, z.literal("*")]),
  destination: z.union([dnsLabel, z.literal("*")]),
  action: z.enum(["allow", "deny"]),
  /** Consul refuses a description over 512 bytes (agent/structs/config_entry_intentions.go, metaValueMaxLength). */
  description: z
    .string()
    .refine(
      (d) => Buffer.byteLength(d, "utf8") <= INTENTION_DESCRIPTION_MAX_BYTES,
      withFix(
        `must be at most ${INTENTION_DESCRIPTION_MAX_BYTES} bytes in UTF-8, Consul's limit`,
        "shorten the description (non-ASCII characters take 2 to 4 bytes each)",
      ),
    )
    .optional(),
});

export const meshConfigSchema = z.strictObject({
  /** `dev` allows a single Consul server and advisory policies. */
  environment: z.enum(["dev", "staging", "prod"]).default("dev"),
  /** SPIFFE trust domain. */
  trustDomain: z
    .string()
    .max(253)
    .regex(DNS1123_SUBDOMAIN, "must be a lower-case DNS name such as lucid.mesh")
    .default(DEFAULT_TRUST_DOMAIN),
  /** Seed: namespace "lucid". Part of every SPIFFE ID. */
  namespace: dnsLabel.default("lucid"),
  clusters: z.array(clusterSchema).min(1, "must declare at least one cluster"),
  defaults: trafficDefaultsSchema.prefault({}),
  security: securitySchema.prefault({}),
  sidecar: sidecarSchema.prefault({}),
  observability: observabilitySchema.prefault({}),
  discovery: discoverySchema.prefault({}),
  services: z.array(serviceSchema).default([]),
  intentions: z.array(intentionSchema).default([]),
});

/** What a user writes (defaults optional). */
export type MeshConfigInput = z.input<typeof meshConfigSchema>;
/** The parsed config with every default filled in. */
export type MeshConfig = z.output<typeof meshConfigSchema>;
export type ClusterConfig = MeshConfig["clusters"][number];
export type ServiceConfig = MeshConfig["services"][number];
export type IntentionConfig = MeshConfig["intentions"][number];
export type RateLimit = z.output<typeof rateLimitSchema>;
export type TrafficDefaults = MeshConfig["defaults"];
export type SecurityConfig = MeshConfig["security"];
export type SidecarConfig = MeshConfig["sidecar"];
export type ObservabilityConfig = MeshConfig["observability"];
export type DiscoveryConfig = MeshConfig["discovery"];
export type Protocol = ServiceConfig["protocol"];
export type RetryPolicyConfig = z.output<typeof retrySchema>;
export type EdgeConfig = z.output<typeof edgeSchema>;
export type Platform = ClusterConfig["platform"];
