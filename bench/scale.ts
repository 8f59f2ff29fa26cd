/**
 * Issue 22's measurements, each in a fresh process (bench/child.ts): resources and state bytes per service
 * instance by type, at the margin between the two smallest meshes, on each platform; what a first `up` of the
 * largest mesh writes, as one stack and as a stack per cluster; the render against the replay floor; and the peak
 * RSS of the `pulumi up` path (no pacing), for the mesh as one stack and for the largest stack of its split.
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ChildFailed,
  freshProcess,
  type FloorRun,
  type RenderRun,
  type SplitTallyRun,
  type UpMode,
  type UpRun,
} from "./child";
import { projectNodeArgs } from "./projectNodeArgs";
import { instanceMargin, upCosts, type InstanceMargin, type StackCosts } from "./stateSize";
import type { SyntheticPlatform } from "./syntheticMesh";

export interface ScaleOptions {
  readonly sizes: readonly number[];
  readonly platforms: readonly SyntheticPlatform[];
  readonly upstreams: number;
  /** Which `up` runs at the largest size (bench/child.ts `up --mode`); the first is the one index.ts runs. */
  readonly upModes: readonly UpMode[];
  /**
   * How many render/floor pairs run at the largest size, alternating, each in a fresh process: the ratio is best ÷
   * best (as the Envoy render's own budget), because on a shared machine one run of either can be 30 % slow.
   */
  readonly floorPairs: number;
  readonly log: (line: string) => void;
}

/** The render against the replay floor of its resources, at the largest size: every run's CPU time, in run order. */
export interface FloorComparison {
  readonly platform: SyntheticPlatform;
  /** The first render, whose resources every floor run replays. */
  readonly render: RenderRun;
  /** The floor run with the least CPU time. */
  readonly floor: FloorRun;
  readonly renderCpuRunsMs: readonly number[];
  readonly floorCpuRunsMs: readonly number[];
}

export interface PlatformScale {
  readonly platform: SyntheticPlatform;
  readonly renders: readonly RenderRun[];
  /** Between the two smallest sizes. */
  readonly margin: InstanceMargin | undefined;
  readonly marginSizes: readonly [number, number] | undefined;
  /** At the largest size. */
  readonly upCosts: StackCosts & { readonly services: number };
  /** The real split at the largest size: each stack's final state after a simulated first deploy. */
  readonly split: SplitTallyRun;
}

export interface ScaleResult {
  readonly platforms: readonly PlatformScale[];
  /** The render and the replay floor of its resources, each in a fresh process, at the largest size. */
  readonly floor: FloorComparison;
  readonly up: readonly UpRun[];
  /** The up path of the largest cluster stack of the split mesh, per platform, at the largest size. */
  readonly upSplit: readonly UpRun[];
}

export function measureScale(options: ScaleOptions): ScaleResult {
  const sizes = [...options.sizes].sort((a, b) => a - b);
  const largest = sizes[sizes.length - 1]!;
  const common = ["--upstreams", String(options.upstreams)];
  const dump = join(tmpdir(), `lucid-bench-replay-${process.pid}.json`);
  const platforms: PlatformScale[] = [];
  let floor: ScaleResult["floor"] | undefined;
  try {
    options.platforms.forEach((platform, p) => {
      const renders: RenderRun[] = [];
      for (const services of sizes) {
        const withDump = p === 0 && services === largest;
        options.log(`bench: ${services} services, ${platform}: render in a fresh process (state tally)…`);
        renders.push(
          freshProcess<RenderRun>([
            "render",
            "--services",
            String(services),
            "--platform",
            platform,
            ...common,
            ...(withDump ? ["--dump", dump] : []),
          ]),
        );
        if (withDump) {
          const first = renders[renders.length - 1]!;
          const renderCpuRunsMs = [first.cpuMs];
          const floorRuns: FloorRun[] = [];
          for (let pair = 0; pair < Math.max(1, options.floorPairs); pair++) {
            if (pair > 0) {
              options.log(
                `bench: ${services} services, ${platform}: render again in a fresh process (pair ${pair + 1})…`,
              );
              renderCpuRunsMs.push(
                freshProcess<RenderRun>(["render", "--services", String(services), "--platform", platform, ...common])
                  .cpuMs,
              );
            }
            options.log(
              `bench: ${services} services, ${platform}: replay floor in a fresh process (pair ${pair + 1})…`,
            );
            floorRuns.push(freshProcess<FloorRun>(["floor", "--dump", dump]));
          }
          floor = {
            platform,
            render: first,
            floor: floorRuns.reduce((best, run) => (run.cpuMs < best.cpuMs ? run : best)),
            renderCpuRunsMs,
            floorCpuRunsMs: floorRuns.map((run) => run.cpuMs),
          };
          rmSync(dump, { force: true });
        }
      }
      const [small, large] = renders;
      const top = renders[renders.length - 1]!;
      options.log(`bench: ${largest} services, ${platform}: the split mesh's first deploy in a fresh process…`);
      const split = freshProcess<SplitTallyRun>([
        "split",
        "--services",
        String(largest),
        "--platform",
        platform,
        ...common,
      ]);
      platforms.push({
        platform,
        renders,
        margin: renders.length >= 2 && small && large ? instanceMargin(small, large) : undefined,
        marginSizes: renders.length >= 2 && small && large ? [small.services, large.services] : undefined,
        upCosts: { services: top.services, ...upCosts(top.tally) },
        split,
      });
    });
  } finally {
    rmSync(dump, { force: true });
  }
  const upRun = (platform: SyntheticPlatform, mode: UpMode, split: boolean): UpRun => {
    const what = split ? "the largest cluster stack of the split mesh" : "the mesh as one stack";
    options.log(`bench: ${largest} services, ${platform}: the pulumi up path (no pacing, ${mode}), ${what}…`);
    const args = ["up", "--services", String(largest), "--platform", platform, ...common, "--mode", mode];
    // As `pulumi up` starts the program: with Pulumi.yaml's nodeargs.
    const nodeArgs = projectNodeArgs();
    try {
      return freshProcess<UpRun>(split ? [...args, "--split"] : args, nodeArgs);
    } catch (error) {
      if (!(error instanceof ChildFailed)) throw error;
      const failed: UpRun = {
        services: largest,
        platform,
        mode,
        failed: error.message,
        ms: NaN,
        cpuMs: NaN,
        peakRssMb: NaN,
        resources: 0,
        peakHeapUsedMb: NaN,
        nodeArgs,
      };
      return failed;
    }
  };
  // Every mode on the first platform; the program's own mode on the others, so each platform's up path is judged.
  const up = [
    ...options.upModes.map((mode) => upRun(options.platforms[0]!, mode, false)),
    ...options.platforms.slice(1).map((platform) => upRun(platform, "program", false)),
  ];
  const upSplit = options.platforms.map((platform) => upRun(platform, "program", true));
  if (!floor) throw new Error("measureScale: no floor measured");
  return { platforms, floor, up, upSplit };
}
