/**
 * Every derived name in the mesh, in one place: SPIFFE IDs, SNI names, Consul names, Envoy object names and
 * resource names. Components and generators call these; none works a name out inline.
 */

export interface ServiceIdentityRef {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly datacenter: string;
  readonly service: string;
}

/** The trust domain's own ID, carried by the root CA. */
export function trustDomainId(trustDomain: string): string {
  return `spiffe://${trustDomain}`;
}

/** Consul's SPIFFE ID format for a service: `spiffe://<td>/ns/<ns>/dc/<dc>/svc/<svc>`. */
export function spiffeId(ref: ServiceIdentityRef): string {
  return `spiffe://${ref.trustDomain}/ns/${ref.namespace}/dc/${ref.datacenter}/svc/${ref.service}`;
}

/** Consul's SNI format for a service's mesh traffic: `<svc>.<ns>.<dc>.internal.<td>`. Gateways route on it. */
export function sniName(ref: ServiceIdentityRef): string {
  return `${ref.service}.${ref.namespace}.${ref.datacenter}.internal.${ref.trustDomain}`;
}

/** Health-aware Consul DNS name of a service's passing instances in a datacenter. */
export function consulDnsName(service: string, datacenter: string): string {
  return `${service}.service.${datacenter}.consul`;
}

/** The Consul service name a mesh gateway registers under. */
export const MESH_GATEWAY_SERVICE = "mesh-gateway";

/** Consul service ID of one instance, as the seed numbers them (`api-gateway-1`). */
export function consulServiceId(service: string, index: number): string {
  return `${service}-${index}`;
}

/** A unique name for one instance of a service in one cluster: Pulumi resource names and Docker containers use it. */
export function instanceName(cluster: string, service: string, index: number): string {
  return `${cluster}-${service}-${index}`;
}

/** Consul's server name for TLS hostname verification (`verify_server_hostname`). */
export function consulServerTlsName(datacenter: string): string {
  return `server.${datacenter}.consul`;
}

/** Envoy object names. Kept short and stable: they appear in stats and in the policy pack's checks. */
export const envoyNames = {
  localAppCluster: "local_app",
  inboundListener: "inbound",
  prometheusListener: "prometheus",
  healthListener: "health",
  /** An edge service's public TLS listener. */
  edgeListener: "edge",
  adminCluster: "self_admin",
  tracingCluster: "tracing_collector",
  /** SDS secret with the service's certificate chain and key. */
  certificateSecret: "mesh_certificate",
  /** SDS secret with the trust bundle (the root CA). */
  trustBundleSecret: "mesh_trust_bundle",
  /** SDS secret with a user-supplied edge certificate (file references only). */
  edgeCertificateSecret: "edge_certificate",
  upstreamCluster: (service: string): string => `upstream_${service}`,
  outboundListener: (service: string): string => `outbound_${service}`,
  gatewayListener: "mesh_gateway",
  /** Gateway: a service's instances in the gateway's own cluster. */
  gatewayLocalCluster: (service: string): string => `local_${service}`,
  /** Gateway: another cluster's gateway. */
  gatewayRemoteCluster: (cluster: string): string => `remote_gateway_${cluster}`,
} as const;

/** File names a sidecar loads, relative to its config directory. */
export const envoyFiles = {
  directory: "/etc/envoy",
  bootstrap: "bootstrap.yaml",
  listeners: "listener.yaml",
  clusters: "cluster.yaml",
  /**
   * The SDS files and the key live in their own watched directory, so a rotation is one atomic rename. It is a
   * sibling of the config directory, not inside it: Kubernetes cannot mount a Secret inside a read-only ConfigMap
   * volume.
   */
  secretsDirectory: "/etc/envoy-secrets",
  /** The leaf chain, inline: Envoy reloads it when this file moves in (the chain has no file of its own). */
  certificateSds: "certificate.yaml",
  /** The trust bundle, inline, likewise. */
  trustBundleSds: "trust-bundle.yaml",
  /** The one file the SDS secret names by path: the key, a secret that no YAML file holds. */
  privateKeyPem: "key.pem",
  /** SDS for a user-supplied edge certificate: it names the files below, so it is plain config beside the rest. */
  edgeCertificateSds: "edge-certificate.yaml",
  /** A user-supplied edge certificate, in a Kubernetes TLS Secret's key names. */
  edgeCertificateDirectory: "/etc/envoy-edge",
  edgeCertificatePem: "tls.crt",
  edgeKeyPem: "tls.key",
} as const;

