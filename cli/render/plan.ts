/**
 * plan.json: every registered resource with its links and its inputs, secrets redacted. The gate reloads it and
 * runs the policy rules again, so it carries everything the rules read (see docs/render.md for the schema).
 */
import type { RecordedResource, ResourceRecorder } from "../../simulate/recorder";
import { compareStrings } from "../../model/mesh";
import { publicInputs, scrubPrivateKeys } from "./redact";
import { PLAN_SCHEMA_VERSION, type Plan, type PlanResource } from "./types";

/** A plan file that cannot be used: the message says what is wrong and where. */
export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanError";
  }
}

export function planResource(resource: RecordedResource, registeredOfType?: number): PlanResource {
  return {
    urn: resource.urn,
    type: resource.type,
    name: resource.name,
    ...(resource.parent ? { parent: resource.parent } : {}),
    dependencies: [...resource.dependencies],
    ...(resource.provider ? { provider: resource.provider } : {}),
    ...(resource.protect ? { protect: true } : {}),
    custom: resource.custom,
    ...(registeredOfType !== undefined ? { registeredOfType } : {}),
    inputs: publicInputs(resource),
  };
}

export interface PlanContext {
  readonly project: string;
  readonly stack: string;
  readonly environment: string;
  readonly outputs?: Record<string, unknown>;
}

/**
 * Docker containers that take an address from dockerd's IPAM (on a network, no fixed address): IPAM hands addresses
 * out in the order they start, so the plan records their registration order for the gate's models to replay. Only
 * these: the order of other resources varies from run to run with async providers.
 */
function takesDynamicAddress(r: RecordedResource): boolean {
  if (r.type !== "docker:index/container:Container") return false;
  const networks = (r.inputs.networksAdvanced ?? []) as Array<{ ipv4Address?: unknown }>;
  return networks.some((n) => typeof n.ipv4Address !== "string" || n.ipv4Address === "");
}

/** The plan of a recorded run, sorted by URN so two renders write the same bytes. */
export function planFromResources(resources: readonly RecordedResource[], context: PlanContext): Plan {
  const seen = new Map<string, number>();
  const typeCounter = (type: string): number => {
    const n = seen.get(type) ?? 0;
    seen.set(type, n + 1);
    return n;
  };
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    project: context.project,
    stack: context.stack,
    environment: context.environment,
    outputs: scrubPrivateKeys(context.outputs ?? {}) as Record<string, unknown>,
    resources: resources
      .map((r) => planResource(r, takesDynamicAddress(r) ? typeCounter(r.type) : undefined))
      .sort((a, b) => compareStrings(a.urn, b.urn)),
  };
}

export function planFromRecorder(recorder: ResourceRecorder, context: PlanContext): Plan {
  return planFromResources(recorder.resources, context);
}

export function planJson(plan: Plan): string {
  return [...planJsonPieces(plan)].join("");
}

/**
 * plan.json's text (`JSON.stringify(plan, null, 2)` and a newline) in pieces: everything before the resources, then
 * one piece per resource, then the closing brackets. The render writes them one by one and never holds the whole.
 */
export function* planJsonPieces(plan: Plan): Generator<string> {
  const { resources, ...head } = plan;
  const keys = Object.keys(plan);
  const headText = JSON.stringify(head, null, 2);
  // Only when the resources come last and after a non-empty head; anything else is written in one piece.
  if (resources.length === 0 || keys[keys.length - 1] !== "resources" || !headText.endsWith("\n}")) {
    yield `${JSON.stringify(plan, null, 2)}\n`;
    return;
  }
  // The head without its closing "\n}", then the resources array at depth 1, items at depth 2.
  yield `${headText.slice(0, -2)},\n  "resources": [\n`;
  for (let i = 0; i < resources.length; i++) {
    // JSON escapes newlines inside strings, so every newline here is the layout's and gets the items' indent.
    const item = JSON.stringify(resources[i], null, 2).replace(/\n/g, "\n    ");
    yield `    ${item}${i < resources.length - 1 ? "," : ""}\n`;
  }
  yield "  ]\n}\n";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

function resourceProblem(r: unknown): string | undefined {
  if (!isRecord(r)) return "is not an object";
  for (const key of ["urn", "type", "name"] as const) {
    if (typeof r[key] !== "string" || r[key] === "") return `has no ${key} (a non-empty string)`;
  }
  if (!isRecord(r.inputs)) return "has no inputs object";
  if (r.dependencies !== undefined && !isStringArray(r.dependencies)) return "dependencies must be a list of URNs";
  if (r.parent !== undefined && typeof r.parent !== "string") return "parent must be a URN";
  if (r.provider !== undefined && typeof r.provider !== "string") return "provider must be a string";
  return undefined;
}

/** Checks a parsed plan.json; throws a PlanError naming the first problem. */
export function parsePlan(raw: unknown, source = "plan.json"): Plan {
  if (!isRecord(raw)) throw new PlanError(`${source}: not a JSON object. Fix: pass the plan.json a render wrote`);
  if (raw.schemaVersion !== PLAN_SCHEMA_VERSION) {
    throw new PlanError(
      `${source}: schemaVersion ${JSON.stringify(raw.schemaVersion)} is not supported (expected ${PLAN_SCHEMA_VERSION}). Fix: render the plan again with this version`,
    );
  }
  for (const key of ["project", "stack"] as const) {
    if (typeof raw[key] !== "string")
      throw new PlanError(`${source}: no ${key}. Fix: pass the plan.json a render wrote`);
  }
  if (!Array.isArray(raw.resources)) {
    throw new PlanError(`${source}: resources is not a list. Fix: pass the plan.json a render wrote`);
  }
  const seen = new Set<string>();
  raw.resources.forEach((r: unknown, i) => {
    const problem = resourceProblem(r);
    if (problem) throw new PlanError(`${source}: resources[${i}] ${problem}. Fix: correct or re-render the plan`);
    const urn = (r as PlanResource).urn;
    if (seen.has(urn)) throw new PlanError(`${source}: resources[${i}] repeats URN ${urn}. Fix: remove the duplicate`);
    seen.add(urn);
  });
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    project: raw.project as string,
    stack: raw.stack as string,
    environment: typeof raw.environment === "string" ? raw.environment : "prod",
    outputs: isRecord(raw.outputs) ? raw.outputs : {},
    resources: (raw.resources as PlanResource[]).map((r) => ({
      ...r,
      dependencies: r.dependencies ?? [],
      custom: r.custom !== false,
    })),
  };
}

export interface PlanLinks {
  /** URNs named as a parent or dependency that are not in the plan. */
  readonly dangling: readonly string[];
}

/** Parent and dependency URNs that point at no resource of the plan. */
export function danglingLinks(plan: Plan): PlanLinks {
  const urns = new Set(plan.resources.map((r) => r.urn));
  const dangling = new Set<string>();
  for (const r of plan.resources) {
    for (const urn of [...(r.parent ? [r.parent] : []), ...r.dependencies]) {
      // The root stack is implied, as in the engine's own plans.
      if (!urns.has(urn) && !urn.includes("::pulumi:pulumi:Stack::")) dangling.add(urn);
    }
  }
  return { dangling: [...dangling].sort(compareStrings) };
}
