/**
 * traffic.json: every (caller sidecar, callee service) walked through the rendered artifacts, the matrix, the
 * failure scenarios, and what the intentions say each edge should do — plus the violations the gate refuses.
 *
 * Intentions are read from the rendered `service-intentions` config entries of each datacenter and decided with
 * model/intentions.ts (Consul's precedence, hashicorp/consul agent/consul/state/intention.go `IntentionDecision`).
 * A source with `Peer` matches only calls from that peer; one without matches only local callers (hashicorp/consul
 * agent/structs/config_entry_intentions.go `SourceIntention.Peer`). With no match, the ACL `default_policy` decides
 * (agent/consul/intention_endpoint.go uses the authorizer's default when no intention matches).
 */
import { createHash } from "node:crypto";
import { envoyFileSets } from "../../artifacts/envoy";
import { envoyFiles } from "../../model/names";
import type { RecordedResource } from "../recorder";
import { compareStrings } from "../../model/mesh";
import { intentionAllows, type IntentionRule } from "../../model/intentions";
import { appliersOf } from "../consul/applier";
import { registeredCatalog, runChecks } from "../consul/catalog";
import { consulView, deployedFiles } from "../consul/deployed";
import type { Deployment } from "../system";
import { envoyView, type EnvoyView } from "./envoyView";
import { NO_FAILURE, walkPair, type Failure, type PairWalk, type Verdict, type World } from "./walk";
import { addressBook } from "./workloads";

export type { PairWalk, Verdict, HopName } from "./walk";

export interface PairEntry extends PairWalk {
  /** What the intentions of the serving datacenter decide for this edge. */
  readonly intention: "allow" | "deny";
}

export interface ScenarioPair {
  readonly from: string;
  readonly to: string;
  readonly verdict: Verdict;
  readonly blockedAt?: string;
  readonly reason?: string;
  readonly servedBy?: string;
  readonly via?: "direct" | "gateways";
}

export interface FailureScenario {
  readonly kind: "instance-down" | "gateway-down" | "consul-server-down";
  /** What is down: `<cluster>/<service>`, `<cluster>/mesh-gateway`, `<cluster>/<server node>`. */
  readonly down: string;
  readonly notes: readonly string[];
  /** Pairs with an upstream whose outcome this failure changes, and pairs it must fail over. */
  readonly changed: readonly ScenarioPair[];
  /** Pairs whose upstream cluster has a lower priority for the callee (a promised failover), and their outcome. */
  readonly failover: readonly ScenarioPair[];
}

export interface TrafficViolation {
  readonly kind: "allowed-unreachable" | "denied-reachable" | "failover-missing";
  readonly from: string;
  readonly to: string;
  readonly scenario?: string;
  readonly message: string;
}

