/**
 * dockerd's default IPAM for the bridge networks the program declares, as dockerd 20.10 runs it (moby/moby v20.10.24
 * vendor/github.com/docker/libnetwork/ipam/allocator.go: insertBitMask, getAddress; endpoint.go:
 * assignAddressVersion; network.go: ipamAllocateVersion) and as master still does (daemon/libnetwork/ipams/
 * defaultipam/allocator.go: newPoolData, getAddress). Checked on a real dockerd 20.10.24 here:
 * - one bitmap per subnet: the network address and the broadcast address are never handed out;
 * - the bridge's gateway, when the network names none, is the first free address of the ip-range (subnet
 *   10.10.1.0/24 with ip-range .128/25: the bridge is .128, the first container .129);
 * - a container without a fixed address gets the first free address of the ip-range (not serial: that option is
 *   swarm's, cnmallocator), allocated when it starts; none left: "no available IPv4 addresses on this network's
 *   address pools: <name> (<id>)";
 * - a fixed address (`ipv4_address`) may sit anywhere in the subnet; one outside it: "Invalid address <ip>: It does not
 *   belong to any of this network's subnets"; one already taken: "Address already in use" (ipamapi.ErrIPAlreadyAllocated).
 *
 * Under `pulumi up` containers start in parallel, so which container gets which dynamic address depends on the order
 * they start. The model allocates in the order the engine registers them (the program's declaration order under the
 * mocks): from a fresh pool the set of addresses handed out is the same whatever the order, so distinctness and
 * exhaustion hold for every order; only the assignment within the set is one of the possible ones. A container that
 * runs to completion (the ACL bootstrap) releases its address when it exits; the model keeps it taken, the order in
 * which that matters being unknown.
 */

/** A network's pool: host numbers are offsets from the subnet's base address. */
interface Pool {
  readonly name: string;
  readonly id: string;
  readonly base: number;
  readonly size: number;
  /** The ip-range's first and last offsets (the whole subnet when the network names none). */
  readonly rangeStart: number;
  readonly rangeEnd: number;
  readonly taken: Uint8Array;
  /** Lowest offset in the range that may be free: the first-free scan starts here, so a run allocates in O(n). */
  nextFree: number;
}

export type Allocation = { readonly address: string } | { readonly refusal: string };

function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

function parseCidr(text: string): { base: number; size: number } | undefined {
  const [ip, bits] = text.split("/");
  const address = parseIpv4(ip ?? "");
  const prefix = Number(bits);
  if (address === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  return { base: address - (address % size), size };
}

export interface NetworkIpam {
  readonly subnet?: string;
  readonly ipRange?: string;
  readonly gateway?: string;
}

/** dockerd's address pools for one run: networks by name, containers connected in start order. */
export class DockerIpam {
  private readonly pools = new Map<string, Pool>();

  /** A user-defined network with its first IPAM config (the program declares one per network). */
  addNetwork(name: string, id: string, config: NetworkIpam | undefined): void {
    const subnet = config?.subnet ? parseCidr(config.subnet) : undefined;
    if (!subnet) return;
    const range = config?.ipRange ? parseCidr(config.ipRange) : undefined;
    const rangeStart = range ? range.base - subnet.base : 0;
    const pool: Pool = {
      name,
      id,
      base: subnet.base,
      size: subnet.size,
      rangeStart,
      rangeEnd: range ? rangeStart + range.size - 1 : subnet.size - 1,
      taken: new Uint8Array(subnet.size),
      nextFree: rangeStart,
    };
    // insertBitMask: the network address (ordinal 0) and, for IPv4, the broadcast address are reserved.
    pool.taken[0] = 1;
    pool.taken[subnet.size - 1] = 1;
    // ipamAllocateVersion: the gateway is requested like a container's address, fixed or first free.
    const gateway = config?.gateway ? parseIpv4(config.gateway) : undefined;
    if (gateway !== undefined && gateway - subnet.base >= 0 && gateway - subnet.base < subnet.size)
      pool.taken[gateway - subnet.base] = 1;
    else this.firstFree(pool);
    this.pools.set(name, pool);
  }

  private firstFree(pool: Pool): number | undefined {
    for (let o = Math.max(pool.nextFree, pool.rangeStart); o <= pool.rangeEnd; o++) {
      if (pool.taken[o]) continue;
      pool.taken[o] = 1;
      pool.nextFree = o + 1;
      return o;
    }
    pool.nextFree = pool.rangeEnd + 1;
    return undefined;
  }

  /**
   * The address a container gets on `network` when it starts, or dockerd's refusal. A network this run does not
   * declare (one another stack owns) is not modelled: a fixed address is taken as given, a dynamic one is unknown.
   */
  connect(network: string, fixed: string | undefined): Allocation | undefined {
    const pool = this.pools.get(network);
    if (!pool) return fixed ? { address: fixed } : undefined;
    if (fixed !== undefined) {
      const ip = parseIpv4(fixed);
      const offset = ip === undefined ? -1 : ip - pool.base;
      if (offset < 0 || offset >= pool.size)
        return { refusal: `Invalid address ${fixed}: It does not belong to any of this network's subnets` };
      if (pool.taken[offset]) return { refusal: "Address already in use" };
      pool.taken[offset] = 1;
      return { address: fixed };
    }
    const offset = this.firstFree(pool);
    if (offset === undefined)
      return {
        refusal: `no available IPv4 addresses on this network's address pools: ${pool.name} (${pool.id})`,
      };
    return { address: formatIpv4(pool.base + offset) };
  }
}

interface NetworkInputs {
  readonly name?: string;
  readonly ipamConfigs?: readonly NetworkIpam[];
}
interface AttachedNetwork {
  readonly name: string;
  readonly ipv4Address?: string;
}

/** Registers a declared network (`docker.Network`) with the run's pools; its ID is the one the provider model gives. */
export function declareNetwork(
  ipam: DockerIpam,
  resourceName: string,
  id: string,
  inputs: Record<string, unknown>,
): void {
  const n = inputs as NetworkInputs;
  ipam.addNetwork(n.name || resourceName, id, n.ipamConfigs?.[0]);
}

export interface ContainerAddress {
  readonly network: string;
  /** Empty when dockerd refused the address or the network is not modelled. */
  readonly address: string;
  readonly refusal?: string;
}

/** What a container started with `networks_advanced` gets on each network, in declaration order. */
export function connectContainer(ipam: DockerIpam, inputs: Record<string, unknown>): ContainerAddress[] {
  // Addresses are allocated when the container starts; the provider starts it unless `start` is false.
  if (inputs.start === false) return [];
  const networks = (inputs.networksAdvanced ?? []) as readonly AttachedNetwork[];
  return networks.map((n) => {
    const result = ipam.connect(n.name, n.ipv4Address);
    if (!result) return { network: n.name, address: "" };
    return "address" in result
      ? { network: n.name, address: result.address }
      : { network: n.name, address: "", refusal: result.refusal };
  });
}

const IPAM_KEY = Symbol("dockerd IPAM");
/** The run's pools, one per simulated run. */
export const sessionIpam = (session: { of<T>(key: symbol, create: () => T): T }): DockerIpam =>
  session.of(IPAM_KEY, () => new DockerIpam());
