/**
 * traffic.json: every (caller sidecar, callee service) walked through the rendered artifacts, the matrix, the
 * failure scenarios, and what the intentions say each edge should do — plus the violations the gate refuses.
 *
 * Intentions are read from the rendered `service-intentions` config entries of each datacenter and decided with
 * model/intentions.ts (Consul's precedence, hashicorp/consul agent/consul/state/intention.go `IntentionDecision`).
 * A source with `Peer` matches only calls from that peer; one without matches only local callers (hashicorp/consul
 * agent/structs/config_entry_intentions.go `SourceIntention.Peer`). With no match, the ACL `default_policy` decides
 * (agent/consul/intention_endpoint.go uses the authorizer's default when no intention matches).
 *
 * Failure injection:
 * - a service's local instances go down one at a time (cumulative): while one is left, its cluster's callers must
 *   be served by it (Consul DNS drops the critical ones, only_passing); with none left, a cluster with a lower
 *   priority (the gateways) must take over (envoy priority spillover, source/common/upstream/load_balancer_impl.cc);
 * - a cluster's gateway down: every edge through it stops;
 * - one Consul server down: raft needs `voters/2 + 1` (hashicorp/raft raft.go `quorumSize`); without a leader Consul
 *   answers DNS only from stale reads (agent/dns.go, `dns_config.allow_stale`, on by default), and a resolver that
 *   was the down server itself does not answer at all: Envoy keeps the hosts of its last answer.
 */
import { isIPv4 } from "node:net";
import { envoyFileSets, type EnvoyFileSet } from "../../artifacts/envoy";
import { compareStrings } from "../../model/mesh";
import { intentionAllows, type IntentionRule } from "../../model/intentions";
import { appliersOf } from "../consul/applier";
import { dnsLookup, registeredCatalog, runChecks, type CatalogInstance } from "../consul/catalog";
import { consulView, deployedFiles } from "../consul/deployed";
import type { Deployment } from "../system";
import { envoyView, type EnvoyView } from "./envoyView";
import {
  NO_FAILURE,
  outboundCallees,
  walkCaches,
  walkPair,
  type DnsAnswerer,
  type Failure,
  type PairWalk,
  type Verdict,
  type World,
} from "./walk";
import { addressBook } from "./workloads";

export type { PairWalk, Verdict, HopName } from "./walk";

export interface PairEntry extends PairWalk {
  /** What the intentions of the serving datacenter decide for this edge. */
  readonly intention: "allow" | "deny";
}

/** One edge's outcome under a failure, as traffic.json lists it. */
export interface ScenarioPair {
  readonly from: string;
  readonly to: string;
  readonly verdict: Verdict;
  readonly blockedAt?: string;
  readonly reason?: string;
  readonly servedBy?: string;
  readonly instance?: string;
  readonly via?: "direct" | "gateways";
}

export interface FailureScenario {
  readonly kind: "instance-down" | "gateway-down" | "consul-server-down";
  /**
   * What is down: instances (`<cluster>/<service>/<instance>`, cumulative: the service's first k local instances),
   * `<cluster>/mesh-gateway`, or `<cluster>/<server node>`.
   */
  readonly down: readonly string[];
  /** instance-down: `<cluster>/<service>` and how many of its local instances are down (`2 of 2`). */
  readonly service?: string;
  readonly step?: string;
  readonly notes: readonly string[];
  /** Edges whose outcome (verdict, serving instance, path) this failure changes. */
  readonly changed: readonly ScenarioPair[];
  /** instance-down: every edge from the service's own cluster to it, with where it goes now (the failover path). */
  readonly failover: readonly ScenarioPair[];
}

export interface TrafficViolation {
  readonly kind: "allowed-unreachable" | "denied-reachable" | "failover-missing";
  readonly from: string;
  readonly to: string;
  readonly scenario?: string;
  readonly message: string;
}

/**
 * The DNS answers the render computed with the tokens (Consul's health checks and the DNS token's ACL), per
 * datacenter and service: the service IDs Consul DNS returns with everything up. A redacted plan cannot recompute
 * them (the tokens are secrets), so the gate's re-walk takes them from traffic.json and re-derives everything else.
 */
export type AttestedDns = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

