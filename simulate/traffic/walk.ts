/**
 * The traffic walk: one request from a caller's sidecar to a callee service, hop by hop through the rendered Envoy
 * files and the provider models (Consul catalog and DNS, Docker/Kubernetes addresses) — never through the mesh
 * model, so it checks what the generators wrote instead of restating them.
 *
 * What each hop does follows the real systems:
 * - the outbound listener's HTTP route (or TCP proxy) names a cluster (envoy api/envoy/config/route/v3);
 * - a STRICT_DNS cluster resolves each endpoint name and dials the port written beside it; lower priorities take
 *   all traffic while they have healthy hosts, then the next priority does (envoy source/common/upstream/
 *   load_balancer_impl.cc, priority spillover) — that is the failover through the gateways;
 * - the cluster asks its own resolver, else the bootstrap's, else Envoy's default (envoyView.ts `DnsResolver`);
 *   one without servers is the system resolver (/etc/resolv.conf), which answers no Consul name;
 * - Consul DNS answers with `dnsLookup` (simulate/consul/catalog.ts: only_passing, the DNS token's ACL). A
 *   registration whose address is a host name is answered with a CNAME to it (hashicorp/consul agent/dns.go
 *   `nodeServiceRecords` → `makeRecordFromFQDN`), followed by the target's records only when `resolveCNAME` finds
 *   them: inside the Consul domain by a lookup of its own, outside it only through the configured `recursors`. Envoy's
 *   STRICT_DNS/LOGICAL_DNS clusters make hosts of the A/AAAA records of the answer alone (envoy
 *   source/extensions/network/dns_resolver/cares/dns_impl.cc reads the addresses of `ares_addrinfo`), so a bare
 *   CNAME leaves the priority without hosts;
 * - a mesh gateway routes by SNI alone (`filter_chain_match.server_names`, TCP proxy; TLS passes through);
 * - the sidecar's inbound listener terminates TLS: the caller checks the server leaf's URI SAN against its
 *   `match_typed_subject_alt_names` and both sides verify the peer chain against their trust bundle
 *   (envoy source/common/tls/cert_validator/default_validator.cc); HTTP RBAC then matches the caller's leaf URI
 *   SAN (`authenticated.principal_name`, envoy source/extensions/filters/common/rbac/matchers.cc); the inbound
 *   route sends to `local_app`, which must be where the app listens.
 */
import { X509Certificate } from "node:crypto";
import type { CatalogInstance, DnsAnswer } from "../consul/catalog";
import type { ConsulDatacenter, ConsulView } from "../consul/deployed";
import type { AddressBook, Workload } from "./workloads";
import {
  isSystemResolver,
  sanMatches,
  type DnsResolver,
  type EnvoyCluster,
  type EnvoyView,
  type UpstreamTls,
} from "./envoyView";

export type HopName =
  | "outbound-listener"
  | "route"
  | "cluster"
  | "dns"
  | "workload"
  | "listener"
  | "local-gateway"
  | "remote-gateway"
  | "tls-sni"
  | "tls-san"
  | "tls-chain"
  | "rbac"
  | "app";

export type Verdict = "reachable" | "blocked" | "no route";

export interface PairWalk {
  /** `<cluster>/<service>` of the caller's sidecar. */
  readonly from: string;
  /** The callee service. */
  readonly to: string;
  readonly verdict: Verdict;
  readonly blockedAt?: HopName;
  readonly reason?: string;
  /** The caller's outbound listener for the callee, when it has one. */
  readonly upstream?: { readonly listener: string; readonly port: number; readonly cluster: string };
  /** `<cluster>/<service>` of the sidecar that answered. */
  readonly servedBy?: string;
  /** The instance that answered (its container or pod), when it is one of several. */
  readonly instance?: string;
  readonly via?: "direct" | "gateways";
  /** The datacenter the caller's cluster sends to first (priority 0), from the endpoint name or SNI. */
  readonly intendedDatacenter?: string;
  readonly hops: readonly string[];
}