/** Docker network shared by all clusters' mesh gateways. */
export const DOCKER_WAN_NETWORK = "lucid-mesh-wan";

/** Docker network of a cluster: Consul servers, consul-esm, sidecars and apps attach to it. */
export function dockerClusterNetworkName(cluster: string): string {
  return `lucid-mesh-${cluster}`;
}

/** Prefix of a Docker cluster's Consul server containers, which are also their hostnames and node names. */
export function dockerConsulServerNodePrefix(cluster: string): string {
  return `${cluster}-consul-`;
}

/** The one mesh gateway container of a Docker cluster, whatever gateway.replicas says (that is for Kubernetes). */
export function dockerGatewayContainerName(cluster: string): string {
  return `${cluster}-${MESH_GATEWAY_SERVICE}`;
}

/** consul-esm's container in a Docker cluster. */
export function dockerConsulEsmContainerName(cluster: string): string {
  return `${cluster}-consul-esm`;
}

/** The Prometheus scope every Docker cluster is scraped in: one Prometheus joins all their networks. */
export const DOCKER_METRICS_SCOPE = "docker";

/** Kubernetes object names of Consul inside the cluster's namespace. Explicit, because the provider auto-names otherwise. */
export const consulK8sNames = {
  statefulSet: "consul-server",
  /** Headless Service that gives each server pod a stable DNS name. */
  headlessService: "consul-server-headless",
  /** ClusterIP Service at `consulDnsIP`: DNS and the HTTPS API. */
  service: "consul-server",
  /** LoadBalancer Service at `kubernetes.consulApiAddress`: the HTTPS API only, for Pulumi. */
  apiService: "consul-server-api",
  /** LoadBalancer Service for cluster peering: the servers' gRPC TLS port only. */
  peeringService: "consul-server-peering",
  serviceAccount: "consul-server",
  config: "consul-server-config",
  secrets: "consul-server-secrets",
  tls: "consul-server-tls",
  pdb: "consul-server",
  aclInit: "consul-acl-init",
  aclInitSecrets: "consul-acl-init",
  esm: "consul-esm",
  esmConfig: "consul-esm-config",
  esmSecrets: "consul-esm-token",
} as const;

/**
 * Consul server ports: the one definition every component, the Prometheus files and the Envoy DNS resolver read.
 * Plaintext HTTP and plaintext gRPC are off: every API caller uses TLS. `dns` is where Envoy resolves upstreams;
 * `https` also serves `/v1/agent/metrics`.
 */
export const consulPorts = {
  dns: 8600,
  https: 8501,
  grpcTls: 8503,
  serfLan: 8301,
  server: 8300,
} as const;

/**
 * consul-esm serves `/metrics` (Prometheus format) on its `client_address` when `telemetry.prometheus_retention_time`
 * is above zero (consul-esm README, "Configuration"). consul/esmConfig.ts binds it here; the Kubernetes pod declares it.
 */
export const CONSUL_ESM_METRICS_PORT = 8080;

/** Sidecar port defaults of the stack schema; the policy pack seeds its config from the same values. */
export const SIDECAR_PORT_DEFAULTS = {
  /** Seed: ENVOY_ADMIN_PORT=15000. Bound to loopback only. */
  adminPort: 15000,
  /** Seed: proxy_port 15001. The inbound mTLS listener. */
  proxyPort: 15001,
  /** Serves only /stats/prometheus. */
  metricsPort: 15090,
  /** Plain HTTP serving only each service's health check path (TCP services: a TCP connect), for Consul's checks. */
  healthPort: 15021,
} as const;

/** The stack's default SPIFFE trust domain; the policy pack's default too. */
export const DEFAULT_TRUST_DOMAIN = "lucid.mesh";

/** Prefix of every label lucid-mesh sets on containers and Kubernetes objects. */
export const LABEL_PREFIX = "lucid.mesh";

/** Label keys the components write and the policy pack and render read. */
export const meshLabelKeys = {
  role: `${LABEL_PREFIX}/role`,
  cluster: `${LABEL_PREFIX}/cluster`,
  service: `${LABEL_PREFIX}/service`,
  /**
   * Docker uploads are one property, so Pulumi marks all of them secret when one file is. This label names the
   * files that really are secret, so a plan can show the rest for review and redact exactly these.
   */
  secretFiles: `${LABEL_PREFIX}/secret-files`,
} as const;

/** Envoy node ID of a cluster's mesh gateway. Replicas share it: they load identical files. */
export function gatewayNodeId(cluster: string): string {
  return `${cluster}-${MESH_GATEWAY_SERVICE}`;
}
