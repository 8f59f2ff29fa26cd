/**
 * A pure generator of synthetic `lucid-mesh:mesh` configs for the benchmark (issue 9): the same input always gives
 * the same output, and nothing is random.
 *
 * Shape: 3 clusters (Docker by default; Kubernetes with `platform: "kubernetes"`), more on Docker when the instances
 * need them (a Docker cluster's network addresses at most `DOCKER_MAX_INSTANCES_PER_CLUSTER`), `services` services, each calling
 * `upstreamsPerService` other services (the next ones in a ring, so the call graph is connected and regular), with one
 * allow intention per call and unique loopback ports per service. Every `failoverEvery`-th service also runs in the
 * next cluster, so it has a local instance and a failover target through a peer's gateway.
 */

import { DOCKER_MAX_INSTANCES_PER_CLUSTER } from "../model/wan";

export type SyntheticPlatform = "docker" | "kubernetes";

export interface SyntheticMeshOptions {
  readonly services: number;
  /** @default 5 */
  readonly upstreamsPerService?: number;
  /** @default "docker" */
  readonly platform?: SyntheticPlatform;
  /** Every n-th service runs in 2 clusters. @default 5 */
  readonly failoverEvery?: number;
}

export const SYNTHETIC_CLUSTERS = ["east", "west", "north"] as const;

/**
 * The clusters of a synthetic mesh: `east`, `west`, `north`, then `zone-04`, `zone-05`, ... as many as a Docker mesh
 * needs to give each cluster at most `DOCKER_MAX_INSTANCES_PER_CLUSTER` instances (with a few to spare, as the
 * instances are spread round-robin); Kubernetes has no such limit and keeps 3. The count shares no factor with
 * `failoverEvery`, so the second instances spread over every cluster too.
 */
export function syntheticClusters(instances: number, platform: SyntheticPlatform, failoverEvery = 5): string[] {
  const needed = platform === "docker" ? Math.ceil(instances / (DOCKER_MAX_INSTANCES_PER_CLUSTER - 5)) : 0;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let count = Math.max(SYNTHETIC_CLUSTERS.length, needed);
  while (count > SYNTHETIC_CLUSTERS.length && gcd(count, failoverEvery) !== 1) count++;
  return Array.from({ length: count }, (_, i) => SYNTHETIC_CLUSTERS[i] ?? `zone-${String(i + 1).padStart(2, "0")}`);
}
/** Upstream local ports start here: clear of the app port and the sidecar's 15000, 15001 and 15090. */
export const FIRST_LOCAL_PORT = 9001;
export const APP_PORT = 8080;

/** `svc-0001`, zero-padded so the names sort in index order. */
export function syntheticServiceName(index: number): string {
  return `svc-${String(index + 1).padStart(4, "0")}`;
}

function clusterConfig(name: string, index: number, platform: SyntheticPlatform): Record<string, unknown> {
  if (platform === "docker") {
    return { name, platform, docker: { subnet: `10.10.${index + 1}.0/24` }, consul: { servers: 1 } };
  }
  return {
    name,
    platform,
    kubernetes: {
      context: `bench-${name}`,
      namespace: "lucid-mesh",
      consulDnsIP: "10.96.200.53",
      consulApiAddress: `10.${index + 1}.0.50`,
    },
    consul: { servers: 1, peeringAddress: `10.${index + 1}.0.51` },
    gateway: { wanAddress: `10.${index + 1}.0.52` },
  };
}

/** The raw config value, as it would sit under `lucid-mesh:mesh` in a stack file. */
export function syntheticMeshConfig(options: SyntheticMeshOptions): Record<string, unknown> {
  const count = options.services;
  const upstreams = options.upstreamsPerService ?? 5;
  const platform = options.platform ?? "docker";
  const failoverEvery = options.failoverEvery ?? 5;
  if (!Number.isInteger(count) || count < 2) throw new Error("syntheticMeshConfig: need at least 2 services");
  if (!Number.isInteger(upstreams) || upstreams < 0 || upstreams >= count) {
    throw new Error(`syntheticMeshConfig: ${upstreams} upstreams needs more than ${upstreams} services`);
  }
  const instances = count + Math.ceil(count / failoverEvery);
  const names = syntheticClusters(instances, platform, failoverEvery);
  const clusters = names.map((name, i) => clusterConfig(name, i, platform));
  const services: Array<Record<string, unknown>> = [];
  const intentions: Array<Record<string, unknown>> = [];
  for (let i = 0; i < count; i++) {
    const name = syntheticServiceName(i);
    const home = names[i % names.length]!;
    const failover = i % failoverEvery === 0;
    const serviceClusters = failover ? [home, names[(i + 1) % names.length]!] : [home];
    const calls = Array.from({ length: upstreams }, (_, k) => ({
      service: syntheticServiceName((i + k + 1) % count),
      localPort: FIRST_LOCAL_PORT + k,
    }));
    services.push({
      name,
      port: APP_PORT,
      clusters: serviceClusters,
      image: "hashicorp/http-echo:1.0.0",
      args: [`-listen=:${APP_PORT}`, `-text=${name}`],
      tags: ["bench"],
      upstreams: calls,
    });
    for (const call of calls) intentions.push({ source: name, destination: call.service, action: "allow" });
  }
  return {
    environment: "dev",
    trustDomain: "lucid.mesh",
    namespace: "lucid",
    clusters,
    services,
    intentions,
  };
}