/** What is down in a failure scenario. */
export interface Failure {
  /** What is down: a workload (`<cluster>/<service>`, `<cluster>/mesh-gateway`: all its instances) or one instance (`Workload.instance`). */
  readonly down: ReadonlySet<string>;
  /** Clusters whose Envoys get no DNS answer (every resolver down): Envoy keeps its last answer. */
  readonly dnsFrozen: ReadonlySet<string>;
}

export const NO_FAILURE: Failure = { down: new Set(), dnsFrozen: new Set() };

/** Parsed certificates and chain verdicts, shared by every walk of one world (a mesh verifies the same chains often). */
export interface WalkCaches {
  readonly certificates: Map<string, X509Certificate | Error>;
  readonly uriSans: Map<string, string[]>;
  /** By the chain's and the roots' arrays (each Envoy view's SDS arrays, stable): no key built from PEM text. */
  readonly chains: WeakMap<readonly string[], WeakMap<readonly string[], { problem: string | undefined }>>;
  /** Consul DNS answers with everything up, by `<datacenter>/<service>`. */
  readonly dns: Map<string, readonly DnsAnswer[]>;
  readonly interned: WeakMap<readonly string[], readonly string[]>;
  readonly byContent: Map<string, readonly string[]>;
}

export function walkCaches(): WalkCaches {
  return {
    certificates: new Map(),
    uriSans: new Map(),
    chains: new WeakMap(),
    dns: new Map(),
    interned: new WeakMap(),
    byContent: new Map(),
  };
}

/**
 * What Consul DNS answers for `<service>.service.<datacenter>.consul` with `catalog` (the catalog under the
 * failure): `dnsLookup` when the walk holds the tokens (the render); the gate, which reads a redacted plan, answers
 * from the instances the render attested instead (see `attestedDns` in index.ts).
 */
export type DnsAnswerer = (
  catalog: readonly CatalogInstance[],
  dc: ConsulDatacenter,
  service: string,
) => readonly DnsAnswer[];

export interface World {
  readonly sidecars: ReadonlyMap<string, EnvoyView>;
  readonly gateways: ReadonlyMap<string, EnvoyView>;
  readonly consul: ConsulView;
  /** The catalog after the checks ran, with everything up. */
  readonly catalog: readonly CatalogInstance[];
  readonly book: AddressBook;
  readonly clusterOfDatacenter: (dc: string) => string;
  readonly dns: DnsAnswerer;
  /** The `recursors` of a datacenter's servers: where Consul DNS resolves a CNAME target outside its domain. */
  readonly recursors: (datacenter: string) => readonly string[];
  readonly caches: WalkCaches;
}

const CONSUL_NAME = /^([^.]+)\.service\.([^.]+)\.consul\.?$/;

const key = (w: Pick<Workload, "cluster" | "workload">): string => `${w.cluster}/${w.workload}`;

/** Whether `failure` takes `w` down: its whole workload or its own instance. */
export function isDown(failure: Failure, w: Workload): boolean {
  return failure.down.has(key(w)) || (w.instance !== undefined && failure.down.has(w.instance));
}

/**
 * What Consul DNS answers with `failure`: a down instance's checks turn critical, so it leaves every answer (both
 * with `only_passing` and without it); nothing else changes. The everything-up answer is computed once per name and
 * filtered per failure, instead of re-indexing a catalog copy for every scenario.
 */
function answersUnder(w: Walker, dc: ConsulDatacenter, service: string, frozen: boolean): readonly DnsAnswer[] {
  const { world } = w;
  const id = `${dc.datacenter}/${service}`;
  let answers = world.caches.dns.get(id);
  if (!answers) world.caches.dns.set(id, (answers = world.dns(world.catalog, dc, service)));
  // With every resolver down Envoy keeps the hosts of its last answer: the answer before the failure.
  if (w.failure.down.size === 0 || frozen) return answers;
  return answers.filter((a) => {
    const at = world.book.at(a.instance.address, world.clusterOfDatacenter(a.instance.datacenter));
    return !(at && isDown(w.failure, at));
  });
}

interface Blocked {
  readonly ok: false;
  readonly hop: HopName;
  readonly reason: string;
}
interface Served {
  readonly ok: true;
  readonly servedBy: string;
  readonly instance?: string;
}
type Outcome = Blocked | Served;

