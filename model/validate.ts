/**
 * Validation of the `lucid-mesh:mesh` stack config: the schema first, then cross-references. Every problem is
 * collected and reported in one error, each with the config path and what to do about it.
 */
import type { z } from "zod";
import {
  meshConfigSchema,
  missingPlatformSettings,
  type ClusterConfig,
  type MeshConfig,
  type ServiceConfig,
} from "./schema";
import { resolveMesh, type Mesh } from "./mesh";
import { dockerConsulServerNodePrefix, instanceName } from "./names";
import {
  DOCKER_MAX_INSTANCES_PER_CLUSTER,
  DOCKER_WAN_MAX_CLUSTERS,
  DOCKER_WAN_SERVER_STRIDE,
  DOCKER_WAN_SUBNET,
  dockerServerWanAddress,
  dockerWanAddress,
  dockerWanClusterIndex,
} from "./wan";
import { intentionAllows, intentionsByDestination } from "./intentions";
import { editDistance } from "./editDistance";

export const CONFIG_KEY = "lucid-mesh:mesh";

export interface ConfigProblem {
  /** Path inside the config, such as `services[2].upstreams[0].service`. */
  readonly path: string;
  readonly message: string;
  readonly fix: string;
}

/** Bad stack config. Its message is complete on its own, so callers print it without a stack trace. */
export class MeshConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[], source = CONFIG_KEY) {
    const lines = problems.map((p) => `  - ${p.path}: ${p.message}\n      fix: ${p.fix}`);
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super(`Invalid stack config ${source} (${count}):\n${lines.join("\n")}`);
    this.name = "MeshConfigError";
    this.problems = problems;
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === "number") return `${acc}[${key}]`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, "");
}

function fixForIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "unrecognized_keys":
      return `remove or correct the key(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}; see the README's config reference`;
    case "invalid_type":
      return (
        Object.values(missingPlatformSettings).find((m) => m.message === issue.message)?.fix ??
        `give a value of type ${issue.expected}`
      );
    case "invalid_union":
      return "options" in issue && Array.isArray(issue.options)
        ? `use one of ${issue.options.map((v) => JSON.stringify(v)).join(", ")}`
        : "correct the value as described; see the README's config reference";
    case "invalid_value":
      return `use one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
    case "too_big":
      return "bring the value within the stated range";
    case "invalid_format":
      return "correct the value's format as described";
    case "custom":
      return typeof issue.params?.fix === "string" ? issue.params.fix : "correct the value as described";
    default:
      return "correct the value as described; see the README's config reference";
  }
}

/** The one unknown key, when it is a platform's settings block (`docker` or `kubernetes`). */
function platformSettingsKey(keys: readonly string[]): string | undefined {
  const [key, ...rest] = keys;
  return key !== undefined && rest.length === 0 && Object.hasOwn(missingPlatformSettings, key) ? key : undefined;
}

function schemaProblems(error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => {
    const base = formatPath(issue.path);
    const path =
      issue.code === "unrecognized_keys" && issue.keys.length === 1
        ? formatPath([...issue.path, issue.keys[0]!])
        : base;
    const otherPlatform = issue.code === "unrecognized_keys" ? platformSettingsKey(issue.keys) : undefined;
    if (otherPlatform) {
      // The union admits only the cluster's own platform block.
      const message = `${otherPlatform} settings on a cluster whose platform is not ${otherPlatform}`;
      return { path, message, fix: `remove them, or set platform: ${otherPlatform}` };
    }
    const message = issue.code === "unrecognized_keys" ? `unknown key(s) ${issue.keys.join(", ")}` : issue.message;
    return { path: path || "(root)", message, fix: fixForIssue(issue) };
  });
}

/** The closest known name within a small edit distance, if any. */
export function didYouMean(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance <= Math.max(2, Math.floor(name.length / 3)) && (!best || distance < best.distance)) {
      best = { name: candidate, distance };
    }
  }
  return best?.name;
}

function unknownName(kind: string, name: string, known: readonly string[]): string {
  const suggestion = didYouMean(name, known);
  return `unknown ${kind} "${name}"${suggestion ? `. Did you mean "${suggestion}"?` : ""}`;
}

function duplicates<T>(
  items: readonly T[],
  key: (item: T, index: number) => string,
): Array<{ index: number; value: string }> {
  const seen = new Set<string>();
  const found: Array<{ index: number; value: string }> = [];
  items.forEach((item, index) => {
    const value = key(item, index);
    if (seen.has(value)) found.push({ index, value });
    seen.add(value);
  });
  return found;
}

/**
 * Kubernetes: each cluster's Consul API address is its own (Pulumi keeps one provider per cluster), and a team's
 * Deployment is patched in the team's own namespace, never the mesh's (destroying the mesh deletes its namespace).
 */
function kubernetesProblems(config: MeshConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: string, message: string, fix: string): void => void problems.push(problem(path, message, fix));
  const apiAddress = (c: ClusterConfig): string =>
    c.platform === "kubernetes" ? c.kubernetes.consulApiAddress : `#${c.name}`;
  for (const d of duplicates(config.clusters, apiAddress)) {
    add(
      `clusters[${d.index}].kubernetes.consulApiAddress`,
      `${d.value} is another cluster's Consul API address`,
      "reserve one address per cluster for its consul-server-api LoadBalancer",
    );
  }
  const meshNamespaces = new Map(
    config.clusters.map((c) => [c.name, c.platform === "kubernetes" ? c.kubernetes.namespace : undefined]),
  );
  config.services.forEach((service, i) => {
    const onKubernetes = service.clusters.filter((c) => meshNamespaces.get(c) !== undefined);
    if (onKubernetes.length === 0 || service.image) return;
    if (!service.kubernetesNamespace) {
      add(
        `services[${i}].kubernetesNamespace`,
        `the sidecar is patched into the team's Deployment "${service.deployment ?? service.name}", whose namespace is not given`,
        "set kubernetesNamespace to the namespace of the team's Deployment",
      );
    } else if (onKubernetes.some((c) => meshNamespaces.get(c) === service.kubernetesNamespace)) {
      add(
        `services[${i}].kubernetesNamespace`,
        `${service.kubernetesNamespace} is the mesh's own namespace: destroying the mesh would delete the team's workload`,
        "keep team Deployments in their own namespaces",
      );
    }
  });
  return problems;
}

