/**
 * Fixed addresses on the shared Docker WAN network (`lucid-mesh-wan`, `DOCKER_WAN_SUBNET`), where clusters on one
 * Docker host meet: the mesh gateways (`dockerWanAddress`, from .10) and, for cluster peering, every Consul server
 * (from .100). The two ranges cannot overlap while validation keeps the cluster and server counts in bounds.
 */
import type { Mesh, MeshCluster } from "./mesh";
import { compareStrings } from "./order";

/** The shared WAN network for gateways on Docker, and each gateway's address on it. */
export const DOCKER_WAN_SUBNET = "10.10.255.0/24";
/** First host number of the gateways on the WAN network. */
const DOCKER_WAN_FIRST_GATEWAY_HOST = 10;
const wanPrefix = DOCKER_WAN_SUBNET.replace(/\.0\/24$/, "");

/** The WAN address of the gateway of the cluster at `clusterIndex` (its position in name order): `.10 + index`. */
export function dockerWanAddress(clusterIndex: number): string {
  return `${wanPrefix}.${DOCKER_WAN_FIRST_GATEWAY_HOST + clusterIndex}`;
}

/** First host number of Consul servers on the WAN network, and how many host numbers each cluster gets. */
export const DOCKER_WAN_FIRST_SERVER_HOST = 100;
export const DOCKER_WAN_SERVER_STRIDE = 10;
/** The most clusters whose servers fit below .255 (cluster index 14 → .240 to .249). */
export const DOCKER_WAN_MAX_CLUSTERS = Math.floor((254 - DOCKER_WAN_FIRST_SERVER_HOST) / DOCKER_WAN_SERVER_STRIDE);

/**
 * Address of server `serverIndex` (0-based) of the cluster at `clusterIndex` (its position in name order) on the
 * WAN network: `.100 + clusterIndex × 10 + serverIndex`.
 */
export function dockerServerWanAddress(clusterIndex: number, serverIndex: number): string {
  if (!Number.isInteger(clusterIndex) || clusterIndex < 0 || clusterIndex >= DOCKER_WAN_MAX_CLUSTERS) {
    throw new Error(`cluster index ${clusterIndex} has no server range on the WAN network`);
  }
  if (!Number.isInteger(serverIndex) || serverIndex < 0 || serverIndex >= DOCKER_WAN_SERVER_STRIDE) {
    throw new Error(`server index ${serverIndex} does not fit a cluster's range on the WAN network`);
  }
  const host = DOCKER_WAN_FIRST_SERVER_HOST + clusterIndex * DOCKER_WAN_SERVER_STRIDE + serverIndex;
  return `${wanPrefix}.${host}`;
}

/**
 * A cluster's index for its server range: its position among all cluster names in name order. Name order, not
 * config order, so the servers keep their addresses when clusters are listed differently.
 */
export function dockerWanClusterIndex(clusterNames: readonly string[], name: string): number {
  return [...new Set(clusterNames)].sort(compareStrings).indexOf(name);
}

/** Every Consul server of a Docker cluster on the WAN network, in server order; [] for Kubernetes. */
export function consulServerWanAddresses(_mesh: Mesh, cluster: MeshCluster): string[] {
  return cluster.platform === "docker" ? [...cluster.docker.consulServerWanAddresses] : [];
}

/**
 * Addresses Docker hands out to containers from a cluster network's dynamic range (`.128/25` of its /24): .129 to
 * .254, since the pool reserves the /24's broadcast address and the bridge's gateway, which the network does not
 * name, takes the range's first free address, .128 (moby/moby v20.10.24 vendor/github.com/docker/libnetwork/
 * ipam/allocator.go insertBitMask, network.go ipamAllocateVersion; seen on dockerd 20.10.24; simulate/docker/ipam.ts).
 * Each service instance takes one (its namespace holder); the Consul applier and a Docker Prometheus whose scope
 * holds the cluster take two (consul-esm and the ACL bootstrap have fixed addresses: model/mesh.ts).
 */
export const DOCKER_DYNAMIC_ADDRESSES = 126;
export const DOCKER_DYNAMIC_CLUSTER_CONTAINERS = 2;
export const DOCKER_MAX_INSTANCES_PER_CLUSTER = DOCKER_DYNAMIC_ADDRESSES - DOCKER_DYNAMIC_CLUSTER_CONTAINERS;
