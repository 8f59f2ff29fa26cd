/**
 * A split mesh under mocks: the deploy plan's stacks run one after another in this process, as `npm run deploy`
 * runs them against a backend. Each stack keeps its own state between its runs (its tls results are replayed, as
 * the provider keeps a created key), and a `pulumi:pulumi:StackReference` reads the outputs the referenced stack's
 * last simulated run exported, with the same secret output names the engine would report (an output whose value
 * holds a secret is secret as a whole).
 *
 * The SDK's mocks read a StackReference through `readResource` (runtime/mocks.ts), which hands the mock the type
 * `pulumi:pulumi:StackReference` and the input `name`; StackReference (stackReference.ts) then reads the state's
 * `outputs` and `secretOutputNames`.
 */
import * as pulumi from "@pulumi/pulumi";
import { deployPlan, planUntil, type DeployPhase } from "../deploy/plan";
import type { Mesh } from "../model/mesh";
import { PART_CONFIG_KEY, type StackPart } from "../model/stackParts";
import { runMeshProgram } from "../program";
import { invokeModels, providerModels } from "./providers";
import { settle, startSimulation, type ProviderModel, type ResourceRecorder } from "./recorder";
import { replayingTlsModels, type TlsResults } from "./renewal";
import { withoutSdkDebugAids } from "./sdkDebugAids";
import { tlsModels } from "./tls";

export const STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference";

/** A stack's exported outputs, as the backend keeps them: values, and which are secret. */
export interface ExportedOutputs {
  readonly values: Readonly<Record<string, unknown>>;
  readonly secretNames: readonly string[];
}

/** One run of one stack of the plan. */
export interface SplitRun {
  readonly phase: DeployPhase["name"];
  readonly stack: string;
  readonly part: StackPart;
  readonly recorder: ResourceRecorder;
  readonly outputs: ExportedOutputs;
}

/** The simulated backend: each stack's outputs and tls state after its last run. */
export class SimulatedBackend {
  private readonly outputs = new Map<string, ExportedOutputs>();
  private readonly tlsState = new Map<string, TlsResults>();

  outputsOf(stack: string): ExportedOutputs | undefined {
    return this.outputs.get(stack);
  }

  /** The tls results of a stack's last run (what its provider keeps), to replay in another run of it. */
  tlsResultsOf(stack: string): TlsResults | undefined {
    return this.tlsState.get(stack);
  }

  /** The StackReference model: the referenced stack's outputs, or none for a stack that has not run. */
  readonly stackReferenceModel: ProviderModel = (args) => {
    const name = String(args.inputs.name);
    const exported = this.outputs.get(name) ?? { values: {}, secretNames: [] };
    const outputs = Object.fromEntries(
      Object.entries(exported.values).map(([k, v]) => [k, exported.secretNames.includes(k) ? pulumi.secret(v) : v]),
    );
    return { id: name, outputs: { outputs, secretOutputNames: [...exported.secretNames] } };
  };

  /** Runs one stack's program, replaying its earlier tls results, and keeps what it exported. */
  async run(step: { stack: string; part: StackPart }, phase: DeployPhase["name"], env: string, sharedMesh: unknown) {
    const earlier = this.tlsState.get(step.stack);
    const results: TlsResults = new Map();
    const recorder = await startSimulation({
      stack: step.stack,
      config: { [PART_CONFIG_KEY]: partConfigValue(env, step.part) },
      models: {
        ...providerModels,
        ...replayingTlsModels(tlsModels, results, earlier),
        [STACK_REFERENCE_TYPE]: this.stackReferenceModel,
      },
      invokes: invokeModels,
    });
    const program = await runMeshProgram({ pace: settle, sharedMesh });
    const outputs = await exportOutputs(program);
    await settle();
    this.tlsState.set(step.stack, results);
    this.outputs.set(step.stack, outputs);
    const run: SplitRun = { phase, stack: step.stack, part: step.part, recorder, outputs };
    return run;
  }
}

/** `lucid-mesh:part` as a part's stack file writes it. */
export function partConfigValue(env: string, part: StackPart): Record<string, unknown> {
  if (part.role === "root") return { mesh: env, role: "root" };
  if (part.role === "cluster") return { mesh: env, role: "cluster", cluster: part.cluster };
  return { mesh: env, role: "peering", clusters: [...part.clusters] };
}

/** Each top-level output's value and whether the engine would store it as a secret. */
async function exportOutputs(program: Record<string, unknown>): Promise<ExportedOutputs> {
  const values: Record<string, unknown> = {};
  const secretNames: string[] = [];
  for (const [key, value] of Object.entries(program)) {
    const output = pulumi.output(value) as pulumi.Output<unknown>;
    values[key] = await new Promise((resolve) => output.apply((v) => resolve(v)));
    if (await pulumi.isSecret(output)) secretNames.push(key);
  }
  return { values, secretNames: secretNames.sort() };
}

export interface SplitSimulation {
  /** Every run, in plan order (a cluster stack runs twice on a first deploy). */
  readonly runs: readonly SplitRun[];
  /** The last run of each stack: what its state holds after the deploy. */
  readonly final: ReadonlyMap<string, SplitRun>;
}

/**
 * Simulates a first deploy of env's split mesh, up to the last run of `until` (every stack when omitted). Call it
 * before constructing anything else in the process, like simulateMesh.
 */
export async function simulateSplit(
  env: string,
  mesh: Mesh,
  sharedMesh: unknown,
  until?: string,
): Promise<SplitSimulation> {
  return withoutSdkDebugAids(async () => {
    const plan = deployPlan(env, mesh);
    const phases = until === undefined ? plan : planUntil(plan, until);
    const backend = new SimulatedBackend();
    const runs: SplitRun[] = [];
    for (const phase of phases) {
      // In one process the stacks run one at a time: the SDK's mocks are global.
      for (const step of phase.steps) runs.push(await backend.run(step, phase.name, env, sharedMesh));
    }
    return { runs, final: new Map(runs.map((r) => [r.stack, r])) };
  });
}