const blocked = (hop: HopName, reason: string): Blocked => ({ ok: false, hop, reason });

function certificate(caches: WalkCaches | undefined, pem: string): X509Certificate {
  let parsed = caches?.certificates.get(pem);
  if (parsed === undefined) {
    try {
      parsed = new X509Certificate(pem);
    } catch (error) {
      parsed = error instanceof Error ? error : new Error(String(error));
    }
    caches?.certificates.set(pem, parsed);
  }
  if (parsed instanceof Error) throw parsed;
  return parsed;
}

function uriSans(caches: WalkCaches, pem: string | undefined): string[] {
  if (!pem) return [];
  const cached = caches.uriSans.get(pem);
  if (cached) return cached;
  let sans: string[];
  try {
    sans = (certificate(caches, pem).subjectAltName ?? "")
      .split(/,\s*/)
      .filter((s) => s.startsWith("URI:"))
      .map((s) => s.slice(4));
  } catch {
    sans = [];
  }
  caches.uriSans.set(pem, sans);
  return sans;
}

/** `chainProblem`, remembered per (chain, roots): every caller of a service verifies the same chain. */
function cachedChainProblem(
  caches: WalkCaches,
  given: readonly string[],
  givenRoots: readonly string[],
): string | undefined {
  const chain = interned(caches, given);
  const roots = interned(caches, givenRoots);
  let byRoots = caches.chains.get(chain);
  if (!byRoots) caches.chains.set(chain, (byRoots = new WeakMap()));
  let verdict = byRoots.get(roots);
  if (!verdict) byRoots.set(roots, (verdict = { problem: chainProblem(chain, roots, caches) }));
  return verdict.problem;
}

/** Verifies `chain` (leaf first) up to one of `roots`; returns why not, or undefined when it chains. */
export function chainProblem(
  chain: readonly string[],
  roots: readonly string[],
  caches?: WalkCaches,
): string | undefined {
  if (chain.length === 0) return "no certificate";
  if (roots.length === 0) return "no trust bundle";
  let certs: X509Certificate[];
  let anchors: X509Certificate[];
  try {
    certs = chain.map((p) => certificate(caches, p));
    anchors = roots.map((p) => certificate(caches, p));
  } catch (error) {
    return `unparseable certificate (${error instanceof Error ? error.message : String(error)})`;
  }
  let current = certs[0]!;
  for (let depth = 0; depth < 8; depth++) {
    const anchor = anchors.find((a) => current.checkIssued(a) && current.verify(a.publicKey));
    if (anchor) return undefined;
    const next = certs.find((c) => c !== current && current.checkIssued(c) && current.verify(c.publicKey));
    if (!next) return `"${current.subject.replace(/\n/g, ", ")}" is not signed by the trust bundle or the chain`;
    current = next;
  }
  return "chain too long";
}

function describeTargets(cluster: EnvoyCluster): string {
  return cluster.endpoints.map((e) => `${e.address}:${e.port} (priority ${e.priority})`).join(", ");
}

/** A listener's filter chains by server name, the first chain naming it winning: a gateway has one per service. */
const sniIndexes = new WeakMap<
  EnvoyView["listeners"][number],
  Map<string, EnvoyView["listeners"][number]["chains"][number]>
>();
function chainsBySni(
  listener: EnvoyView["listeners"][number],
): Map<string, EnvoyView["listeners"][number]["chains"][number]> {
  let index = sniIndexes.get(listener);
  if (!index) {
    index = new Map();
    for (const c of listener.chains) for (const name of c.serverNames) if (!index.has(name)) index.set(name, c);
    sniIndexes.set(listener, index);
  }
  return index;
}

/** One array per distinct content: every caller's trust bundle is the same PEMs, verified once, not once per caller. */
function interned(caches: WalkCaches, pems: readonly string[]): readonly string[] {
  let canonical = caches.interned.get(pems);
  if (!canonical) {
    const text = pems.join("");
    canonical = caches.byContent.get(text) ?? pems;
    caches.byContent.set(text, canonical);
    caches.interned.set(pems, canonical);
  }
  return canonical;
}