/**
 * Linux's hostname limit, which dockerd enforces at create (moby daemon/daemon_unix.go,
 * verifyPlatformContainerSettings: "hostname %q is too long (maximum %d bytes)", maxHostnameLen = 64).
 */
export const DOCKER_MAX_HOSTNAME = 64;

/** What dockerd refuses in a config that passes the schema: hostnames, host ports, subnets. */
function dockerProblems(config: MeshConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const dockerClusters = config.clusters.flatMap((cluster, index) =>
    cluster.platform === "docker" ? [{ cluster, index, docker: cluster.docker }] : [],
  );

  for (const { cluster, index } of dockerClusters) {
    // Container hostnames: each server's node name (consul/names.ts consulServerNodeName) and each instance's name
    // (names.ts instanceName), which the app container, or the team's container the sidecar joins, carries.
    const server = `${dockerConsulServerNodePrefix(cluster.name)}${cluster.consul.servers - 1}`;
    if (server.length > DOCKER_MAX_HOSTNAME) {
      problems.push({
        path: `clusters[${index}].name`,
        message: `Consul server hostname "${server}" is ${server.length} bytes; dockerd refuses hostnames over ${DOCKER_MAX_HOSTNAME} bytes`,
        fix: `shorten the cluster name to at most ${DOCKER_MAX_HOSTNAME - (server.length - cluster.name.length)} characters`,
      });
    }
    config.services.forEach((service, s) => {
      if (!service.clusters.includes(cluster.name)) return;
      const longest = instanceName(cluster.name, service.name, service.instances);
      if (longest.length > DOCKER_MAX_HOSTNAME) {
        problems.push({
          path: `services[${s}].name`,
          message: `instance hostname "${longest}" (cluster-service-instance) is ${longest.length} bytes; dockerd refuses hostnames over ${DOCKER_MAX_HOSTNAME} bytes`,
          fix: `shorten the service or cluster name by ${longest.length - DOCKER_MAX_HOSTNAME} characters`,
        });
      }
    });
    // Two bridge networks on one daemon may not share a range (moby daemon/libnetwork/ipamapi/contract.go,
    // ErrPoolOverlap: "Pool overlaps with other one on this address space"); the WAN network is one of them.
    if (cluster.docker.subnet === DOCKER_WAN_SUBNET) {
      problems.push({
        path: `clusters[${index}].docker.subnet`,
        message: `${DOCKER_WAN_SUBNET} is the shared WAN network's subnet; dockerd refuses a second network on it ("Pool overlaps with other one on this address space")`,
        fix: "give the cluster another /24, such as 10.10.1.0/24",
      });
    }
  }

  // One daemon binds a host port once (moby daemon/libnetwork/portallocator/portallocator.go:
  // "Bind for %s:%d failed: port is already allocated"). Clusters on different daemons may share a port.
  const published = new Map<string, number>();
  for (const { cluster, index, docker } of dockerClusters) {
    const port = cluster.consul.publishApiPort;
    if (port === undefined) continue;
    const key = `${docker.host} ${port}`;
    const earlier = published.get(key);
    if (earlier !== undefined) {
      problems.push({
        path: `clusters[${index}].consul.publishApiPort`,
        message: `port ${port} is already published by clusters[${earlier}] on the same Docker host; dockerd would refuse it ("Bind for 127.0.0.1:${port} failed: port is already allocated")`,
        fix: `publish another port, such as ${port + 1}, or leave it unset`,
      });
    } else {
      published.set(key, index);
    }
  }
  return problems;
}

