/**
 * traffic.json (the traffic walk, simulate/traffic/) and the gate's reading of traffic.json and drift.json beside a
 * plan.json: an allowed edge that is unreachable, a denied edge that is reachable, a promised failover that does
 * not happen, any second-`up` change, and any renewal that restarts an Envoy or Consul container.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isForbiddenRestart, staleMessage, type RenewalReport } from "../../simulate/renewal";
import type { PlannedChange } from "../../simulate/system";
import { trafficInputDigest, type TrafficReport, type TrafficViolation } from "../../simulate/traffic";
import type { ArtifactIssue, OutputFile, Plan } from "./types";

export const TRAFFIC_FILE = "traffic.json";
export const DRIFT_FILE = "drift.json";
export const TRAFFIC_SCHEMA_VERSION = 1;

/** `inputDigest`: `trafficInputDigest` of the resources walked, so the gate can tell a plan edited since. */
export function trafficFile(report: TrafficReport, inputDigest: string): OutputFile {
  const { counts, matrix, violations, pairs, scenarios } = report;
  const content = `${JSON.stringify({ schemaVersion: TRAFFIC_SCHEMA_VERSION, inputDigest, counts, matrix, violations, pairs, scenarios }, null, 2)}\n`;
  return { path: TRAFFIC_FILE, content, certificateMaterial: false };
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

/** What traffic.json says is wrong: its violations, re-derived from the pairs and scenarios so an edit cannot hide one. */
export function trafficProblems(traffic: unknown): string[] {
  if (!isRecord(traffic) || !Array.isArray(traffic.pairs)) return ["traffic.json has no pairs: re-render"];
  const problems: string[] = [];
  for (const p of traffic.pairs as unknown[]) {
    if (!isRecord(p) || p.verdict === "no route") continue;
    const edge = `${String(p.from)} → ${String(p.to)}`;
    if (p.intention === "allow" && p.verdict !== "reachable") {
      problems.push(`intentions allow ${edge} but it is blocked at ${String(p.blockedAt)}: ${String(p.reason)}`);
    }
    if (p.intention === "deny" && p.verdict === "reachable") {
      problems.push(`intentions deny ${edge} but it is reachable (served by ${String(p.servedBy)})`);
    }
  }
  for (const v of Array.isArray(traffic.violations) ? (traffic.violations as unknown[]) : []) {
    if (isRecord(v) && v.kind === "failover-missing") problems.push(String(v.message));
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
 * The gate's checks of traffic.json and drift.json in the plan's folder (absent files are not checked). With the
 * plan, traffic.json must also have been walked over the plan's own Envoy files and intentions.
 */
export function renderedFileProblems(planFile: string, plan?: Plan): GateProblem[] {
  const dir = path.dirname(planFile);
  const problems: GateProblem[] = [];
  for (const [name, check] of [
    [TRAFFIC_FILE, trafficProblems],
    [DRIFT_FILE, driftProblems],
  ] as const) {
    const file = path.join(dir, name);
    const { value, error } = readJson(file);
    if (error) problems.push({ file, message: error });
    else if (value !== undefined) problems.push(...check(value).map((message) => ({ file, message })));
    if (name === TRAFFIC_FILE && plan && isRecord(value) && value.inputDigest !== trafficInputDigest(plan.resources)) {
      problems.push({
        file,
        message:
          "traffic.json was walked over other Envoy files or intentions than this plan's (edited since the render?). Fix: re-render to walk this plan",
      });
    }
  }
  return problems;
}
