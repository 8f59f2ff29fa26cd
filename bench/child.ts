/**
 * One measurement in a fresh process, so no run inherits another's heap, JIT state or SDK globals (issue 22 §4,
 * §5). `bench/run.ts` starts it (`freshProcess`) and reads the JSON it prints as its last line of stdout.
 *
 *   render --services N --platform P [--upstreams U] [--dump FILE]
 *       the render's program run (simulateMesh: pacing, SDK debug aids off), timed; then the state tally
 *       (stateSize.ts) and, with --dump, the recorded resources for `floor`.
 *   floor --dump FILE
 *       the replay floor (replayFloor.ts) over a `render` dump.
 *   split --services N --platform P [--upstreams U]
 *       the split mesh's first deploy under recording mocks (simulate/split.ts: every stack in plan order, paced),
 *       then each stack's final state tallied as `render` tallies one stack.
 *   up --services N --platform P [--upstreams U] [--mode program|sdk-defaults|aids-off]
 *       the `pulumi up` path: the program with NO pacing, under mocks that keep nothing (the engine, not the
 *       program's process, keeps the state): as index.ts runs it (`program`: the SDK's per-promise stacks off), with
 *       every SDK debugging aid on (`sdk-defaults`, as before), or every aid off (`aids-off`, as the render).
 *       With --split, the program of the largest cluster stack of the split mesh (or --cluster C's), as its
 *       `pulumi up` runs it after the root has signed its CSR: the earlier runs (its key and CSR, the root's
 *       signing: a few resources) run first under recording mocks, as simulate/split.ts runs them.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeHeapSnapshot } from "node:v8";
import * as pulumi from "@pulumi/pulumi";
import { parseMeshConfig } from "../model";
import { runMeshProgram, runMeshProgramUnderEngine } from "../program";
import { invokeModels, providerModels } from "../simulate/providers";
import { ModelSession, settle, startSimulation, stableId, unwrapSecrets, PROJECT } from "../simulate/recorder";
import { withoutSdkDebugAids } from "../simulate/sdkDebugAids";
import { simulateMesh } from "../simulate/stack";
import { tlsModels } from "../simulate/tls";
import { allInstances, type Mesh } from "../model";
import { clusterStackName, PART_CONFIG_KEY, rootStackName, type StackPart } from "../model/stackParts";
import { replayingTlsModels, type TlsResults } from "../simulate/renewal";
import { partConfigValue, SimulatedBackend, simulateSplit, STACK_REFERENCE_TYPE } from "../simulate/split";
import type { ProviderModel } from "../simulate/recorder";
import { measureReplayFloor, type ReplayFloor, type ReplayedResource } from "./replayFloor";
import { tallyStack, type StackTally } from "./stateSize";
import { syntheticMeshConfig, type SyntheticPlatform } from "./syntheticMesh";
import { peakRssMb } from "./measure";

export interface RenderRun {
  readonly services: number;
  readonly platform: SyntheticPlatform;
  readonly instances: number;
  readonly ms: number;
  /** CPU time (user + system, all threads) of the program run: steadier than wall time on a shared machine. */
  readonly cpuMs: number;
  readonly peakRssMb: number;
  readonly tally: StackTally;
}

/** How the `up` job runs the program: see the header. */
export type UpMode = "program" | "sdk-defaults" | "aids-off";
export const UP_MODES: readonly UpMode[] = ["program", "sdk-defaults", "aids-off"];

export interface UpRun {
  readonly services: number;
  readonly platform: SyntheticPlatform;
  readonly mode: UpMode;
  /** Set when the run did not finish (such as V8's heap limit: `pulumi up` would have crashed the same way). */
  readonly failed?: string;
  readonly ms: number;
  readonly cpuMs: number;
  /** The kernel's high-water mark for the whole child process. */
  readonly peakRssMb: number;
  readonly resources: number;
  /** V8 heap in use at the peak sample (sampled every 20 ms). */
  readonly peakHeapUsedMb: number;
  /** The node arguments the process ran with (besides the bench's own): Pulumi.yaml's nodeargs. */
  readonly nodeArgs: readonly string[];
  /** With --split: the cluster stack whose program ran, and its instances. */
  readonly stack?: string;
  readonly stackInstances?: number;
}

export type FloorRun = ReplayFloor & { readonly peakRssMb: number };

/** One stack of the split mesh after a simulated first deploy: what its checkpoint holds. */
export interface SplitStackTally {
  readonly stack: string;
  readonly role: StackPart["role"];
  readonly resources: number;
  readonly stateBytes: number;
}

export interface SplitTallyRun {
  readonly services: number;
  readonly platform: SyntheticPlatform;
  readonly ms: number;
  readonly cpuMs: number;
  readonly peakRssMb: number;
  /** The last run of each stack, in plan order. */
  readonly stacks: readonly SplitStackTally[];
}

export class ChildFailed extends Error {}