/** A check over the whole config; each returns its own problems, in config order. */
type ConfigCheck = (config: MeshConfig) => ConfigProblem[];

function problem(path: string, message: string, fix: string): ConfigProblem {
  return { path, message, fix };
}

function problemIf(condition: boolean, path: string, message: string, fix: string): ConfigProblem[] {
  return condition ? [problem(path, message, fix)] : [];
}

/** The four sidecar ports by number, named by their config key; the app and upstreams must avoid them. */
function sidecarPortNames(config: MeshConfig): Map<number, string> {
  return new Map<number, string>([
    [config.sidecar.adminPort, "sidecar.adminPort"],
    [config.sidecar.proxyPort, "sidecar.proxyPort"],
    [config.sidecar.metricsPort, "sidecar.metricsPort"],
    [config.sidecar.healthPort, "sidecar.healthPort"],
  ]);
}

function sidecarPortProblems(config: MeshConfig): ConfigProblem[] {
  return sidecarPortNames(config).size === 4
    ? []
    : [
        problem(
          "sidecar",
          "adminPort, proxyPort, metricsPort and healthPort must be four different ports",
          "give each sidecar port its own number",
        ),
      ];
}

/** Cluster names, datacenters and Docker subnets are each unique; paths index `clusters` itself. */
function clusterUniquenessProblems(config: MeshConfig): ConfigProblem[] {
  return [
    ...duplicates(config.clusters, (c) => c.name).map((d) =>
      problem(`clusters[${d.index}].name`, `duplicate cluster "${d.value}"`, "give every cluster a unique name"),
    ),
    ...duplicates(config.clusters, (c) => c.datacenter ?? c.name).map((d) =>
      problem(
        `clusters[${d.index}].datacenter`,
        `duplicate datacenter "${d.value}"`,
        "give every cluster its own Consul datacenter",
      ),
    ),
    ...duplicates(config.clusters, (c, index) => (c.platform === "docker" ? c.docker.subnet : `#${index}`)).map((d) =>
      problem(
        `clusters[${d.index}].docker.subnet`,
        `subnet ${d.value} is used by another cluster`,
        "give every Docker cluster its own /24",
      ),
    ),
  ];
}

/** A check of one cluster; `at` is its config path. */
type ClusterCheck = (cluster: ClusterConfig, at: string, config: MeshConfig) => ConfigProblem[];

const consulServerCount: ClusterCheck = (cluster, at, config) => {
  const servers = cluster.consul.servers;
  const problems: ConfigProblem[] = [];
  if (servers % 2 === 0) {
    problems.push(
      problem(
        `${at}.consul.servers`,
        `${servers} servers is an even count, which tolerates no more failures than ${servers - 1}`,
        "use an odd count: 3 or 5 (1 in dev)",
      ),
    );
  } else if (servers === 1 && config.environment !== "dev") {
    problems.push(
      problem(
        `${at}.consul.servers`,
        `a single Consul server in ${config.environment} has no fault tolerance`,
        "use 3 or 5 servers; one server is allowed only with environment: dev",
      ),
    );
  }
  if (servers > 7)
    problems.push(problem(`${at}.consul.servers`, `${servers} servers slows Raft down`, "use 3 or 5 servers"));
  return problems;
};

