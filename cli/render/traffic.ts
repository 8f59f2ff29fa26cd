/**
 * traffic.json (the traffic walk, simulate/traffic/) and the gate's checks beside a plan.json: the gate walks the
 * plan again (its Envoy files, registrations, intentions and addresses, with the certificates of the written files),
 * so an edited plan fails on what the edit does; it fails on an allowed edge that is unreachable, a denied edge that
 * is reachable, a promised failover that does not happen, any second-`up` change, and any renewal that restarts an
 * Envoy or Consul container.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { envoyFileSets, type EnvoyFileSet } from "../../artifacts/envoy";
import { envoyFiles } from "../../model/names";
import { dockerProviderModels } from "../../simulate/docker";
import { kubernetesProviderModels } from "../../simulate/kubernetes";
import { ModelSession, type ProviderModel, type RecordedResource } from "../../simulate/recorder";
import { isForbiddenRestart, staleMessage, type RenewalReport } from "../../simulate/renewal";
import type { Deployment, PlannedChange } from "../../simulate/system";
import {
  trafficReport,
  type AttestedDns,
  type PairEntry,
  type TrafficReport,
  type TrafficViolation,
} from "../../simulate/traffic";
import { envoySetDirectories } from "./artifacts";
import { REDACTED_SECRET } from "./redact";
import type { ArtifactIssue, OutputFile, Plan } from "./types";

export const TRAFFIC_FILE = "traffic.json";
export const DRIFT_FILE = "drift.json";
export const TRAFFIC_SCHEMA_VERSION = 2;

/** One walked edge in traffic.json: reachable ones compact; blocked ones with the hop, the reason and the hops walked. */
function edgeEntry(p: PairEntry): Record<string, unknown> {
  const listener = p.upstream ? `${p.upstream.listener}:${p.upstream.port} → ${p.upstream.cluster}` : undefined;
  return p.verdict === "reachable"
    ? {
        verdict: p.verdict,
        intention: p.intention,
        servedBy: p.servedBy,
        ...(p.instance ? { instance: p.instance } : {}),
        via: p.via,
        ...(listener ? { upstream: listener } : {}),
      }
    : {
        verdict: p.verdict,
        intention: p.intention,
        blockedAt: p.blockedAt,
        reason: p.reason,
        ...(listener ? { upstream: listener } : {}),
        hops: p.hops,
      };
}

/** The walked edges grouped per caller (every callee a caller has no outbound listener for is "no route"). */
export function trafficCallers(report: TrafficReport): Record<string, Record<string, Record<string, unknown>>> {
  const callers: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const id of report.callers) callers[id] = {};
  for (const p of report.pairs) (callers[p.from] ??= {})[p.to] = edgeEntry(p);
  return callers;
}

export function trafficFile(report: TrafficReport): OutputFile {
  const { counts, callees, violations, scenarios, attestedDns } = report;
  const body = {
    schemaVersion: TRAFFIC_SCHEMA_VERSION,
    counts,
    callees,
    violations,
    callers: trafficCallers(report),
    scenarios,
    attestedDns,
  };
  return { path: TRAFFIC_FILE, content: `${JSON.stringify(body, null, 2)}\n`, certificateMaterial: false };
}

export function trafficIssue(v: TrafficViolation): ArtifactIssue {
  return { subject: `${v.from} → ${v.to}`, message: v.message };
}

