/**
 * The resolved mesh: the parsed stack config with every derived value filled in and every list in a stable order.
 * Generators (Envoy, Consul, PKI, observability) and components read only this.
 */
import type {
  ClusterConfig,
  DiscoveryConfig,
  EdgeConfig,
  IntentionConfig,
  MeshConfig,
  ObservabilityConfig,
  Protocol,
  RateLimit,
  RetryPolicyConfig,
  SecurityConfig,
  ServiceConfig,
  SidecarConfig,
  TrafficDefaults,
} from "./schema";
import { intentionAllows, intentionsByDestination } from "./intentions";
import {
  consulK8sNames,
  consulServiceId,
  dockerClusterNetworkName,
  dockerConsulServerNodePrefix,
  DOCKER_METRICS_SCOPE,
  instanceName,
  MESH_GATEWAY_SERVICE,
  sniName,
  spiffeId,
} from "./names";
import { compareStrings } from "./order";
import { dockerServerWanAddress, dockerWanAddress, dockerWanClusterIndex } from "./wan";

export { compareStrings } from "./order";

export type Environment = MeshConfig["environment"];

interface MeshClusterBase {
  readonly name: string;
  readonly datacenter: string;
  readonly consul: ClusterConfig["consul"];
  readonly gateway: {
    readonly port: number;
    /** What other clusters dial to reach this cluster's gateway. */
    readonly wanAddress: string;
    readonly replicas: number;
    /** Connect timeout to other clusters' gateways. */
    readonly remoteConnectTimeoutSeconds: number;
  };
  /** Consul DNS servers (port 8600), which Envoy resolves upstreams through. */
  readonly consulDnsAddresses: readonly string[];
  /** Where the cluster's Consul servers and services are reached, worked out once from its platform. */
  readonly addresses: ClusterAddressPlan;
}

/**
 * The platform-neutral answers the generators need about where things are in a cluster, so that consul/, pki/ and
 * observability/ never ask which platform it is on.
 */
export interface ClusterAddressPlan {
  /**
   * Prefix every Consul server node name shares (Kubernetes: the StatefulSet's pod names; Docker: the container
   * hostnames); the agent token's node rule is scoped to it.
   */
  readonly consulServerNodePrefix: string;
  /** Each Consul server's host, in index order: what retry_join and consul-esm dial. */
  readonly consulServerHosts: readonly string[];
  /** Whether each server advertises its host above as its own address (Docker: fixed addresses on the network). */
  readonly consulServersAdvertiseHost: boolean;
  /** Where clients inside the cluster reach Consul's HTTPS API. */
  readonly consulApiHost: string;
  /** IP addresses, besides 127.0.0.1, that clients dial the servers' HTTPS at, so the server certificate names them. */
  readonly consulServerIpAddresses: readonly string[];
  /** Hosts other clusters' servers dial to peer with this cluster's servers (consul/peering.ts). */
  readonly peeringHosts: readonly string[];
  /** Domains under which a service's name also resolves inside the cluster (`<service>.<domain>`). */
  readonly serviceDomains: readonly string[];
  /**
   * How the Consul catalog addresses a service: each instance at its container name, or all replicas at one
   * in-cluster DNS name, `<service>.<domain>` (consul-k8s catalog sync registers the Service).
   */
  readonly catalogAddressing:
    { readonly kind: "instance-name" } | { readonly kind: "service-dns"; readonly domain: string };
  /**
   * How Prometheus finds the cluster's targets: static ones (container names and fixed addresses), scraped by one
   * Prometheus per Docker host's scope, or pod discovery in one namespace, by a Prometheus of the cluster's own.
   */
  readonly metricsDiscovery:
    | { readonly kind: "static"; readonly scope: string }
    | { readonly kind: "kubernetes-pods"; readonly namespace: string };
}

