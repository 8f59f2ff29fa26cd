/**
 * Runs the whole program for a stack under mocks with faithful provider models: what `pulumi preview` would
 * register, without the CLI, a backend or credentials.
 */
import { runMeshProgram } from "../program";
import { meshConfigValue, readStackFile, type StackFile } from "../model/stackFile";
import { providerModels, invokeModels, systemModels } from "./providers";
import {
  REDACTED_SECRET,
  settle,
  startSimulation,
  type ProviderModel,
  type RecordedResource,
  type ResourceRecorder,
} from "./recorder";
import {
  compareRuns,
  renewalReport,
  renewalTarget,
  replayingTlsModels,
  type RenewalKind,
  type RenewalReport,
  type TlsResults,
} from "./renewal";
import { withoutSdkDebugAids } from "./sdkDebugAids";
import { simulateSplit } from "./split";
import { stackMesh, stackPartConfig } from "../model/partStackFile";
import type { PartConfig } from "../model/stackParts";
import { tlsModels } from "./tls";
import { serversAfterChange } from "./kubernetes/serverReload";

export interface SimulatedStack {
  readonly recorder: ResourceRecorder;
  /** The program's stack outputs, resolved. */
  readonly outputs: Record<string, unknown>;
  readonly stackFile: StackFile;
  /** Set for a part of a split mesh: simulated after the parts its deploy runs before it (simulate/split.ts). */
  readonly part?: PartConfig;
  /** A split part: every stack of its mesh after the whole deploy, for checks that span clusters (the traffic walk). */
  readonly wholeMesh?: {
    readonly resources: readonly RecordedResource[];
    readonly outputsOf: (urn: string) => Record<string, unknown> | undefined;
  };
}

export interface SimulateOptions {
  /**
   * Keep the SDK's per-promise and per-resource stack captures (see sdkDebugAids.ts): slower, and only useful when
   * debugging the SDK itself. Off by default.
   */
  readonly sdkDebugAids?: boolean;
  /** The tls provider models to run with; the real-clock ones by default (renewal.ts replays them). */
  readonly tlsModels?: Record<string, ProviderModel>;
}

/** Runs the program over a raw `lucid-mesh:mesh` value. Call it before constructing anything else in the process. */
export async function simulateMesh(
  stack: string,
  meshConfig: unknown,
  options: SimulateOptions = {},
): Promise<{ recorder: ResourceRecorder; outputs: Record<string, unknown> }> {
  const tls = options.tlsModels ?? tlsModels;
  return options.sdkDebugAids
    ? runSimulation(stack, meshConfig, tls)
    : withoutSdkDebugAids(() => runSimulation(stack, meshConfig, tls));
}

async function runSimulation(
  stack: string,
  meshConfig: unknown,
  tls: Record<string, ProviderModel>,
): Promise<{ recorder: ResourceRecorder; outputs: Record<string, unknown> }> {
  const recorder = await startSimulation({
    stack,
    config: { "lucid-mesh:mesh": meshConfig },
    models: { ...providerModels, ...tls },
    invokes: invokeModels,
  });
  // Between batches, let the registrations so far finish: memory stays bounded by a batch (components/pacing.ts).
  const program = await runMeshProgram({ pace: settle });
  const { outputs } = await resolveOutputs(program);
  await settle();
  return { recorder, outputs };
}

/** Runs the program for `Pulumi.<stack>.yaml` in `projectDir` (or a config file of the same shape). */
export async function simulateStack(
  projectDir: string,
  stack: string,
  configFile?: string,
  options: SimulateOptions = {},
): Promise<SimulatedStack> {
  const stackFile = readStackFile(projectDir, stack, configFile);
  const part = stackPartConfig(stackFile);
  if (part) {
    const { mesh, meshConfig } = stackMesh(projectDir, stackFile);
    const split = await simulateSplit(part.mesh, mesh, meshConfig);
    const run = split.final.get(stack);
    if (!run) throw new Error(`the deploy plan of mesh ${part.mesh} has no stack ${stack}`);
    const finals = [...split.final.values()];
    const wholeMesh = {
      resources: finals.flatMap((r) => r.recorder.resources),
      outputsOf: (urn: string) => finals.find((r) => r.recorder.outputs.has(urn))?.recorder.outputs.get(urn),
    };
    // Secret outputs stay out of what the render writes, as `pulumi stack output` masks them.
    const outputs = Object.fromEntries(
      Object.entries(run.outputs.values).map(([k, v]) => [
        k,
        run.outputs.secretNames.includes(k) ? REDACTED_SECRET : v,
      ]),
    );
    return { recorder: run.recorder, outputs, stackFile, part, wholeMesh };
  }
  const { recorder, outputs } = await simulateMesh(stack, meshConfigValue(stackFile), options);
  return { recorder, outputs, stackFile };
}

async function resolveOutputs(program: Record<string, unknown>): Promise<{ outputs: Record<string, unknown> }> {
  const pulumi = await import("@pulumi/pulumi");
  const resolved = await new Promise<Record<string, unknown>>((resolve) =>
    pulumi.output(program).apply((v) => resolve(v as Record<string, unknown>)),
  );
  return { outputs: resolved };
}

/**
 * Each renewal's effect, against a first run whose tls results are in `baseline.tls` (run it with
 * `tlsModels: replayingTlsModels(tlsModels, results)`): the program runs again per renewal with every tls result
 * replayed but the renewed certificate's and whatever the provider would then replace.
 */
export async function simulateRenewals(
  stack: string,
  meshConfig: unknown,
  baseline: { readonly resources: readonly RecordedResource[]; readonly tls: TlsResults },
  kinds: readonly RenewalKind[] = ["leaf", "consul-server", "intermediate", "root"],
): Promise<RenewalReport[]> {
  const reports: RenewalReport[] = [];
  for (const kind of kinds) {
    const certificate = renewalTarget(baseline.resources, kind);
    if (!certificate) continue;
    const renewed = new Set([certificate]);
    const run = await simulateMesh(stack, meshConfig, {
      tlsModels: replayingTlsModels(tlsModels, new Map(), baseline.tls, renewed),
    });
    const after = run.recorder.resources;
    // Kubernetes Consul servers reload their files or serve the old certificate (simulate/kubernetes/serverReload.ts).
    const stale = Object.entries(serversAfterChange(baseline.resources, after))
      .filter(([, pickUp]) => pickUp === "stale")
      .map(([cluster]) => `consul-server ${cluster}`);
    reports.push(
      renewalReport(kind, certificate, compareRuns(systemModels, baseline.resources, after, renewed), stale),
    );
  }
  return reports;
}