export interface GateProblem {
  readonly file: string;
  readonly message: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function readJson(file: string): { value?: unknown; error?: string } {
  if (!fs.existsSync(file)) return {};
  try {
    return { value: JSON.parse(fs.readFileSync(file, "utf8")) as unknown };
  } catch (error) {
    return { error: `${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}

/** What traffic.json itself says is wrong, re-derived from its edges so an edit cannot hide one (no plan needed). */
export function trafficProblems(traffic: unknown): string[] {
  if (!isRecord(traffic) || !isRecord(traffic.callers)) return ["traffic.json has no callers: re-render"];
  const problems: string[] = [];
  for (const [from, row] of Object.entries(traffic.callers)) {
    if (!isRecord(row)) continue;
    for (const [to, p] of Object.entries(row)) {
      if (!isRecord(p)) continue;
      const edge = `${from} → ${to}`;
      if (p.intention === "allow" && p.verdict !== "reachable") {
        problems.push(`intentions allow ${edge} but it is blocked at ${String(p.blockedAt)}: ${String(p.reason)}`);
      }
      if (p.intention === "deny" && p.verdict === "reachable") {
        problems.push(`intentions deny ${edge} but it is reachable (served by ${String(p.servedBy)})`);
      }
    }
  }
  for (const v of Array.isArray(traffic.violations) ? (traffic.violations as unknown[]) : []) {
    if (isRecord(v) && v.kind === "failover-missing") problems.push(String(v.message));
  }
  return problems;
}

const GATE_MODELS: Readonly<Record<string, ProviderModel>> = { ...dockerProviderModels, ...kubernetesProviderModels };

/**
 * The deployment a plan describes, for the walk: the plan's resources with their (redacted) inputs, and the outputs
 * the provider models give them — the addresses Docker and Kubernetes assign, derived from inputs and names only.
 */
export async function planDeployment(plan: Plan): Promise<Deployment> {
  const resources: RecordedResource[] = plan.resources.map((r) => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    custom: r.custom,
    ...(r.parent ? { parent: r.parent } : {}),
    dependencies: r.dependencies,
    ...(r.provider ? { provider: r.provider } : {}),
    inputs: r.inputs,
    secretInputs: [],
    secretPaths: [],
    redactedInputs: r.inputs,
  }));
  const outputs = new Map<string, Record<string, unknown>>();
  // dockerd's IPAM model (simulate/docker/ipam.ts) hands out addresses in the order the program registered the
  // containers; the plan lists them by URN and records each one's place among its type (`registeredOfType`), so the
  // models replay that order here: networks and everything else first, then the containers in that order.
  // Everything else first (networks, fixed addresses), in the plan's order; then the dynamic ones in theirs.
  const order = new Map(plan.resources.map((r) => [r.urn, r.registeredOfType]));
  const rank = (r: RecordedResource): number => (order.get(r.urn) === undefined ? -1 : order.get(r.urn)!);
  const inRegistrationOrder = [...resources].sort((a, b) => rank(a) - rank(b));
  const session = new ModelSession();
  for (const r of inRegistrationOrder) {
    const model = GATE_MODELS[r.type];
    if (!model) continue;
    const result = await model({ type: r.type, name: r.name, inputs: r.inputs, stack: plan.stack, session });
    outputs.set(r.urn, { ...r.inputs, ...result.outputs });
  }
  return { resources, outputsOf: (urn) => outputs.get(urn) };
}

/** The Envoy file sets of the plan, with every file the plan redacts (Kubernetes Secrets) read from the render. */
export function planEnvoySets(resources: readonly RecordedResource[], renderDir: string): EnvoyFileSet[] {
  const sets = envoyFileSets(resources);
  const directories = envoySetDirectories(sets);
  return sets.map((set, i) => {
    const files: Record<string, string> = { ...set.files };
    for (const [inside, content] of Object.entries(set.files)) {
      if (!inside.startsWith(`${envoyFiles.secretsDirectory}/`) || !content.includes(REDACTED_SECRET)) continue;
      const written = path.join(renderDir, directories[i]!, inside.replace(/^\/+(etc\/)?/, ""));
      if (fs.existsSync(written)) files[inside] = fs.readFileSync(written, "utf8");
    }
    return { ...set, files };
  });
}

function attestedOf(traffic: unknown): AttestedDns | undefined {
  return isRecord(traffic) && isRecord(traffic.attestedDns) ? (traffic.attestedDns as AttestedDns) : undefined;
}

/**
 * Walks the plan again and compares: the walk's violations, and every edge where traffic.json says otherwise.
 * Consul DNS answers come from traffic.json's `attestedDns` (the checks and the DNS token's ACL need the tokens the
 * plan redacts); everything else — Envoy files, registrations, intentions, addresses — comes from the plan.
 */
export async function rewalkProblems(planFile: string, plan: Plan, traffic: unknown): Promise<string[]> {
  const attestedDns = attestedOf(traffic);
  if (!attestedDns) return ["traffic.json has no attestedDns (an older render?): re-render to walk this plan"];
  const deployment = await planDeployment(plan);
  const envoySets = planEnvoySets(deployment.resources, path.dirname(planFile));
  const report = trafficReport(deployment, { envoySets, attestedDns });
  const problems = report.violations.map((v) => `a walk of this plan: ${v.message}`);
  const written = isRecord(traffic) && isRecord(traffic.callers) ? traffic.callers : {};
  const walked = trafficCallers(report);
  for (const from of [...new Set([...Object.keys(written), ...Object.keys(walked)])].sort()) {
    const a = isRecord(written[from]) ? written[from] : {};
    const b = walked[from] ?? {};
    for (const to of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const says = isRecord(a[to]) ? String(a[to].verdict) : "no route";
      const walks = b[to] ? String(b[to].verdict) : "no route";
      if (says !== walks) {
        const why = b[to]?.verdict === "blocked" ? ` (at ${String(b[to].blockedAt)}: ${String(b[to].reason)})` : "";
        problems.push(`traffic.json says ${from} → ${to} is ${says}; a walk of this plan finds it ${walks}${why}`);
      }
    }
  }
  return problems;
}

export function driftProblems(drift: unknown): string[] {
  if (!isRecord(drift)) return ["drift.json is not an object: re-render"];
  const changes = (Array.isArray(drift.secondUp) ? drift.secondUp : []) as PlannedChange[];
  const renewals = (Array.isArray(drift.renewals) ? drift.renewals : []) as RenewalReport[];
  return [
    ...changes.map((c) => `a second up would ${c.action} ${c.urn}: ${(c.properties ?? []).join(", ")}`),
    ...renewals.flatMap((r) =>
      (r.restarts ?? [])
        .filter((x) => isForbiddenRestart(r.kind, x))
        .map((x) => `a ${r.kind} renewal (${r.certificate}) restarts ${x.urn} (${x.role}): ${x.why}`),
    ),
    ...renewals.flatMap((r) => (Array.isArray(r.stale) ? r.stale : []).map((s) => staleMessage(r, s))),
  ];
}

/**
 * The gate's checks beside a plan: drift.json, and traffic.json — read on its own without a plan; with the plan,
 * the plan is walked again (absent files are not checked).
 */
export async function renderedFileProblems(planFile: string, plan?: Plan): Promise<GateProblem[]> {
  const dir = path.dirname(planFile);
  const problems: GateProblem[] = [];
  for (const [name, check] of [
    [TRAFFIC_FILE, trafficProblems],
    [DRIFT_FILE, driftProblems],
  ] as const) {
    const file = path.join(dir, name);
    const { value, error } = readJson(file);
    if (error) problems.push({ file, message: error });
    else if (value !== undefined) {
      if (name === TRAFFIC_FILE && plan) {
        problems.push(...(await rewalkProblems(planFile, plan, value)).map((message) => ({ file, message })));
      } else problems.push(...check(value).map((message) => ({ file, message })));
    }
  }
  return problems;
}