interface Walker {
  readonly world: World;
  readonly failure: Failure;
  readonly hops: string[];
  readonly caller: EnvoyView;
}

/**
 * The hosts one endpoint stands for: Consul DNS answers for a Consul name, else the address itself. A Consul name
 * asked of the system resolver (the cluster's effective resolver has no servers: /etc/resolv.conf, the platform's
 * DNS, which cannot name Consul's DNS port) gets no answer.
 */
function hostsOf(
  w: Walker,
  address: string,
  fromCluster: string,
  dns: DnsResolver | undefined,
  depth = 0,
): { hosts: string[]; problem?: string; datacenter?: string } {
  const m = CONSUL_NAME.exec(address);
  if (!m) return { hosts: [address] };
  const [, service, datacenter] = m as unknown as [string, string, string];
  if (dns && isSystemResolver(dns)) {
    const which =
      dns.from === "cluster"
        ? "the cluster's own typed_dns_resolver_config keeps the system's nameservers"
        : dns.from === "bootstrap"
          ? "the bootstrap's typed_dns_resolver_config keeps the system's nameservers"
          : "neither the cluster nor the bootstrap sets typed_dns_resolver_config";
    return {
      hosts: [],
      datacenter,
      problem: `${address} is resolved through the system resolver (/etc/resolv.conf: ${which}), which does not answer Consul names`,
    };
  }
  const dc = w.world.consul.byDatacenter(datacenter);
  if (!dc) return { hosts: [], problem: `no Consul datacenter "${datacenter}" answers ${address}`, datacenter };
  // With every resolver down Envoy keeps the hosts of its last answer (strict DNS leaves hosts on a failed
  // resolution, envoy source/extensions/clusters/strict_dns/strict_dns_cluster.cc): the answer before the failure.
  const answers = answersUnder(w, dc, service, w.failure.dnsFrozen.has(fromCluster));
  const hosts: string[] = [];
  const cnames: string[] = [];
  for (const a of answers) {
    if (a.ipv4) {
      hosts.push(a.ipv4);
      continue;
    }
    // A host name: Consul answers a CNAME, plus the target's records only when it can resolve them itself
    // (agent/dns.go `resolveCNAME`: its own domain, or the recursors).
    const target = a.instance.address;
    const inside = depth < 3 && CONSUL_NAME.test(target) ? hostsOf(w, target, fromCluster, dns, depth + 1) : undefined;
    if (inside && inside.hosts.length > 0) hosts.push(...inside.hosts);
    else cnames.push(target);
  }
  if (hosts.length > 0) return { hosts, datacenter };
  if (cnames.length > 0) {
    const recursors = w.world.recursors(datacenter);
    return {
      hosts: [],
      datacenter,
      problem:
        `Consul DNS answers ${address} with CNAME ${cnames.join(", ")} (the registration's address is a host name) ` +
        (recursors.length > 0
          ? `and the A records its recursors (${recursors.join(", ")}) return, which this simulation cannot know`
          : "and no A record (no recursors configured)") +
        "; Envoy takes hosts only from A/AAAA records",
    };
  }
  const registered = w.world.catalog.filter((i) => i.datacenter === datacenter && i.name === service);
  const problem =
    registered.length === 0
      ? `Consul DNS answers NXDOMAIN for ${address}: no "${service}" is registered in ${datacenter}`
      : `Consul DNS answers no address for ${address}: ${registered.length} registered, none passing` +
        `${dc.onlyPassing ? " (only_passing)" : ""} and readable by the DNS token`;
  return { hosts: [], problem, datacenter };
}