export interface TrafficReport {
  /** Every (caller, callee) where the caller has an outbound listener for the callee, walked. */
  readonly pairs: readonly PairEntry[];
  /** Every callee service: a callee absent from a caller's pairs has no outbound listener there ("no route"). */
  readonly callees: readonly string[];
  readonly callers: readonly string[];
  readonly scenarios: readonly FailureScenario[];
  readonly violations: readonly TrafficViolation[];
  readonly attestedDns: AttestedDns;
  readonly counts: {
    readonly pairs: number;
    readonly withUpstream: number;
    readonly reachable: number;
    readonly blocked: number;
    readonly noRoute: number;
    readonly scenarios: number;
    readonly violations: number;
  };
}

interface IntentionSource {
  readonly source: string;
  readonly peer?: string;
  readonly action: "allow" | "deny";
  readonly destination: string;
}

/** Every service-intentions source by datacenter, from the Consul appliers' payloads (what Consul is given). */
function intentionSources(deployment: Pick<Deployment, "resources">): Map<string, IntentionSource[]> {
  const byDc = new Map<string, IntentionSource[]>();
  for (const { payload } of appliersOf(deployment.resources)) {
    const dc = payload.datacenter;
    for (const entry of payload.configEntries) {
      if (entry.Kind !== "service-intentions") continue;
      const sources = (entry.Sources ?? []) as Array<{ Name?: string; Peer?: string; Action?: string }>;
      for (const s of sources) {
        if (s.Action !== "allow" && s.Action !== "deny") continue;
        byDc.set(dc, [
          ...(byDc.get(dc) ?? []),
          {
            source: String(s.Name ?? ""),
            ...(s.Peer ? { peer: s.Peer } : {}),
            action: s.Action,
            destination: entry.Name,
          },
        ]);
      }
    }
  }
  return byDc;
}

interface ServerConfig {
  readonly defaultAction: "allow" | "deny";
  readonly recursors: readonly string[];
}

/** Per datacenter, from each server.json: the ACL default policy and the DNS recursors. */
function serverConfigs(deployment: Deployment): Map<string, ServerConfig> {
  const configs = new Map<string, ServerConfig>();
  for (const f of deployedFiles(deployment.resources)) {
    if (f.name !== "server.json") continue;
    try {
      const config = JSON.parse(f.content) as {
        datacenter?: string;
        acl?: { default_policy?: string };
        recursors?: unknown;
      };
      if (config.datacenter && !configs.has(config.datacenter)) {
        configs.set(config.datacenter, {
          defaultAction: config.acl?.default_policy === "allow" ? "allow" : "deny",
          recursors: Array.isArray(config.recursors) ? config.recursors.map(String) : [],
        });
      }
    } catch {
      /* an unreadable server.json is the Consul model's finding, not the walk's */
    }
  }
  return configs;
}

export interface WorldOptions {
  /** The Envoy file sets to walk (the gate passes the plan's, with the certificates of the written files). */
  readonly envoySets?: readonly EnvoyFileSet[];
  /** Answer DNS from these attested answers instead of evaluating checks and tokens (the gate: secrets redacted). */
  readonly attestedDns?: AttestedDns;
}

/** A DNS answerer from attested service IDs: an attested instance answers unless a failure made its checks critical. */
function attestedAnswerer(attested: AttestedDns): DnsAnswerer {
  return (catalog, dc, service) => {
    const ids = new Set(attested[dc.datacenter]?.[service] ?? []);
    return catalog
      .filter((i) => i.datacenter === dc.datacenter && i.name === service && ids.has(i.serviceId))
      .filter((i) => i.checks.every((c) => c.status !== "critical"))
      .map((instance) => ({ instance, ...(isIPv4(instance.address) ? { ipv4: instance.address } : {}) }));
  };
}