/** Other clusters reach a Kubernetes cluster's gateway and, to peer, its servers (consul/peering.ts) at fixed addresses. */
const crossClusterAddresses: ClusterCheck = (cluster, at, config) => {
  const reachedFromOthers = cluster.platform === "kubernetes" && config.clusters.length > 1;
  return [
    ...problemIf(
      reachedFromOthers && !cluster.gateway.wanAddress,
      `${at}.gateway.wanAddress`,
      "other clusters cannot reach this cluster's mesh gateway",
      "reserve a LoadBalancer IP or DNS name and set it here",
    ),
    ...problemIf(
      reachedFromOthers && !cluster.consul.peeringAddress,
      `${at}.consul.peeringAddress`,
      "other clusters' Consul servers cannot reach this cluster's servers to peer",
      "reserve an IP or DNS name for the consul-server-peering LoadBalancer and set it here",
    ),
    ...problemIf(
      cluster.platform === "docker" && cluster.consul.peeringAddress !== undefined,
      `${at}.consul.peeringAddress`,
      "Docker servers are dialled at their fixed addresses on the WAN network",
      "remove it; it applies to Kubernetes clusters only",
    ),
  ];
};

const dockerWanCapacity: ClusterCheck = (cluster, at, config) =>
  cluster.platform === "docker" &&
  dockerWanClusterIndex(
    config.clusters.map((c) => c.name),
    cluster.name,
  ) >= DOCKER_WAN_MAX_CLUSTERS
    ? [
        problem(
          at,
          `the Docker WAN network has Consul server addresses for ${DOCKER_WAN_MAX_CLUSTERS} clusters only`,
          `declare at most ${DOCKER_WAN_MAX_CLUSTERS} clusters when any runs on Docker`,
        ),
      ]
    : [];

const CLUSTER_CHECKS: readonly ClusterCheck[] = [consulServerCount, crossClusterAddresses, dockerWanCapacity];

function clusterProblems(config: MeshConfig): ConfigProblem[] {
  return config.clusters.flatMap((cluster, i) =>
    CLUSTER_CHECKS.flatMap((check) => check(cluster, `clusters[${i}]`, config)),
  );
}

/** Each instance on a Docker cluster takes an address from the network's dynamic range (model/wan.ts). */
function dockerAddressCapacityProblems(config: MeshConfig): ConfigProblem[] {
  return config.clusters.flatMap((cluster, i) => {
    if (cluster.platform !== "docker") return [];
    const instances = config.services
      .filter((s) => s.clusters.includes(cluster.name))
      .reduce((sum, s) => sum + s.instances, 0);
    return instances > DOCKER_MAX_INSTANCES_PER_CLUSTER
      ? [
          problem(
            `clusters[${i}]`,
            `cluster ${cluster.name} runs ${instances} service instances, but its Docker network hands out addresses to ` +
              `at most ${DOCKER_MAX_INSTANCES_PER_CLUSTER} (the .129 to .254 of its /24, less the Consul applier and Prometheus)`,
            "run some services in another cluster, or lower services[].instances",
          ),
        ]
      : [];
  });
}

/** A Docker gateway given its own WAN address must not take one of the Consul servers' addresses there. */
function gatewayWanAddressProblems(config: MeshConfig): ConfigProblem[] {
  const clusterNames = config.clusters.map((c) => c.name);
  const serverWanAddresses = new Map<string, string>();
  config.clusters.forEach((cluster, i) => {
    const wanIndex = dockerWanClusterIndex(clusterNames, cluster.name);
    if (cluster.platform !== "docker" || wanIndex >= DOCKER_WAN_MAX_CLUSTERS) return;
    for (let s = 0; s < Math.min(cluster.consul.servers, DOCKER_WAN_SERVER_STRIDE); s++) {
      serverWanAddresses.set(dockerServerWanAddress(wanIndex, s), `clusters[${i}]'s Consul server ${s}`);
    }
  });
  return config.clusters.flatMap((cluster, i) => {
    const owner =
      cluster.platform === "docker" && cluster.gateway.wanAddress
        ? serverWanAddresses.get(cluster.gateway.wanAddress)
        : undefined;
    return owner
      ? [
          problem(
            `clusters[${i}].gateway.wanAddress`,
            `${cluster.gateway.wanAddress} is ${owner}'s address on the Docker WAN network`,
            `leave it unset (the gateway then gets ${dockerWanAddress(dockerWanClusterIndex(clusterNames, cluster.name))}) or pick an address below .100`,
          ),
        ]
      : [];
  });
}