/** Sends through a cluster: the lowest priority with any host takes the request (priority spillover). */
function throughCluster(
  w: Walker,
  cluster: EnvoyCluster,
  fromCluster: string,
  sniOverride: UpstreamTls | undefined,
  depth: number,
  hop: HopName,
): Outcome {
  const priorities = [...new Set(cluster.endpoints.map((e) => e.priority))].sort((a, b) => a - b);
  const problems: string[] = [];
  for (const priority of priorities) {
    const targets = cluster.endpoints
      .filter((e) => e.priority === priority)
      .flatMap((e) => {
        const { hosts, problem } = hostsOf(w, e.address, fromCluster, cluster.dns);
        if (problem) problems.push(problem);
        return hosts.map((h) => ({ host: h, endpoint: e }));
      });
    if (targets.length === 0) continue;
    if (priority > 0) w.hops.push(`${hop}: ${cluster.name} fails over to priority ${priority}`);
    let first: Outcome | undefined;
    for (const { host, endpoint } of targets) {
      w.hops.push(`${hop}: ${cluster.name} → ${endpoint.address}:${endpoint.port} → ${host}`);
      const outcome = atHost(w, host, endpoint.port, sniOverride ?? endpoint.tls, fromCluster, depth);
      if (!outcome.ok) return outcome;
      first ??= outcome;
    }
    return first!;
  }
  if (cluster.endpoints.length === 0) return blocked("cluster", `cluster ${cluster.name} has no endpoints`);
  return blocked("dns", problems[0] ?? `no host for cluster ${cluster.name} (${describeTargets(cluster)})`);
}

function atHost(
  w: Walker,
  host: string,
  port: number,
  tls: UpstreamTls | undefined,
  fromCluster: string,
  depth: number,
): Outcome {
  const { world } = w;
  const workload = world.book.at(host, fromCluster);
  if (!workload) return blocked("workload", `no container or pod has address ${host} (seen from ${fromCluster})`);
  if (isDown(w.failure, workload)) return blocked("workload", `${workload.subject} at ${host} is down`);
  if (workload.portMap.size > 0 && !workload.portMap.has(port)) {
    return blocked(
      "workload",
      `${workload.subject} exposes no port ${port} (ports: ${[...workload.portMap.keys()].join(", ")})`,
    );
  }
  const listenPort = workload.portMap.get(port) ?? port;
  const view = workload.role === "gateway" ? world.gateways.get(workload.cluster) : world.sidecars.get(key(workload));
  if (!view) return blocked("workload", `${workload.subject} at ${host} runs no Envoy with rendered files`);
  const listener = view.listeners.find((l) => l.port === listenPort);
  const gatewayHop: HopName = depth === 0 ? "local-gateway" : "remote-gateway";
  if (!listener) {
    const ports = view.listeners.map((l) => `${l.name}:${l.port}`).join(", ");
    return blocked(
      workload.role === "gateway" ? gatewayHop : "listener",
      `${workload.subject} has no listener on port ${listenPort} (listeners: ${ports})`,
    );
  }
  const sni = tls?.sni;
  if (workload.role === "gateway") {
    if (depth >= 2) return blocked(gatewayHop, `more than two gateways on the way (at ${workload.subject})`);
    const chain = sni !== undefined ? chainsBySni(listener).get(sni) : undefined;
    if (!chain) {
      return blocked(gatewayHop, `${workload.subject} has no filter chain for SNI ${sni ?? "(none)"}`);
    }
    const cluster = chain.cluster !== undefined ? view.clusters.get(chain.cluster) : undefined;
    if (!cluster)
      return blocked(gatewayHop, `${workload.subject} routes SNI ${sni} to undefined cluster ${chain.cluster}`);
    w.hops.push(`${gatewayHop}: ${workload.subject} SNI ${sni} → ${cluster.name}`);
    // The gateway passes TLS through: the caller's SNI and SAN checks still apply at the end.
    return throughCluster(w, cluster, workload.cluster, tls, depth + 1, gatewayHop);
  }
  return atSidecar(w, view, workload, listener.chains, listenPort, tls);
}