export interface DockerClusterSettings {
  readonly host: string;
  readonly subnet: string;
  /** Fixed addresses on the cluster network. */
  readonly consulServerAddresses: readonly string[];
  /** Each Consul server's fixed address on the shared WAN network, in server order (model/wan.ts). */
  readonly consulServerWanAddresses: readonly string[];
  readonly gatewayAddress: string;
  /**
   * Fixed addresses of the ACL bootstrap and consul-esm: fixed so the instances' namespace holders are the only
   * containers the cluster declares that take an address from the dynamic range before the applier, in any order of
   * declaration or start (simulate/docker/ipam.ts).
   */
  readonly aclBootstrapAddress: string;
  readonly consulEsmAddress: string;
  /** Range Docker allocates container addresses from, kept clear of the fixed ones. */
  readonly dynamicIpRange: string;
  /** The cluster's bridge network (model/names.ts dockerClusterNetworkName). */
  readonly networkName: string;
}

export interface KubernetesClusterSettings {
  readonly context: string;
  readonly kubeconfig?: string;
  readonly namespace: string;
  readonly consulDnsIP: string;
  readonly storageClass?: string;
  /** Reserved address of the consul-server-api LoadBalancer: where Pulumi reaches the HTTPS API. */
  readonly consulApiAddress: string;
  readonly consulApiAnnotations: Readonly<Record<string, string>>;
}

export interface DockerMeshCluster extends MeshClusterBase {
  readonly platform: "docker";
  readonly docker: DockerClusterSettings;
}

export interface KubernetesMeshCluster extends MeshClusterBase {
  readonly platform: "kubernetes";
  readonly kubernetes: KubernetesClusterSettings;
}

/** A cluster on exactly one platform, with that platform's settings: switch on `platform` to narrow. */
export type MeshCluster = DockerMeshCluster | KubernetesMeshCluster;

export interface MeshUpstream {
  readonly service: string;
  readonly localPort: number;
}

export interface MeshService {
  readonly name: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly clusters: readonly string[];
  readonly instances: number;
  readonly image?: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly healthCheckPath: string;
  readonly tags: readonly string[];
  readonly meta: Readonly<Record<string, string>>;
  /** Effective rate limit: the service's own, or the mesh default. */
  readonly rateLimit: RateLimit;
  readonly upstreams: readonly MeshUpstream[];
  readonly deployment: string;
  /** Kubernetes: the namespace of the service's workload (a team's own, or the mesh's for a mesh-run image). */
  readonly kubernetesNamespace?: string;
  /** Retries and route timeout its callers apply. */
  readonly calls: CallPolicy;
  /** Set on edge services only. */
  readonly edge?: MeshEdge;
}

/** How callers' routes treat calls to a service: the mesh defaults with the service's overrides applied. */
export interface CallPolicy {
  readonly retries: RetryPolicyConfig;
  /** Whole-request route timeout; 0 means none (gRPC streams by default). */
  readonly requestTimeoutSeconds: number;
}

/** An edge service's public listener, with defaults resolved. */
export interface MeshEdge {
  readonly port: number;
  readonly dnsNames: readonly string[];
  /** User-supplied server certificate; without it the mesh CA's leaf (with `dnsNames`) is served. */
  readonly certificate?: { readonly kubernetesSecret?: string; readonly dockerHostPath?: string };
  readonly allowedClientCidrs: readonly string[];
  readonly rateLimit: RateLimit;
  readonly hostPort: number;
  readonly serviceType: EdgeConfig["serviceType"];
}

export interface MeshIntention {
  readonly source: string;
  readonly destination: string;
  readonly action: "allow" | "deny";
  readonly description?: string;
}

/** One running copy of a service in one cluster. */
export interface ServiceInstance {
  readonly service: string;
  readonly cluster: string;
  readonly datacenter: string;
  /** 1-based, as the seed numbers instances. */
  readonly index: number;
  /** Unique across the mesh: `<cluster>-<service>-<index>`. */
  readonly name: string;
  /** Consul service ID within its datacenter. */
  readonly consulServiceId: string;
}

export interface Mesh {
  readonly environment: Environment;
  readonly trustDomain: string;
  readonly namespace: string;
  readonly clusters: readonly MeshCluster[];
  readonly services: readonly MeshService[];
  readonly intentions: readonly MeshIntention[];
  readonly defaults: TrafficDefaults;
  readonly security: SecurityConfig & { readonly earlyRenewalDays: number };
  readonly sidecar: SidecarConfig;
  readonly observability: ObservabilityConfig;
  readonly discovery: DiscoveryConfig;
}