function certificateValidityProblems(config: MeshConfig): ConfigProblem[] {
  const security = config.security;
  const problems: ConfigProblem[] = [];
  if (security.intermediateValidityDays < 3 * security.certValidityDays) {
    problems.push(
      problem(
        "security.intermediateValidityDays",
        `${security.intermediateValidityDays} days is less than 3 × certValidityDays (${3 * security.certValidityDays})`,
        `set it to at least ${3 * security.certValidityDays}`,
      ),
    );
  }
  if (security.rootValidityDays < security.intermediateValidityDays) {
    problems.push(
      problem(
        "security.rootValidityDays",
        `${security.rootValidityDays} days is less than intermediateValidityDays (${security.intermediateValidityDays})`,
        "make the root outlive the intermediates",
      ),
    );
  }
  if (security.earlyRenewalDays !== undefined && security.earlyRenewalDays >= security.certValidityDays) {
    problems.push(
      problem(
        "security.earlyRenewalDays",
        `${security.earlyRenewalDays} days is not shorter than the validity (${security.certValidityDays})`,
        "renew within the validity, a third of it by default",
      ),
    );
  }
  return problems;
}

function rateLimitProblems(config: MeshConfig): ConfigProblem[] {
  const limits: Array<[string, { requestsPerSecond: number; burst: number } | undefined]> = [
    ["defaults.rateLimit", config.defaults.rateLimit],
    ...config.services.map((s, i): [string, typeof s.rateLimit] => [`services[${i}].rateLimit`, s.rateLimit]),
  ];
  return limits.flatMap(([path, limit]) =>
    limit && limit.burst < limit.requestsPerSecond
      ? [
          problem(
            `${path}.burst`,
            `burst ${limit.burst} is below requestsPerSecond ${limit.requestsPerSecond}`,
            "set burst to at least requestsPerSecond (the seed uses 2 ×)",
          ),
        ]
      : [],
  );
}

function duplicateServiceProblems(config: MeshConfig): ConfigProblem[] {
  return duplicates(config.services, (s) => s.name).map((d) =>
    problem(
      `services[${d.index}].name`,
      `duplicate service "${d.value}"`,
      "declare each service once; list several clusters under its clusters",
    ),
  );
}

/** A check of one service; `at` is its config path. */
type ServiceCheck = (service: ServiceConfig, at: string, config: MeshConfig) => ConfigProblem[];

const serviceClusters: ServiceCheck = (service, at, config) => {
  const clusterNames = config.clusters.map((c) => c.name);
  return [
    ...service.clusters.flatMap((cluster, j) =>
      clusterNames.includes(cluster)
        ? []
        : [
            problem(
              `${at}.clusters[${j}]`,
              unknownName("cluster", cluster, clusterNames),
              "name a cluster declared under clusters",
            ),
          ],
    ),
    ...duplicates(service.clusters, (c) => c).map((d) =>
      problem(`${at}.clusters[${d.index}]`, `cluster "${d.value}" is listed twice`, "list each cluster once"),
    ),
  ];
};

const appPort: ServiceCheck = (service, at, config) => {
  const reserved = sidecarPortNames(config).get(service.port);
  return reserved
    ? [
        problem(
          `${at}.port`,
          `port ${service.port} is the sidecar's ${reserved}`,
          "move the app to another port; the sidecar shares its network namespace",
        ),
      ]
    : [];
};

/** Each upstream names another declared service an intention allows, on a local port of its own. */
interface ServiceNames {
  /** In declaration order, for messages. */
  readonly list: string[];
  readonly set: ReadonlySet<string>;
  /** The intentions that can match a call to each destination (intentionsByDestination). */
  readonly intentionsTo: (destination: string) => readonly MeshConfig["intentions"][number][];
}