function atSidecar(
  w: Walker,
  view: EnvoyView,
  workload: Workload,
  chains: EnvoyView["listeners"][number]["chains"],
  port: number,
  tls: UpstreamTls | undefined,
): Outcome {
  const sni = tls?.sni;
  const chain = chains.find((c) => c.serverNames.length === 0 || (sni !== undefined && c.serverNames.includes(sni)));
  if (!chain) return blocked("tls-sni", `${workload.subject}:${port} has no filter chain for SNI ${sni ?? "(none)"}`);
  w.hops.push(`listener: ${workload.subject}:${port}${sni ? ` (SNI ${sni})` : ""}`);
  if (!tls) return blocked("tls-chain", `the caller dials ${workload.subject}:${port} without TLS`);
  const downstream = chain.downstreamTls;
  if (!downstream) return blocked("tls-chain", `${workload.subject}:${port} does not terminate TLS`);
  const serverChain = view.sds.get(downstream.certificateSds ?? "") ?? [];
  const serverSans = uriSans(w.world.caches, serverChain[0]);
  if (tls.sanMatchers.length > 0 && !tls.sanMatchers.some((m) => serverSans.some((s) => sanMatches(m, s)))) {
    return blocked(
      "tls-san",
      `the caller accepts only ${tls.sanMatchers.map((m) => `${m.kind} ${m.value}`).join(" or ")}; ` +
        `${workload.subject}'s leaf presents ${serverSans.join(", ") || "no URI SAN"}`,
    );
  }
  w.hops.push(`tls-san: ${serverSans.join(", ")}`);
  const { caller } = w;
  const callerBundle = caller.sds.get(tls.trustBundleSds ?? "") ?? [];
  const serverProblem = cachedChainProblem(w.world.caches, serverChain, callerBundle);
  if (serverProblem)
    return blocked("tls-chain", `the caller cannot verify ${workload.subject}'s chain: ${serverProblem}`);
  const clientChain = caller.sds.get(tls.certificateSds ?? "") ?? [];
  const identity = uriSans(w.world.caches, clientChain[0])[0];
  if (downstream.requireClientCertificate) {
    const bundle = view.sds.get(downstream.trustBundleSds ?? "") ?? [];
    const clientProblem = cachedChainProblem(w.world.caches, clientChain, bundle);
    if (clientProblem)
      return blocked("tls-chain", `${workload.subject} cannot verify the caller's chain: ${clientProblem}`);
  }
  w.hops.push("tls-chain: both chains verify against the trust bundles");
  if (chain.rbac) {
    const matched = chain.rbac.policies.find((p) =>
      p.principals.some(
        (x) =>
          x.kind === "any" || (x.kind === "authenticated" && identity !== undefined && sanMatches(x.matcher, identity)),
      ),
    );
    const allow = chain.rbac.action === "ALLOW" ? matched !== undefined : matched === undefined;
    if (!allow) {
      const principals = chain.rbac.policies
        .flatMap((p) => p.principals.map((x) => (x.kind === "authenticated" ? x.matcher.value : x.kind)))
        .join(", ");
      return blocked(
        "rbac",
        chain.rbac.action === "ALLOW"
          ? `RBAC admits no principal ${identity ?? "(no URI SAN)"} (principals: ${principals || "none"}): 403`
          : `RBAC policy ${matched?.name} denies ${identity}: 403`,
      );
    }
    w.hops.push(`rbac: ${identity} admitted${matched ? ` by ${matched.name}` : ""}`);
  }
  const app = chain.cluster !== undefined ? view.clusters.get(chain.cluster) : undefined;
  if (!app) return blocked("app", `the inbound route names cluster ${chain.cluster ?? "(none)"}, which is not defined`);
  const target = app.endpoints[0];
  if (!target) return blocked("app", `cluster ${app.name} has no endpoint`);
  if (workload.appPort !== undefined && target.port !== workload.appPort) {
    return blocked(
      "app",
      `${app.name} sends to ${target.address}:${target.port} but the app listens on ${workload.appPort}`,
    );
  }
  w.hops.push(`app: ${app.name} → ${target.address}:${target.port}`);
  return {
    ok: true,
    servedBy: key(workload),
    ...(workload.instance !== undefined ? { instance: workload.instance } : {}),
  };
}

interface Outbound {
  readonly listener: EnvoyView["listeners"][number];
  readonly clusterName: string | undefined;
}