const byName = <T extends { readonly name: string }>(a: T, b: T): number => compareStrings(a.name, b.name);

function subnetPrefix(subnet: string): string {
  return subnet.replace(/\.0\/24$/, "");
}

/** Fixed host numbers on a Docker cluster network: ACL bootstrap .3, consul-esm .4, gateway .5, servers from .10. */
export const DOCKER_ACL_BOOTSTRAP_HOST = 3;
export const DOCKER_CONSUL_ESM_HOST = 4;
export const DOCKER_GATEWAY_HOST = 5;
export const DOCKER_FIRST_CONSUL_HOST = 10;

function gatewaySettings(cluster: ClusterConfig, wanAddress: string): MeshClusterBase["gateway"] {
  return {
    port: cluster.gateway.port,
    wanAddress,
    replicas: cluster.gateway.replicas,
    remoteConnectTimeoutSeconds: cluster.gateway.remoteConnectTimeoutSeconds,
  };
}

/** `wanIndex` is the cluster's position in name order, which places it on the Docker WAN network (model/wan.ts). */
function resolveCluster(cluster: ClusterConfig, wanIndex: number): MeshCluster {
  const datacenter = cluster.datacenter ?? cluster.name;
  if (cluster.platform === "docker") {
    const prefix = subnetPrefix(cluster.docker.subnet);
    const consulServerAddresses = Array.from(
      { length: cluster.consul.servers },
      (_, i) => `${prefix}.${DOCKER_FIRST_CONSUL_HOST + i}`,
    );
    const consulServerWanAddresses = Array.from({ length: cluster.consul.servers }, (_, i) =>
      dockerServerWanAddress(wanIndex, i),
    );
    return {
      name: cluster.name,
      platform: "docker",
      datacenter,
      docker: {
        host: cluster.docker.host,
        subnet: cluster.docker.subnet,
        consulServerAddresses,
        consulServerWanAddresses,
        gatewayAddress: `${prefix}.${DOCKER_GATEWAY_HOST}`,
        aclBootstrapAddress: `${prefix}.${DOCKER_ACL_BOOTSTRAP_HOST}`,
        consulEsmAddress: `${prefix}.${DOCKER_CONSUL_ESM_HOST}`,
        dynamicIpRange: `${prefix}.128/25`,
        networkName: dockerClusterNetworkName(cluster.name),
      },
      consul: cluster.consul,
      gateway: gatewaySettings(cluster, cluster.gateway.wanAddress ?? dockerWanAddress(wanIndex)),
      consulDnsAddresses: consulServerAddresses,
      addresses: {
        consulServerNodePrefix: dockerConsulServerNodePrefix(cluster.name),
        consulServerHosts: consulServerAddresses,
        consulServersAdvertiseHost: true,
        // No server when the count is 0, which the schema refuses; the loopback keeps the type a string.
        consulApiHost: consulServerAddresses[0] ?? "127.0.0.1",
        consulServerIpAddresses: consulServerAddresses,
        peeringHosts: consulServerWanAddresses,
        serviceDomains: [],
        catalogAddressing: { kind: "instance-name" },
        metricsDiscovery: { kind: "static", scope: DOCKER_METRICS_SCOPE },
      },
    };
  }
  const k8s = cluster.kubernetes;
  const namespace = k8s.namespace;
  return {
    name: cluster.name,
    platform: "kubernetes",
    datacenter,
    kubernetes: {
      context: k8s.context,
      ...(k8s.kubeconfig ? { kubeconfig: k8s.kubeconfig } : {}),
      namespace,
      consulDnsIP: k8s.consulDnsIP,
      ...(k8s.storageClass ? { storageClass: k8s.storageClass } : {}),
      consulApiAddress: k8s.consulApiAddress,
      consulApiAnnotations: sortRecord(k8s.consulApiAnnotations),
    },
    consul: cluster.consul,
    // Validation requires wanAddress on Kubernetes when there is more than one cluster.
    gateway: gatewaySettings(cluster, cluster.gateway.wanAddress ?? `${MESH_GATEWAY_SERVICE}.${namespace}.svc`),
    consulDnsAddresses: [k8s.consulDnsIP],
    addresses: {
      consulServerNodePrefix: `${consulK8sNames.statefulSet}-`,
      consulServerHosts: Array.from(
        { length: cluster.consul.servers },
        (_, i) => `${consulK8sNames.statefulSet}-${i}.${consulK8sNames.headlessService}.${namespace}.svc`,
      ),
      consulServersAdvertiseHost: false,
      consulApiHost: `${consulK8sNames.service}.${namespace}.svc`,
      consulServerIpAddresses: [k8s.consulApiAddress],
      // Validation requires it on multi-cluster Kubernetes, the only meshes that peer.
      peeringHosts: cluster.consul.peeringAddress ? [cluster.consul.peeringAddress] : [],
      serviceDomains: [namespace, `${namespace}.svc`],
      catalogAddressing: { kind: "service-dns", domain: `${namespace}.svc` },
      metricsDiscovery: { kind: "kubernetes-pods", namespace },
    },
  };
}