/** Set for the length of one crossReferenceProblems call, so each config's names are listed once, never stale. */
let serviceNamesInRun: WeakMap<MeshConfig, ServiceNames> | undefined;

function serviceNamesOf(config: MeshConfig): ServiceNames {
  let names = serviceNamesInRun?.get(config);
  if (!names) {
    const list = config.services.map((s) => s.name);
    names = { list, set: new Set(list), intentionsTo: intentionsByDestination(config.intentions) };
    serviceNamesInRun?.set(config, names);
  }
  return names;
}

const upstreams: ServiceCheck = (service, at, config) => {
  const { list: serviceNames, set: declared, intentionsTo } = serviceNamesOf(config);
  const sidecarPorts = sidecarPortNames(config);
  const security = config.security;
  const problems: ConfigProblem[] = [];
  const localPorts = new Map<number, number>();
  service.upstreams.forEach((upstream, j) => {
    const upAt = `${at}.upstreams[${j}]`;
    if (upstream.service === service.name) {
      problems.push(problem(`${upAt}.service`, "a service cannot be its own upstream", "remove this upstream"));
    } else if (!declared.has(upstream.service)) {
      problems.push(
        problem(
          `${upAt}.service`,
          unknownName("service", upstream.service, serviceNames),
          "name a service declared under services",
        ),
      );
    } else if (
      security.defaultIntention === "deny" &&
      !intentionAllows(intentionsTo(upstream.service), security.defaultIntention, service.name, upstream.service)
    ) {
      problems.push(
        problem(
          `${upAt}.service`,
          `no intention allows ${service.name} → ${upstream.service}, and intentions default to deny`,
          `add intentions: [{ source: ${service.name}, destination: ${upstream.service}, action: allow }]`,
        ),
      );
    }
    const reservedBy = sidecarPorts.get(upstream.localPort);
    const earlier = localPorts.get(upstream.localPort);
    if (reservedBy) {
      problems.push(
        problem(
          `${upAt}.localPort`,
          `port ${upstream.localPort} is the sidecar's ${reservedBy}`,
          "pick a free local port, such as 9001 and up",
        ),
      );
    } else if (upstream.localPort === service.port) {
      problems.push(
        problem(
          `${upAt}.localPort`,
          `port ${upstream.localPort} is the service's own port`,
          "pick a local port the app does not listen on",
        ),
      );
    } else if (earlier !== undefined) {
      problems.push(
        problem(
          `${upAt}.localPort`,
          `port ${upstream.localPort} is already used by upstreams[${earlier}]`,
          "give each upstream its own local port",
        ),
      );
    }
    localPorts.set(upstream.localPort, j);
  });
  for (const d of duplicates(service.upstreams, (u) => u.service)) {
    problems.push(
      problem(
        `${at}.upstreams[${d.index}].service`,
        `upstream "${d.value}" is listed twice`,
        "list each upstream once",
      ),
    );
  }
  return problems;
};