/** Builds what the walk reads: parsed Envoy files, the Consul catalog after its checks, the address book. */
export function trafficWorld(deployment: Deployment, options: WorldOptions = {}): World {
  const consul = consulView(deployment);
  const clusterOfDatacenter = (dc: string): string => consul.byDatacenter(dc)?.cluster ?? dc;
  const registered = registeredCatalog(deployment, consul);
  // With attested answers, an attested instance's checks are passing (the render saw them pass); the rest stay as
  // registered. Without, the checks run as their owners would (consul-esm with its token).
  const attested = options.attestedDns;
  const catalog: CatalogInstance[] = attested
    ? registered.map((i) =>
        (attested[i.datacenter]?.[i.name] ?? []).includes(i.serviceId)
          ? { ...i, checks: i.checks.map((c) => ({ ...c, status: "passing" as const })) }
          : i,
      )
    : runChecks(registered, consul).catalog;
  const sidecars = new Map<string, EnvoyView>();
  const gateways = new Map<string, EnvoyView>();
  for (const set of options.envoySets ?? envoyFileSets(deployment.resources)) {
    const id = `${set.cluster}/${set.workload}`;
    if (set.workload === "mesh-gateway") {
      if (!gateways.has(set.cluster)) gateways.set(set.cluster, envoyView(set));
    } else if (!sidecars.has(id)) sidecars.set(id, envoyView(set));
  }
  const servers = serverConfigs(deployment);
  return {
    sidecars,
    gateways,
    consul,
    catalog,
    book: addressBook(deployment, clusterOfDatacenter),
    clusterOfDatacenter,
    dns: attested ? attestedAnswerer(attested) : dnsLookup,
    recursors: (dc) => servers.get(dc)?.recursors ?? [],
    caches: walkCaches(),
  };
}

function scenarioPair(p: PairWalk): ScenarioPair {
  return {
    from: p.from,
    to: p.to,
    verdict: p.verdict,
    ...(p.blockedAt ? { blockedAt: p.blockedAt } : {}),
    ...(p.reason ? { reason: p.reason } : {}),
    ...(p.servedBy ? { servedBy: p.servedBy } : {}),
    ...(p.instance ? { instance: p.instance } : {}),
    ...(p.via ? { via: p.via } : {}),
  };
}