/** Runs `bench/child.ts <args>` in a fresh node (same flags as `npm run bench`) and parses its result line. */
/** Runs one job in a fresh node process, started with `nodeArgs` (the `up` jobs: the project's, projectNodeArgs.ts). */
export function freshProcess<T>(args: readonly string[], nodeArgs: readonly string[] = []): T {
  const script = join(__dirname, "child.ts");
  const child = spawnSync(process.execPath, [...nodeArgs, "--expose-gc", "--import", "tsx", script, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 256 * 1024 * 1024,
  });
  if (child.status !== 0) {
    throw new ChildFailed(`bench/child.ts ${args.join(" ")} exited ${child.status ?? child.signal}`);
  }
  const last = child.stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(last) as T;
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const cpu = process.cpuUsage(start);
  return (cpu.user + cpu.system) / 1000;
}

function flag(argv: readonly string[], name: string, fallback?: string): string {
  const i = argv.indexOf(name);
  const value = i >= 0 ? argv[i + 1] : fallback;
  if (value === undefined) throw new Error(`bench/child.ts: ${name} is required`);
  return value;
}

function meshOf(argv: readonly string[]): {
  raw: Record<string, unknown>;
  services: number;
  platform: SyntheticPlatform;
} {
  const services = Number(flag(argv, "--services"));
  const platform = flag(argv, "--platform", "docker") as SyntheticPlatform;
  const upstreamsPerService = Number(flag(argv, "--upstreams", "5"));
  return { raw: syntheticMeshConfig({ services, upstreamsPerService, platform }), services, platform };
}

async function render(argv: readonly string[]): Promise<RenderRun> {
  const { raw, services, platform } = meshOf(argv);
  const mesh = parseMeshConfig(raw);
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const { recorder } = await simulateMesh("bench", raw);
  const ms = performance.now() - started;
  const cpuMs = cpuSince(cpuStarted);
  // The kernel's high-water mark before the tally: the render's peak, at no cost inside the timed window (a timer
  // sampling RSS every 20 ms cost the render ~0.1 s of CPU that the floor, which reads the same mark, does not pay).
  const rss = peakRssMb();
  const resources = recorder.resources;
  const tally = tallyStack(
    resources,
    (urn) => recorder.outputs.get(urn),
    mesh.clusters.map((c) => c.name),
  );
  const dump = argv.includes("--dump") ? flag(argv, "--dump") : undefined;
  if (dump) {
    const replayed: ReplayedResource[] = resources.map((r) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      custom: r.custom,
      ...(r.parent ? { parent: r.parent } : {}),
      ...(r.provider ? { provider: r.provider } : {}),
      dependencies: r.dependencies,
      inputs: r.inputs,
      secretInputs: r.secretInputs,
    }));
    writeFileSync(dump, JSON.stringify(replayed));
  }
  return { services, platform, instances: allInstances(mesh).length, ms, cpuMs, peakRssMb: Math.max(rss, 0), tally };
}

/** The split mesh deployed under recording mocks (simulate/split.ts, paced), each stack's final state tallied. */
async function splitTally(argv: readonly string[]): Promise<SplitTallyRun> {
  const { raw, services, platform } = meshOf(argv);
  const mesh = parseMeshConfig(raw);
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const { final } = await simulateSplit(SPLIT_ENV, mesh, raw);
  const ms = performance.now() - started;
  const cpuMs = cpuSince(cpuStarted);
  const clusters = mesh.clusters.map((c) => c.name);
  const stacks = [...final.values()].map((run): SplitStackTally => {
    const tally = tallyStack(run.recorder.resources, (urn) => run.recorder.outputs.get(urn), clusters);
    return { stack: run.stack, role: run.part.role, resources: tally.resources, stateBytes: tally.stateBytes };
  });
  return { services, platform, ms, cpuMs, peakRssMb: peakRssMb(), stacks };
}

async function floor(argv: readonly string[]): Promise<FloorRun> {
  const resources = JSON.parse(readFileSync(flag(argv, "--dump"), "utf8")) as ReplayedResource[];
  const result = await measureReplayFloor(resources);
  return { ...result, peakRssMb: peakRssMb() };
}

/**
 * Mocks that keep nothing: the provider models still answer (the tls models issue real certificates, which later
 * inputs embed), but no input is recorded. The recorder's MockMonitor patch (startSimulation) stays, so the mock
 * monitor does not keep a copy of every state either: in a real `pulumi up` the engine keeps the state, in its own
 * process.
 */
async function useKeepNothingMocks(
  target: { stack: string; config: Record<string, unknown>; models?: Record<string, ProviderModel> },
  onResource: () => void,
): Promise<void> {
  await startSimulation({ stack: target.stack, config: target.config });
  const models = target.models ?? { ...providerModels, ...tlsModels };
  const session = new ModelSession();
  await pulumi.runtime.setMocks(
    {
      async newResource(args) {
        onResource();
        const model = models[args.type];
        if (!model) return { id: stableId(args.type, args.name), state: args.inputs };
        const inputs = unwrapSecrets(args.inputs).value as Record<string, unknown>;
        const result = await model({ type: args.type, name: args.name, inputs, stack: target.stack, session });
        return { id: result.id, state: { ...(args.inputs as object), ...result.outputs } };
      },
      call(args) {
        const inputs = unwrapSecrets(args.inputs).value as Record<string, unknown>;
        const invoke = invokeModels[args.token];
        return invoke ? { ...inputs, ...invoke(inputs) } : inputs;
      },
    },
    PROJECT,
    target.stack,
    false,
  );
}