function resolveService(service: ServiceConfig, defaults: TrafficDefaults): MeshService {
  return {
    name: service.name,
    port: service.port,
    protocol: service.protocol,
    clusters: [...service.clusters].sort(compareStrings),
    instances: service.instances,
    ...(service.image ? { image: service.image } : {}),
    args: [...service.args],
    env: sortRecord(service.env),
    healthCheckPath: service.healthCheckPath,
    tags: [...service.tags],
    meta: sortRecord(service.meta),
    rateLimit: service.rateLimit ?? defaults.rateLimit,
    upstreams: [...service.upstreams].sort((a, b) => compareStrings(a.service, b.service)),
    deployment: service.deployment ?? service.name,
    ...(service.kubernetesNamespace ? { kubernetesNamespace: service.kubernetesNamespace } : {}),
    calls: callPolicy(service, defaults),
    ...(service.edge ? { edge: resolveEdge(service.edge, service.rateLimit ?? defaults.rateLimit) } : {}),
  };
}

/**
 * gRPC calls are often long-lived streams, which a whole-request timeout cuts once the client has finished
 * sending (Envoy's FAQ, "How do I configure timeouts?"), so they get none unless the service sets one.
 */
function callPolicy(service: ServiceConfig, defaults: TrafficDefaults): CallPolicy {
  const own = service.traffic;
  const retries = own?.retries ?? {};
  const perTry = retries.perTryTimeoutSeconds ?? defaults.retries.perTryTimeoutSeconds;
  return {
    retries: {
      attempts: retries.attempts ?? defaults.retries.attempts,
      retryOn: [...(retries.retryOn ?? defaults.retries.retryOn)],
      ...(perTry !== undefined ? { perTryTimeoutSeconds: perTry } : {}),
    },
    requestTimeoutSeconds:
      own?.requestTimeoutSeconds ?? (service.protocol === "grpc" ? 0 : defaults.requestTimeoutSeconds),
  };
}

function resolveEdge(edge: EdgeConfig, serviceRateLimit: RateLimit): MeshEdge {
  return {
    port: edge.port,
    dnsNames: [...edge.dnsNames].sort(compareStrings),
    ...(edge.certificate ? { certificate: { ...edge.certificate } } : {}),
    allowedClientCidrs: [...edge.allowedClientCidrs],
    rateLimit: edge.rateLimit ?? serviceRateLimit,
    hostPort: edge.hostPort ?? edge.port,
    serviceType: edge.serviceType,
  };
}

function sortRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareStrings(a, b)));
}

function compareIntentions(a: IntentionConfig, b: IntentionConfig): number {
  return compareStrings(a.destination, b.destination) || compareStrings(a.source, b.source);
}