/** hashicorp/raft raft.go `quorumSize`: `voters/2 + 1`. */
export function raftQuorum(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

function quorumNote(servers: number): string {
  const quorum = raftQuorum(servers);
  if (servers <= 1) return "the only server is down: no leader, no catalog writes and no DNS answers from it";
  return servers - 1 >= quorum
    ? `${servers - 1} of ${servers} servers keep quorum (${quorum}, hashicorp/raft quorumSize): a leader is elected and the catalog stays writable`
    : `${servers - 1} of ${servers} servers is below quorum (${quorum}, hashicorp/raft quorumSize): no leader, no catalog writes; DNS answers only stale reads (dns_config.allow_stale)`;
}

/** The service IDs Consul DNS answers per datacenter and service with everything up (what the gate re-walks with). */
function attestDns(world: World): AttestedDns {
  const names = new Map<string, Set<string>>();
  for (const i of world.catalog) {
    const set = names.get(i.datacenter) ?? new Set<string>();
    set.add(i.name);
    names.set(i.datacenter, set);
  }
  const out: Record<string, Record<string, string[]>> = {};
  for (const dcName of [...names.keys()].sort(compareStrings)) {
    const dc = world.consul.byDatacenter(dcName);
    if (!dc) continue;
    const row: Record<string, string[]> = {};
    for (const name of [...names.get(dcName)!].sort(compareStrings)) {
      const ids = world.dns(world.catalog, dc, name).map((a) => a.instance.serviceId);
      if (ids.length > 0) row[name] = [...new Set(ids)].sort(compareStrings);
    }
    out[dcName] = row;
  }
  return out;
}

export function trafficReport(deployment: Deployment, options: WorldOptions = {}): TrafficReport {
  const world = trafficWorld(deployment, options);
  const consul = world.consul;
  const intentions = intentionSources(deployment);
  const servers = serverConfigs(deployment);
  const clusterDatacenter = new Map(consul.datacenters.map((d) => [d.cluster, d.datacenter]));
  const datacenterOfCluster = (cluster: string): string => clusterDatacenter.get(cluster) ?? cluster;

  const callerIds = [...world.sidecars.keys()].sort(compareStrings);
  const callees = [...new Set([...world.sidecars.values()].map((c) => c.set.workload))].sort(compareStrings);

  const intentionFor = (p: PairWalk): "allow" | "deny" => {
    const [callerCluster = "", callerService = ""] = p.from.split("/");
    const callerDc = datacenterOfCluster(callerCluster);
    const servingDc = p.servedBy
      ? datacenterOfCluster(p.servedBy.split("/")[0] ?? "")
      : (p.intendedDatacenter ?? callerDc);
    const rules: IntentionRule[] = (intentions.get(servingDc) ?? [])
      .filter((s) => (servingDc === callerDc ? s.peer === undefined : s.peer === callerDc))
      .map((s) => ({ source: s.source, destination: s.destination, action: s.action }));
    return intentionAllows(rules, servers.get(servingDc)?.defaultAction ?? "deny", callerService, p.to)
      ? "allow"
      : "deny";
  };

  // Only the callees a caller has an outbound listener for are walked: the rest are "no route" by construction.
  const routed: PairWalk[] = callerIds.flatMap((id) => {
    const caller = world.sidecars.get(id)!;
    return outboundCallees(caller)
      .sort(compareStrings)
      .map((callee) => walkPair(world, caller, callee, NO_FAILURE));
  });
  const pairs: PairEntry[] = routed.map((p) => ({ ...p, intention: intentionFor(p) }));
  const pairKey = (p: { from: string; to: string }): string => `${p.from}→${p.to}`;
  const baselineOf = new Map(routed.map((p) => [pairKey(p), p]));
  const routedTo = new Map<string, PairWalk[]>();
  for (const p of routed) {
    const list = routedTo.get(p.to) ?? [];
    routedTo.set(p.to, list);
    list.push(p);
  }

  const violations: TrafficViolation[] = [];
  for (const p of pairs) {
    if (p.intention === "allow" && p.verdict !== "reachable") {
      violations.push({
        kind: "allowed-unreachable",
        from: p.from,
        to: p.to,
        message: `intentions allow ${p.from} → ${p.to} but it is blocked at ${p.blockedAt}: ${p.reason}`,
      });
    }
    if (p.intention === "deny" && p.verdict === "reachable") {
      violations.push({
        kind: "denied-reachable",
        from: p.from,
        to: p.to,
        message: `intentions deny ${p.from} → ${p.to} but it is reachable (served by ${p.servedBy})`,
      });
    }
  }

  const walkUnder = (failure: Failure, edges: readonly PairWalk[]): PairWalk[] =>
    edges.map((p) => walkPair(world, world.sidecars.get(p.from)!, p.to, failure));
  const changedFrom = (walks: readonly PairWalk[]): ScenarioPair[] =>
    walks
      .filter((p) => {
        const before = baselineOf.get(pairKey(p));
        return before?.verdict !== p.verdict || before?.instance !== p.instance || before?.via !== p.via;
      })
      .map(scenarioPair);
  const promisesFailover = (p: PairWalk): boolean => {
    const cluster = world.sidecars.get(p.from)?.clusters.get(p.upstream?.cluster ?? "");
    return cluster !== undefined && new Set(cluster.endpoints.map((e) => e.priority)).size > 1;
  };

  const scenarios: FailureScenario[] = [];
  // Each service's instances per cluster, from the catalog as the address book places them.
  const instancesOf = new Map<string, Set<string>>();
  for (const i of world.catalog) {
    const w = world.book.at(i.address, world.clusterOfDatacenter(i.datacenter));
    if (!w || w.role !== "sidecar" || w.instance === undefined) continue;
    const id = `${w.cluster}/${w.workload}`;
    instancesOf.set(id, (instancesOf.get(id) ?? new Set()).add(w.instance));
  }
  for (const id of [...instancesOf.keys()].sort(compareStrings)) {
    const [cluster = "", service = ""] = id.split("/");
    const instances = [...instancesOf.get(id)!].sort(compareStrings);
    const edges = routedTo.get(service) ?? [];
    const local = edges.filter((p) => p.from.startsWith(`${cluster}/`));
    for (let k = 1; k <= instances.length; k++) {
      const down = instances.slice(0, k);
      const walks = walkUnder({ down: new Set(down), dnsFrozen: new Set() }, edges);
      const left = instances.length - k;
      const failover = walks.filter((p) => p.from.startsWith(`${cluster}/`)).map(scenarioPair);
      const step = `${k} of ${instances.length}`;
      for (const f of failover) {
        const before = baselineOf.get(pairKey(f));
        if (before?.verdict !== "reachable" || f.verdict === "reachable") continue;
        const promised = left > 0 || promisesFailover(before);
        if (!promised) continue;
        violations.push({
          kind: "failover-missing",
          from: f.from,
          to: f.to,
          scenario: `instance-down ${step} of ${id}`,
          message:
            left > 0
              ? `with ${step} instances of ${id} down, ${f.from} → ${f.to} should be served by the other local instance(s) but is blocked at ${f.blockedAt}: ${f.reason}`
              : `with every instance of ${id} down, ${f.from} → ${f.to} should fail over through the gateways but is blocked at ${f.blockedAt}: ${f.reason}`,
        });
      }
      const promising = local.filter(promisesFailover).length;
      scenarios.push({
        kind: "instance-down",
        down,
        service: id,
        step,
        notes: [
          left > 0
            ? `${left} local instance(s) left: Consul DNS (only passing) answers with them alone`
            : local.length === 0
              ? `no local instance left; no caller in ${cluster} calls ${service}`
              : promising > 0
                ? `no local instance left: ${promising} local caller(s) have a lower priority for ${service} (the gateways)`
                : `no local instance left and no lower priority for ${service}`,
        ],
        changed: changedFrom(walks),
        failover,
      });
    }
  }

  for (const cluster of [...world.gateways.keys()].sort(compareStrings)) {
    const walks = walkUnder({ down: new Set([`${cluster}/mesh-gateway`]), dnsFrozen: new Set() }, routed);
    scenarios.push({
      kind: "gateway-down",
      down: [`${cluster}/mesh-gateway`],
      notes: [],
      changed: changedFrom(walks),
      failover: [],
    });
  }

  for (const dc of [...consul.datacenters].sort((a, b) => compareStrings(a.cluster, b.cluster))) {
    const node = dc.serverNodes[0];
    if (node === undefined) continue;
    const servers = dc.serverNodes.length;
    // The resolvers this cluster's Envoys use: when the down server was the only one behind them, DNS goes quiet.
    const resolvers = new Set(
      [...world.sidecars.values(), ...world.gateways.values()]
        .filter((v) => v.set.cluster === dc.cluster)
        .flatMap((v) => [...v.clusters.values()].flatMap((c) => c.dns?.servers ?? [])),
    );
    const answering = [...resolvers].filter((r) => {
      const w = world.book.at(r.split(":")[0] ?? "", dc.cluster);
      // A resolver that is the down server's own address stops; a Service in front of several servers does not.
      return !(w !== undefined && (w.workload === node || (w.role === "other" && servers <= 1)));
    });
    const frozen = resolvers.size > 0 && answering.length === 0;
    const notes = [
      quorumNote(servers),
      frozen
        ? `no DNS resolver answers in ${dc.cluster} (${[...resolvers].sort(compareStrings).join(", ")}): Envoy keeps the hosts of its last answer, so traffic continues but no failover or new instance is seen`
        : `DNS still answers in ${dc.cluster} (${answering.sort(compareStrings).join(", ") || "no resolvers used"})`,
    ];
    // DNS that still answers changes nothing; frozen DNS keeps the last answer, which is the baseline's.
    const walks = frozen ? walkUnder({ down: new Set(), dnsFrozen: new Set([dc.cluster]) }, routed) : [];
    scenarios.push({
      kind: "consul-server-down",
      down: [`${dc.cluster}/${node}`],
      notes,
      changed: changedFrom(walks),
      failover: [],
    });
  }

  const reachable = pairs.filter((p) => p.verdict === "reachable").length;
  return {
    pairs,
    callees,
    callers: callerIds,
    scenarios,
    violations,
    attestedDns: attestDns(world),
    counts: {
      pairs: callerIds.length * callees.length,
      withUpstream: pairs.length,
      reachable,
      blocked: pairs.length - reachable,
      noRoute: callerIds.length * callees.length - pairs.length,
      scenarios: scenarios.length,
      violations: violations.length,
    },
  };
}