/** The edge: a free port, HTTP, names or a certificate for every platform, one instance per Docker host. */
const edge: ServiceCheck = (service, at, config) => {
  if (!service.edge) return [];
  const problems: ConfigProblem[] = [];
  const edgePort = service.edge.port;
  const clash =
    sidecarPortNames(config).get(edgePort) ??
    (edgePort === service.port
      ? "app port"
      : service.upstreams.some((u) => u.localPort === edgePort)
        ? "upstream local port"
        : undefined);
  if (clash) {
    problems.push(
      problem(
        `${at}.edge.port`,
        `port ${edgePort} is already the ${clash}`,
        "pick a port nothing else in the workload uses",
      ),
    );
  }
  if (service.protocol === "tcp") {
    problems.push(
      problem(`${at}.edge`, "the edge speaks HTTP over TLS; a tcp service cannot have one", "remove edge, or use http"),
    );
  }
  const certificate = service.edge.certificate;
  if (!certificate && service.edge.dnsNames.length === 0) {
    problems.push(
      problem(
        `${at}.edge.dnsNames`,
        "the mesh CA needs the names clients use to issue the edge's certificate",
        "list them under dnsNames, or supply edge.certificate",
      ),
    );
  }
  for (const name of certificate ? service.clusters : []) {
    const platform = config.clusters.find((c) => c.name === name)?.platform;
    const key = platform === "kubernetes" ? "kubernetesSecret" : "dockerHostPath";
    if (platform && certificate?.[key] === undefined) {
      problems.push(
        problem(
          `${at}.edge.certificate.${key}`,
          `cluster ${name} runs on ${platform} and needs the certificate's ${platform === "kubernetes" ? "Secret" : "host directory"}`,
          `set edge.certificate.${key}`,
        ),
      );
    }
  }
  // Every Docker instance publishes the same host port, which dockerd binds once per host.
  const hostPort = service.edge.hostPort ?? edgePort;
  const perDockerHost = new Map<string, number>();
  for (const name of service.clusters) {
    const cluster = config.clusters.find((c) => c.name === name);
    const host = cluster?.platform === "docker" ? cluster.docker.host : undefined;
    if (host !== undefined) perDockerHost.set(host, (perDockerHost.get(host) ?? 0) + service.instances);
  }
  for (const [host, count] of perDockerHost) {
    if (count > 1) {
      problems.push(
        problem(
          `${at}.edge`,
          `${count} instances on Docker host ${host} would each publish 127.0.0.1:${hostPort}; dockerd refuses the second ("port is already allocated")`,
          "run one instance of an edge service per Docker host",
        ),
      );
    }
  }
  return problems;
};

const SERVICE_CHECKS: readonly ServiceCheck[] = [serviceClusters, appPort, upstreams, edge];

function serviceProblems(config: MeshConfig): ConfigProblem[] {
  return config.services.flatMap((service, i) =>
    SERVICE_CHECKS.flatMap((check) => check(service, `services[${i}]`, config)),
  );
}

function intentionProblems(config: MeshConfig): ConfigProblem[] {
  const { list: serviceNames, set: declared } = serviceNamesOf(config);
  return [
    ...config.intentions.flatMap((intention, i) =>
      (["source", "destination"] as const).flatMap((side) => {
        const name = intention[side];
        return name === "*" || declared.has(name)
          ? []
          : [
              problem(
                `intentions[${i}].${side}`,
                unknownName("service", name, serviceNames),
                "name a service declared under services, or *",
              ),
            ];
      }),
    ),
    ...duplicates(config.intentions, (x) => `${x.source} → ${x.destination}`).map((d) =>
      problem(
        `intentions[${d.index}]`,
        `a second intention for ${d.value}`,
        "keep one intention per source and destination",
      ),
    ),
  ];
}

/** The cross-reference checks, one per concern, in the order their problems are reported. */
const CROSS_REFERENCE_CHECKS: readonly ConfigCheck[] = [
  sidecarPortProblems,
  clusterUniquenessProblems,
  clusterProblems,
  dockerAddressCapacityProblems,
  dockerProblems,
  gatewayWanAddressProblems,
  certificateValidityProblems,
  rateLimitProblems,
  kubernetesProblems,
  duplicateServiceProblems,
  serviceProblems,
  intentionProblems,
];

/** Cross-reference checks over a config that has passed the schema. */
export function crossReferenceProblems(config: MeshConfig): ConfigProblem[] {
  serviceNamesInRun = new WeakMap();
  try {
    return CROSS_REFERENCE_CHECKS.flatMap((check) => check(config));
  } finally {
    serviceNamesInRun = undefined;
  }
}

/**
 * Parses and validates a raw stack config value. Throws one MeshConfigError listing every problem; on success
 * returns the resolved mesh.
 */
export function parseMeshConfig(raw: unknown, source = CONFIG_KEY): Mesh {
  if (raw === undefined || raw === null) {
    throw new MeshConfigError(
      [
        {
          path: "(root)",
          message: "the config value is missing",
          fix: `set ${CONFIG_KEY} in Pulumi.<stack>.yaml; see Pulumi.dev.yaml`,
        },
      ],
      source,
    );
  }
  const parsed = meshConfigSchema.safeParse(raw);
  if (!parsed.success) throw new MeshConfigError(schemaProblems(parsed.error), source);
  const problems = crossReferenceProblems(parsed.data);
  if (problems.length > 0) throw new MeshConfigError(problems, source);
  return resolveMesh(parsed.data);
}