/** Builds the resolved mesh from a config that has passed validation. */
export function resolveMesh(config: MeshConfig): Mesh {
  return {
    environment: config.environment,
    trustDomain: config.trustDomain,
    namespace: config.namespace,
    // The index places a Docker cluster on the WAN network: name order, so listing clusters differently moves nothing.
    clusters: config.clusters
      .map((c, _, all) =>
        resolveCluster(
          c,
          dockerWanClusterIndex(
            all.map((other) => other.name),
            c.name,
          ),
        ),
      )
      .sort(byName),
    services: config.services.map((s) => resolveService(s, config.defaults)).sort(byName),
    intentions: [...config.intentions].sort(compareIntentions).map((i) => ({
      source: i.source,
      destination: i.destination,
      action: i.action,
      ...(i.description ? { description: i.description } : {}),
    })),
    defaults: config.defaults,
    security: {
      ...config.security,
      earlyRenewalDays: config.security.earlyRenewalDays ?? Math.ceil(config.security.certValidityDays / 3),
    },
    sidecar: config.sidecar,
    observability: config.observability,
    discovery: config.discovery,
  };
}

// ---- Queries over the resolved mesh. Pure, and every list they return is in a stable order. ----

/**
 * Lookups the queries below repeat for every sidecar, built once per `Mesh` object. A `Mesh` is immutable (every
 * field is readonly), so an index keyed by the object never goes stale; a changed mesh is a new object.
 */
interface MeshIndex {
  readonly clusters: ReadonlyMap<string, MeshCluster>;
  readonly services: ReadonlyMap<string, MeshService>;
  /** The intentions that can match calls to a destination (intentionsByDestination). */
  readonly intentionsFor: (destination: string) => readonly MeshIntention[];
  /** Memoised `allowedSources`, by destination. */
  readonly allowedSources: Map<string, readonly MeshService[]>;
  /** Memoised `allowedSourceSpiffeIds`, by destination. */
  readonly allowedSpiffeIds: Map<string, readonly string[]>;
  /** Clusters of every service that calls the key, lazily built. */
  callerClusters?: ReadonlyMap<string, readonly string[]>;
}

const meshIndexes = new WeakMap<Mesh, MeshIndex>();

function firstByName<T extends { readonly name: string }>(items: readonly T[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) if (!map.has(item.name)) map.set(item.name, item);
  return map;
}

function indexOf(mesh: Mesh): MeshIndex {
  let index = meshIndexes.get(mesh);
  if (index) return index;
  index = {
    clusters: firstByName(mesh.clusters),
    services: firstByName(mesh.services),
    intentionsFor: intentionsByDestination(mesh.intentions),
    allowedSources: new Map(),
    allowedSpiffeIds: new Map(),
  };
  meshIndexes.set(mesh, index);
  return index;
}

export function findCluster(mesh: Mesh, name: string): MeshCluster {
  const cluster = indexOf(mesh).clusters.get(name);
  if (!cluster) throw new Error(`unknown cluster "${name}"`);
  return cluster;
}

export function findService(mesh: Mesh, name: string): MeshService {
  const service = indexOf(mesh).services.get(name);
  if (!service) throw new Error(`unknown service "${name}"`);
  return service;
}

/** Whether a service of that name is placed in that cluster (false for an unknown service). */
export function runsIn(mesh: Mesh, service: string, cluster: string): boolean {
  return indexOf(mesh).services.get(service)?.clusters.includes(cluster) ?? false;
}

export function servicesInCluster(mesh: Mesh, cluster: string): MeshService[] {
  return mesh.services.filter((s) => s.clusters.includes(cluster));
}

export function instancesOf(mesh: Mesh, service: MeshService): ServiceInstance[] {
  return service.clusters.flatMap((clusterName) => {
    const cluster = findCluster(mesh, clusterName);
    return Array.from({ length: service.instances }, (_, i) => ({
      service: service.name,
      cluster: clusterName,
      datacenter: cluster.datacenter,
      index: i + 1,
      name: instanceName(clusterName, service.name, i + 1),
      consulServiceId: consulServiceId(service.name, i + 1),
    }));
  });
}

export function instancesInCluster(mesh: Mesh, cluster: string): ServiceInstance[] {
  return servicesInCluster(mesh, cluster).flatMap((s) => instancesOf(mesh, s).filter((i) => i.cluster === cluster));
}

export function allInstances(mesh: Mesh): ServiceInstance[] {
  return mesh.clusters.flatMap((c) => instancesInCluster(mesh, c.name));
}

export function serviceSpiffeId(mesh: Mesh, service: string, datacenter: string): string {
  return spiffeId({ trustDomain: mesh.trustDomain, namespace: mesh.namespace, datacenter, service });
}