export interface TrafficReport {
  /** Every (caller, callee) with an outbound listener for the callee, walked. */
  readonly pairs: readonly PairEntry[];
  /** from (`<cluster>/<service>`) → callee → verdict, for every pair. */
  readonly matrix: Readonly<Record<string, Readonly<Record<string, Verdict>>>>;
  readonly scenarios: readonly FailureScenario[];
  readonly violations: readonly TrafficViolation[];
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

/** Builds what the walk reads: parsed Envoy files, the Consul catalog after its checks, the address book. */
export function trafficWorld(deployment: Deployment): World {
  const consul = consulView(deployment);
  const clusterOfDatacenter = (dc: string): string => consul.byDatacenter(dc)?.cluster ?? dc;
  const catalog = runChecks(registeredCatalog(deployment, consul), consul).catalog;
  const sidecars = new Map<string, EnvoyView>();
  const gateways = new Map<string, EnvoyView>();
  for (const set of envoyFileSets(deployment.resources)) {
    const view = envoyView(set);
    if (set.workload === "mesh-gateway") gateways.set(set.cluster, view);
    else if (!sidecars.has(`${set.cluster}/${set.workload}`)) sidecars.set(`${set.cluster}/${set.workload}`, view);
  }
  return {
    sidecars,
    gateways,
    consul,
    catalog,
    book: addressBook(deployment, clusterOfDatacenter),
    clusterOfDatacenter,
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
    ...(p.via ? { via: p.via } : {}),
  };
}

/** Raft needs a majority of the configured servers (hashicorp/raft: quorum = voters/2 + 1). */
function quorumNote(servers: number): string {
  const quorum = Math.floor(servers / 2) + 1;
  if (servers <= 1) return "the only server is down: no leader, no catalog writes and no DNS answers from it";
  return servers - 1 >= quorum
    ? `${servers - 1} of ${servers} servers keep quorum (${quorum}): the catalog stays writable`
    : `${servers - 1} of ${servers} servers is below quorum (${quorum}): no leader, no catalog writes; DNS answers only stale reads (dns_config.allow_stale)`;
}

export function trafficReport(deployment: Deployment): TrafficReport {
  const world = trafficWorld(deployment);
  const consul = world.consul;
  const intentions = intentionSources(deployment);
  const defaultAction = new Map<string, "allow" | "deny">();
  for (const f of deployedFiles(deployment.resources)) {
    if (f.name !== "server.json") continue;
    try {
      const config = JSON.parse(f.content) as { datacenter?: string; acl?: { default_policy?: string } };
      if (config.datacenter)
        defaultAction.set(config.datacenter, config.acl?.default_policy === "allow" ? "allow" : "deny");
    } catch {
      /* an unreadable server.json is the Consul model's finding, not the walk's */
    }
  }
  const datacenterOfCluster = (cluster: string): string =>
    consul.datacenters.find((d) => d.cluster === cluster)?.datacenter ?? cluster;

  const callers = [...world.sidecars.values()].sort((a, b) =>
    compareStrings(`${a.set.cluster}/${a.set.workload}`, `${b.set.cluster}/${b.set.workload}`),
  );
  const callees = [...new Set(callers.map((c) => c.set.workload))].sort(compareStrings);

  const intentionFor = (p: PairWalk): "allow" | "deny" => {
    const [callerCluster = "", callerService = ""] = p.from.split("/");
    const callerDc = datacenterOfCluster(callerCluster);
    const servingDc = p.servedBy
      ? datacenterOfCluster(p.servedBy.split("/")[0] ?? "")
      : (p.intendedDatacenter ?? callerDc);
    const rules: IntentionRule[] = (intentions.get(servingDc) ?? [])
      .filter((s) => (servingDc === callerDc ? s.peer === undefined : s.peer === callerDc))
      .map((s) => ({ source: s.source, destination: s.destination, action: s.action }));
    return intentionAllows(rules, defaultAction.get(servingDc) ?? "deny", callerService, p.to) ? "allow" : "deny";
  };

  const baseline = callers.flatMap((caller) => callees.map((callee) => walkPair(world, caller, callee, NO_FAILURE)));
  const routed = baseline.filter((p) => p.verdict !== "no route");
  /** Walks again, under `failure`, the pairs with an upstream that `only` keeps (a failure cannot open a route). */
  const walkAll = (failure: Failure, only: (p: PairWalk) => boolean = () => true): PairWalk[] =>
    routed.filter(only).map((p) => walkPair(world, world.sidecars.get(p.from)!, p.to, failure));
  // Pairs with an upstream carry their walk; every pair is in the matrix ("no route" without an upstream).
  const pairs: PairEntry[] = baseline
    .filter((p) => p.verdict !== "no route")
    .map((p) => ({ ...p, intention: intentionFor(p) }));
  const matrix: Record<string, Record<string, Verdict>> = {};
  for (const p of baseline) (matrix[p.from] ??= {})[p.to] = p.verdict;

  const violations: TrafficViolation[] = [];
  for (const p of pairs) {
    if (p.verdict === "no route") continue;
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

  const scenarios: FailureScenario[] = [];
  const baselineOf = new Map(baseline.map((p) => [`${p.from}→${p.to}`, p]));
  const changedFrom = (walks: readonly PairWalk[]): ScenarioPair[] =>
    walks
      .filter((p) => {
        const before = baselineOf.get(`${p.from}→${p.to}`);
        return p.verdict !== "no route" && (before?.verdict !== p.verdict || before?.servedBy !== p.servedBy);
      })
      .map(scenarioPair);
  const promisesFailover = (p: PairWalk): boolean => {
    const caller = world.sidecars.get(p.from);
    const cluster = caller?.clusters.get(p.upstream?.cluster ?? "");
    return cluster !== undefined && new Set(cluster.endpoints.map((e) => e.priority)).size > 1;
  };

  // Each local instance down: callers in its cluster must fail over through the gateways where the config promises.
  for (const [id] of [...world.sidecars].sort(([a], [b]) => compareStrings(a, b))) {
    const [cluster = "", service = ""] = id.split("/");
    const walks = walkAll({ down: new Set([id]), dnsFrozen: new Set() }, (p) => p.to === service);
    const failover = walks
      .filter(
        (p) => p.to === service && p.from.startsWith(`${cluster}/`) && p.verdict !== "no route" && promisesFailover(p),
      )
      .map(scenarioPair);
    for (const f of failover) {
      const before = baselineOf.get(`${f.from}→${f.to}`);
      if (before?.verdict === "reachable" && f.verdict !== "reachable") {
        violations.push({
          kind: "failover-missing",
          from: f.from,
          to: f.to,
          scenario: `instance-down ${id}`,
          message: `with ${id} down, ${f.from} → ${f.to} should fail over through the gateways but is blocked at ${f.blockedAt}: ${f.reason}`,
        });
      }
    }
    scenarios.push({
      kind: "instance-down",
      down: id,
      notes: failover.length > 0 ? [`${failover.length} caller(s) have a failover priority for ${service}`] : [],
      changed: changedFrom(walks),
      failover,
    });
  }

  for (const cluster of [...world.gateways.keys()].sort(compareStrings)) {
    const walks = walkAll({ down: new Set([`${cluster}/mesh-gateway`]), dnsFrozen: new Set() });
    scenarios.push({
      kind: "gateway-down",
      down: `${cluster}/mesh-gateway`,
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
        .flatMap((v) => [...v.clusters.values()].flatMap((c) => c.resolvers)),
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
        ? `no DNS resolver answers in ${dc.cluster} (${[...resolvers].join(", ")}): Envoy keeps the hosts of its last answer, so traffic continues but no failover or new instance is seen`
        : `DNS still answers in ${dc.cluster} (${answering.join(", ") || "no resolvers used"})`,
    ];
    // DNS that still answers changes nothing; frozen DNS keeps the last answer, which is the baseline's.
    const walks = frozen ? walkAll({ down: new Set(), dnsFrozen: new Set([dc.cluster]) }) : [];
    scenarios.push({
      kind: "consul-server-down",
      down: `${dc.cluster}/${node}`,
      notes,
      changed: changedFrom(walks),
      failover: [],
    });
  }

  return {
    pairs,
    matrix,
    scenarios,
    violations,
    counts: {
      pairs: baseline.length,
      withUpstream: pairs.length,
      reachable: pairs.filter((p) => p.verdict === "reachable").length,
      blocked: pairs.filter((p) => p.verdict === "blocked").length,
      noRoute: baseline.length - pairs.length,
      scenarios: scenarios.length,
      violations: violations.length,
    },
  };
}

/** The parts of a resource the digest reads: a plan.json resource has them too. */
export type DigestedResource = Pick<RecordedResource, "type" | "name" | "inputs">;

/**
 * A digest of what the walk read that plan.json also carries in the clear: every Envoy config file (`/etc/envoy/`,
 * never the secrets directory) and every service-intentions config entry. The gate recomputes it from the plan, so
 * a plan edited after the render (a SAN matcher, an RBAC principal, an intention) no longer matches its traffic.json.
 */
export function trafficInputDigest(resources: readonly DigestedResource[]): string {
  const hash = createHash("sha256");
  const asRecorded = resources.map(
    (r) =>
      ({
        ...r,
        urn: "",
        custom: true,
        dependencies: [],
        secretInputs: [],
        secretPaths: [],
        redactedInputs: r.inputs,
      }) as RecordedResource,
  );
  for (const set of envoyFileSets(asRecorded)) {
    for (const [file, content] of Object.entries(set.files).sort(([a], [b]) => compareStrings(a, b))) {
      if (file.startsWith(`${envoyFiles.directory}/`))
        hash.update(`${set.cluster}\0${set.source}\0${file}\0${content}\0`);
    }
  }
  for (const { payload } of appliersOf(asRecorded)) {
    for (const entry of payload.configEntries) {
      if (entry.Kind === "service-intentions") hash.update(`${payload.cluster}\0${JSON.stringify(entry)}\0`);
    }
  }
  return hash.digest("hex");
}
