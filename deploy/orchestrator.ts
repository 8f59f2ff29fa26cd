/**
 * Runs a split mesh's deploy plan (deploy/plan.ts) through a `StackRunner`: stacks of one phase in parallel, the
 * phases in order, progress as it goes. The runner is the Automation API in `npm run deploy` (deploy/automation.ts)
 * and a fake in the tests; everything here is independent of both.
 */
import type { Mesh } from "../model/mesh";
import { splitStacks } from "../model/stackParts";
import { SPLIT_OUTPUT_NAMES } from "../model/stackParts";
import { deployPlan, factsFromOutputs, type DeployPhase } from "./plan";

/** What one `up` changed, by operation (`create`, `update`, `same`, ...), as Pulumi's update summary counts them. */
export type ResourceChanges = Readonly<Record<string, number>>;

/** The operations the orchestrator needs from a backend: one stack at a time, by name. */
export interface StackRunner {
  /** Selects the stack, creating it when it does not exist yet (so StackReferences to it resolve, to no outputs). */
  prepare(stack: string): Promise<void>;
  /** The stack's public outputs (secret ones left out): the plan needs only public facts. */
  publicOutputs(stack: string): Promise<Readonly<Record<string, unknown>>>;
  /** `pulumi up` of the stack; rejects when the update fails. */
  up(stack: string, onOutput: (text: string) => void): Promise<ResourceChanges>;
}

export type DeployEvent =
  | { readonly kind: "plan"; readonly phases: readonly DeployPhase[] }
  | { readonly kind: "phase"; readonly index: number; readonly total: number; readonly phase: DeployPhase }
  | { readonly kind: "output"; readonly stack: string; readonly text: string }
  | { readonly kind: "done"; readonly stack: string; readonly changes: ResourceChanges; readonly ms: number }
  | { readonly kind: "failed"; readonly stack: string; readonly error: string; readonly ms: number };

export interface DeployResult {
  readonly ok: boolean;
  readonly phases: readonly DeployPhase[];
  /** Stacks updated, in the order they finished. */
  readonly updated: readonly string[];
  readonly failed: readonly { readonly stack: string; readonly error: string }[];
}

/**
 * Prepares every stack, reads the facts the order depends on, and runs the plan. A phase with a failed stack is
 * the last: the phases after it need what it makes.
 */
export async function runDeploy(
  env: string,
  mesh: Mesh,
  runner: StackRunner,
  onEvent: (event: DeployEvent) => void = () => {},
  now: () => number = () => performance.now(),
): Promise<DeployResult> {
  const stacks = splitStacks(env, mesh);
  // One at a time: selecting a stack writes the workspace's current stack.
  for (const s of stacks) await runner.prepare(s.stack);
  const clusterOutputs = new Map<string, Readonly<Record<string, unknown>>>();
  for (const s of stacks) {
    if (s.part.role === "cluster") clusterOutputs.set(s.part.cluster, await runner.publicOutputs(s.stack));
  }
  const phases = deployPlan(env, mesh, factsFromOutputs(clusterOutputs, SPLIT_OUTPUT_NAMES.intermediateCsrPem));
  onEvent({ kind: "plan", phases });
  const updated: string[] = [];
  const failed: { stack: string; error: string }[] = [];
  for (const [index, phase] of phases.entries()) {
    onEvent({ kind: "phase", index, total: phases.length, phase });
    await Promise.all(
      phase.steps.map(async (step) => {
        const started = now();
        try {
          const changes = await runner.up(step.stack, (text) => onEvent({ kind: "output", stack: step.stack, text }));
          updated.push(step.stack);
          onEvent({ kind: "done", stack: step.stack, changes, ms: Math.round(now() - started) });
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          failed.push({ stack: step.stack, error: message });
          onEvent({ kind: "failed", stack: step.stack, error: message, ms: Math.round(now() - started) });
        }
      }),
    );
    if (failed.length > 0) break;
  }
  return { ok: failed.length === 0, phases, updated, failed };
}

/** The plan as text: one line per phase, its stacks run in parallel. */
export function formatPlan(phases: readonly DeployPhase[]): string {
  return phases
    .map((p, i) => `${i + 1}. ${p.name}: ${p.steps.map((s) => s.stack).join(", ")} (${p.steps[0]?.why ?? ""})`)
    .join("\n");
}

/** A one-line summary of an update's changes, such as `3 create, 1 update, 40 same`. */
export function formatChanges(changes: ResourceChanges): string {
  const parts = Object.entries(changes)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([op, n]) => `${n} ${op}`);
  return parts.length > 0 ? parts.join(", ") : "no changes";
}