/** The cluster with the most instances (the first by name on a tie). */
function largestCluster(mesh: Mesh): { name: string; instances: number } {
  const counts = new Map<string, number>();
  for (const instance of allInstances(mesh)) counts.set(instance.cluster, (counts.get(instance.cluster) ?? 0) + 1);
  const [name, instances] = [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))[0]!;
  return { name, instances };
}

const SPLIT_ENV = "bench";

/**
 * A split mesh up to the point where `cluster`'s stack runs its full program: its first run (key and CSR), then
 * the root's signing, under recording mocks (a few resources). Returns the keep-nothing target for its last run.
 */
async function beforeClusterStack(
  raw: unknown,
  mesh: Mesh,
  cluster: string,
): Promise<{ stack: string; config: Record<string, unknown>; models: Record<string, ProviderModel> }> {
  const backend = new SimulatedBackend();
  const stack = clusterStackName(SPLIT_ENV, cluster);
  const part: StackPart = { role: "cluster", cluster };
  await withoutSdkDebugAids(async () => {
    await backend.run({ stack, part }, "request", SPLIT_ENV, raw);
    await backend.run({ stack: rootStackName(SPLIT_ENV), part: { role: "root" } }, "sign", SPLIT_ENV, raw);
  });
  // Replays the key and CSR of the first run, keeping nothing new (the provider keeps state, not the program).
  const discard: TlsResults = new Map();
  discard.set = () => discard;
  return {
    stack,
    config: { [PART_CONFIG_KEY]: partConfigValue(SPLIT_ENV, part) },
    models: {
      ...providerModels,
      ...replayingTlsModels(tlsModels, discard, backend.tlsResultsOf(stack)),
      [STACK_REFERENCE_TYPE]: backend.stackReferenceModel,
    },
  };
}

async function up(argv: readonly string[]): Promise<UpRun> {
  const { raw, services, platform } = meshOf(argv);
  const mode = flag(argv, "--mode", "program") as UpMode;
  if (!UP_MODES.includes(mode)) throw new Error(`bench/child.ts up: --mode ${UP_MODES.join("|")}`);
  const mesh = parseMeshConfig(raw);
  const split = argv.includes("--split");
  const cluster = !split
    ? undefined
    : argv.includes("--cluster")
      ? {
          name: flag(argv, "--cluster"),
          instances: allInstances(mesh).filter((i) => i.cluster === flag(argv, "--cluster")).length,
        }
      : largestCluster(mesh);
  const target = cluster
    ? await beforeClusterStack(raw, mesh, cluster.name)
    : { stack: "bench", config: { "lucid-mesh:mesh": raw } };
  let resources = 0;
  // Profiling: a heap snapshot when the Nth resource registers, while the rest are still in flight.
  const snapshotAt = Number(process.env.BENCH_HEAP_SNAPSHOT_AT ?? NaN);
  await useKeepNothingMocks(target, () => {
    resources++;
    if (resources === snapshotAt && process.env.BENCH_HEAP_SNAPSHOT) writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
  });
  let peakHeap = 0;
  const heapTimer = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 20);
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const run = async (): Promise<void> => {
    const options = cluster ? { sharedMesh: raw } : {};
    const program = await (mode === "program" ? runMeshProgramUnderEngine(options) : runMeshProgram(options));
    // Profiling: a heap snapshot once everything is declared (the up path's peak is about here).
    if (process.env.BENCH_HEAP_SNAPSHOT) writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
    await new Promise((resolve) => pulumi.output(program).apply(resolve));
    await settle();
  };
  await (mode === "aids-off" ? withoutSdkDebugAids(run) : run());
  const ms = performance.now() - started;
  const cpuMs = cpuSince(cpuStarted);
  clearInterval(heapTimer);
  return {
    services,
    platform,
    mode,
    ms,
    cpuMs,
    peakRssMb: peakRssMb(),
    resources,
    peakHeapUsedMb: peakHeap / 2 ** 20,
    nodeArgs: process.execArgv.filter((arg) => !["--expose-gc", "--import", "tsx"].includes(arg)),
    ...(cluster ? { stack: target.stack, stackInstances: cluster.instances } : {}),
  };
}

async function main(): Promise<void> {
  const [job, ...argv] = process.argv.slice(2);
  const result =
    job === "render"
      ? await render(argv)
      : job === "floor"
        ? await floor(argv)
        : job === "up"
          ? await up(argv)
          : job === "split"
            ? await splitTally(argv)
            : undefined;
  if (result === undefined)
    throw new Error(`bench/child.ts: unknown job ${job ?? "(none)"}: render, floor, up or split`);
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
  // The Pulumi runtime keeps handles open after a run; the measurement is done.
  process.exit(0);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
}
