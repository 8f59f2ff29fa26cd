/**
 * Runs the whole program for a stack under mocks with faithful provider models: what `pulumi preview` would
 * register, without the CLI, a backend or credentials.
 */
import { runMeshProgram } from "../program";
import { meshConfigValue, readStackFile, type StackFile } from "../model/stackFile";
import { providerModels, invokeModels } from "./providers";
import { settle, startSimulation, type ResourceRecorder } from "./recorder";
import { tlsModels } from "./tls";

export interface SimulatedStack {
  readonly recorder: ResourceRecorder;
  /** The program's stack outputs, resolved. */
  readonly outputs: Record<string, unknown>;
  readonly stackFile: StackFile;
}

/** Runs the program over a raw `lucid-mesh:mesh` value. Call it before constructing anything else in the process. */
export async function simulateMesh(
  stack: string,
  meshConfig: unknown,
): Promise<{ recorder: ResourceRecorder; outputs: Record<string, unknown> }> {
  const recorder = await startSimulation({
    stack,
    config: { "lucid-mesh:mesh": meshConfig },
    models: { ...providerModels, ...tlsModels },
    invokes: invokeModels,
  });
  const program = runMeshProgram();
  const { outputs } = await resolveOutputs(program);
  await settle();
  return { recorder, outputs };
}

/** Runs the program for `Pulumi.<stack>.yaml` in `projectDir` (or a config file of the same shape). */
export async function simulateStack(projectDir: string, stack: string, configFile?: string): Promise<SimulatedStack> {
  const stackFile = readStackFile(projectDir, stack, configFile);
  const { recorder, outputs } = await simulateMesh(stack, meshConfigValue(stackFile));
  return { recorder, outputs, stackFile };
}

async function resolveOutputs(program: Record<string, unknown>): Promise<{ outputs: Record<string, unknown> }> {
  const pulumi = await import("@pulumi/pulumi");
  const resolved = await new Promise<Record<string, unknown>>((resolve) =>
    pulumi.output(program).apply((v) => resolve(v as Record<string, unknown>)),
  );
  return { outputs: resolved };
}