/** Callee → outbound listener of a caller, built once per caller: a big mesh walks every (caller, callee). */
const outboundCache = new WeakMap<EnvoyView, Map<string, Outbound>>();

/**
 * A plain (no TLS) listener whose route goes to a cluster for the callee — by the endpoint's Consul name or the
 * SNI's first label — or, when its route names no defined cluster, one named `outbound_<callee>`.
 */
function outboundListeners(caller: EnvoyView): Map<string, Outbound> {
  let map = outboundCache.get(caller);
  if (map) return map;
  map = new Map();
  for (const listener of caller.listeners) {
    if (listener.chains.length === 0 || listener.chains.some((c) => c.downstreamTls)) continue;
    const clusterName = listener.chains[0]!.cluster;
    const cluster = clusterName !== undefined ? caller.clusters.get(clusterName) : undefined;
    const callees = cluster
      ? cluster.endpoints.flatMap((e) => [CONSUL_NAME.exec(e.address)?.[1], (e.tls?.sni ?? "").split(".")[0]])
      : [/^outbound_(.+)$/.exec(listener.name)?.[1]];
    for (const callee of callees) {
      if (callee && callee !== "mesh-gateway" && !map.has(callee)) map.set(callee, { listener, clusterName });
    }
  }
  outboundCache.set(caller, map);
  return map;
}

/** The callees `caller` has an outbound listener for. */
export function outboundCallees(caller: EnvoyView): string[] {
  return [...outboundListeners(caller).keys()];
}

function intendedDatacenter(cluster: EnvoyCluster): string | undefined {
  const first = [...cluster.endpoints].sort((a, b) => a.priority - b.priority)[0];
  if (!first) return undefined;
  const name = CONSUL_NAME.exec(first.address);
  // The SNI reads <service>.<namespace>.<datacenter>.internal.<trust domain>.
  return name && name[1] !== "mesh-gateway" ? name[2] : first.tls?.sni?.split(".")[2];
}

/** Walks one request from `caller` (a sidecar's files) to `callee`. */
export function walkPair(world: World, caller: EnvoyView, callee: string, failure: Failure = NO_FAILURE): PairWalk {
  const from = `${caller.set.cluster}/${caller.set.workload}`;
  const base = { from, to: callee };
  // The outbound listener: a plain (no TLS) listener whose route goes to a cluster for the callee, or one named
  // for it whose route is broken.
  const outbound = outboundListeners(caller).get(callee);
  if (!outbound) {
    return {
      ...base,
      verdict: "no route",
      blockedAt: "outbound-listener",
      reason: `${from} has no outbound listener for ${callee}`,
      hops: [],
    };
  }
  const { listener, clusterName } = outbound;
  const upstream = { listener: listener.name, port: listener.port, cluster: clusterName ?? "" };
  const hops = [`outbound-listener: ${listener.name} ${listener.address}:${listener.port}`];
  const cluster = clusterName !== undefined ? caller.clusters.get(clusterName) : undefined;
  if (!cluster) {
    return {
      ...base,
      upstream,
      verdict: "blocked",
      blockedAt: "route",
      reason: `route of ${listener.name} names cluster ${clusterName ?? "(none)"}, which cluster.yaml does not define`,
      hops,
    };
  }
  hops.push(`route: ${listener.name} → ${cluster.name}`);
  const walker: Walker = { world, failure, hops, caller };
  const outcome = throughCluster(walker, cluster, caller.set.cluster, undefined, 0, "cluster");
  const dc = intendedDatacenter(cluster);
  const intended = dc !== undefined ? { intendedDatacenter: dc } : {};
  if (!outcome.ok) {
    return { ...base, upstream, ...intended, verdict: "blocked", blockedAt: outcome.hop, reason: outcome.reason, hops };
  }
  const viaGateway = hops.some((h) => h.startsWith("local-gateway:") || h.startsWith("remote-gateway:"));
  return {
    ...base,
    upstream,
    ...intended,
    verdict: "reachable",
    servedBy: outcome.servedBy,
    ...(outcome.instance !== undefined ? { instance: outcome.instance } : {}),
    via: viaGateway ? "gateways" : "direct",
    hops,
  };
}