export function serviceSni(mesh: Mesh, service: string, datacenter: string): string {
  return sniName({ trustDomain: mesh.trustDomain, namespace: mesh.namespace, datacenter, service });
}

/** Every SPIFFE ID a service holds: one per cluster it runs in. */
export function serviceSpiffeIds(mesh: Mesh, service: MeshService): string[] {
  return service.clusters.map((c) => serviceSpiffeId(mesh, service.name, findCluster(mesh, c).datacenter));
}

/** Whether intentions let `source` call `destination`, by Consul's precedence. */
export function isAllowed(mesh: Mesh, source: string, destination: string): boolean {
  return intentionAllows(intentionsFor(mesh, destination), mesh.security.defaultIntention, source, destination);
}

/**
 * The intentions that can match calls to `destination` (its own and `*`): the others never match, so precedence
 * over this subset decides exactly as over all intentions (whose order does not matter).
 */
function intentionsFor(mesh: Mesh, destination: string): readonly MeshIntention[] {
  return indexOf(mesh).intentionsFor(destination);
}

/** Services that may call `destination`, by name, in order. */
export function allowedSources(mesh: Mesh, destination: string): MeshService[] {
  const index = indexOf(mesh);
  let sources = index.allowedSources.get(destination);
  if (!sources) {
    const rules = intentionsFor(mesh, destination);
    const fallback = mesh.security.defaultIntention;
    // With a deny default and no `*` source, a service no rule names matches nothing and is denied: skip the
    // precedence check for it.
    const named =
      fallback === "deny" && !rules.some((r) => r.source === "*") ? new Set(rules.map((r) => r.source)) : undefined;
    sources = mesh.services.filter(
      (s) =>
        s.name !== destination &&
        (named === undefined || named.has(s.name)) &&
        intentionAllows(rules, fallback, s.name, destination),
    );
    index.allowedSources.set(destination, sources);
  }
  return [...sources];
}

/** SPIFFE IDs allowed to call `destination`: every cluster's identity of every allowed source. */
export function allowedSourceSpiffeIds(mesh: Mesh, destination: string): string[] {
  const index = indexOf(mesh);
  let ids = index.allowedSpiffeIds.get(destination);
  if (!ids) {
    ids = allowedSources(mesh, destination)
      .flatMap((s) => serviceSpiffeIds(mesh, s))
      .sort(compareStrings);
    index.allowedSpiffeIds.set(destination, ids);
  }
  return [...ids];
}

/** Where an upstream is reached from a cluster: locally (priority 0) and through remote gateways (failover). */
export interface UpstreamPlacement {
  readonly local: boolean;
  /** Other clusters running the upstream, in name order. */
  readonly remoteClusters: readonly string[];
}

export function upstreamPlacement(mesh: Mesh, fromCluster: string, upstreamService: string): UpstreamPlacement {
  const target = findService(mesh, upstreamService);
  return {
    local: target.clusters.includes(fromCluster),
    remoteClusters: target.clusters.filter((c) => c !== fromCluster),
  };
}

/** Services that run in `cluster` and are called from another cluster: what the cluster exports to its peers. */
export function exportedServices(mesh: Mesh, cluster: string): MeshService[] {
  const callers = callerClusters(mesh);
  return servicesInCluster(mesh, cluster).filter((s) => (callers.get(s.name) ?? []).some((c) => c !== cluster));
}

/** For each called service, the clusters its callers run in (with repeats: only membership matters). */
function callerClusters(mesh: Mesh): ReadonlyMap<string, readonly string[]> {
  const index = indexOf(mesh);
  if (index.callerClusters) return index.callerClusters;
  const callers = new Map<string, string[]>();
  for (const s of mesh.services) {
    for (const called of new Set(s.upstreams.map((u) => u.service))) {
      const list = callers.get(called);
      if (list) list.push(...s.clusters);
      else callers.set(called, [...s.clusters]);
    }
  }
  index.callerClusters = callers;
  return callers;
}

/** Services running in more than one cluster: they get failover. */
export function multiClusterServices(mesh: Mesh): MeshService[] {
  return mesh.services.filter((s) => s.clusters.length > 1);
}
