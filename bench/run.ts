/**
 * `npm run bench [-- --sizes 30,90,1000] [--skip-simulate] [--skip-scale] [--platform kubernetes] [--runs 3]
 * [--skip-validate] [--up-modes program,sdk-defaults,aids-off] [--pulumi-stack-traces] [--out bench.json]`
 *
 * Measures synthetic meshes (see syntheticMesh.ts), prints a table and the budgets of issue 22 (those of issue 9
 * follow, superseded), and writes bench.json. Thin: flags here, measurements in suite.ts and scale.ts, budgets and
 * the tables in report.ts and scaleReport.ts.
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { measurePure, measureSimulated, type BenchOptions, type PureResult, type SimulatedResult } from "./suite";
import { budgets, printReport } from "./report";
import { measureScale, type ScaleResult } from "./scale";
import { scaleBudgets, scaleLines } from "./scaleReport";
import type { SyntheticPlatform } from "./syntheticMesh";
import { UP_MODES, type UpMode } from "./child";

interface Flags extends BenchOptions {
  readonly sizes: readonly number[];
  readonly simulate: boolean;
  readonly pulumiStackTraces: boolean;
  readonly out: string;
  /** Issue 22's fresh-process measurements (scale.ts). */
  readonly scale: boolean;
  readonly upModes: readonly UpMode[];
}

const USAGE =
  "usage: bench/run.ts [--sizes 30,90,1000] [--skip-simulate] [--skip-scale] [--skip-validate] " +
  "[--platform docker|kubernetes] [--upstreams 5] [--runs N] [--up-modes program,sdk-defaults,aids-off] [--pulumi-stack-traces] " +
  "[--out bench.json]";

function parseFlags(argv: readonly string[]): Flags {
  let sizes: number[] = [30, 90, 1000];
  let simulate = true;
  let scale = true;
  let upModes: UpMode[] = ["program"];
  let validate = true;
  let platform: SyntheticPlatform = "docker";
  let upstreams = 5;
  let runs = 3;
  let pulumiStackTraces = false;
  let out = join(__dirname, "..", "bench.json");
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const [name, inline] = flag.includes("=")
      ? [flag.slice(0, flag.indexOf("=")), flag.slice(flag.indexOf("=") + 1)]
      : [flag, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value\n${USAGE}`);
      return v;
    };
    switch (name) {
      case "--sizes":
        sizes = value()
          .split(",")
          .map((s) => Number(s.trim()));
        if (sizes.some((n) => !Number.isInteger(n) || n < 6)) throw new Error(`--sizes: whole numbers ≥ 6\n${USAGE}`);
        break;
      case "--skip-simulate":
        simulate = false;
        break;
      case "--skip-scale":
        scale = false;
        break;
      case "--up-modes": {
        const modes = value().split(",") as UpMode[];
        if (modes.length === 0 || modes.some((m) => !UP_MODES.includes(m))) {
          throw new Error(`--up-modes: a list of ${UP_MODES.join(", ")}\n${USAGE}`);
        }
        upModes = modes;
        break;
      }
      case "--skip-validate":
        validate = false;
        break;
      case "--platform": {
        const p = value();
        if (p !== "docker" && p !== "kubernetes") throw new Error(`--platform: docker or kubernetes\n${USAGE}`);
        platform = p;
        break;
      }
      case "--upstreams":
        upstreams = Number(value());
        break;
      case "--runs":
        runs = Math.max(1, Number(value()));
        break;
      case "--pulumi-stack-traces":
        pulumiStackTraces = true;
        break;
      case "--out":
        out = value();
        break;
      case "--help":
      case "-h":
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown flag ${flag}\n${USAGE}`);
    }
  }
  return { sizes, simulate, validate, platform, upstreams, runs, pulumiStackTraces, out, scale, upModes };
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg();
  // 1-minute load averages at each phase boundary: how busy the shared machine was while this ran.
  const loadDuring: number[] = [];
  const pure: PureResult[] = [];
  const simulated: SimulatedResult[] = [];
  // Pure phases first, for every size, so their memory peak is not the Pulumi runs'.
  for (const size of flags.sizes) {
    loadDuring.push(loadavg()[0]!);
    process.stderr.write(`bench: ${size} services: model, Envoy render, floor, validator…\n`);
    pure.push(measurePure(size, flags));
  }
  if (flags.simulate) {
    for (const size of flags.sizes) {
      loadDuring.push(loadavg()[0]!);
      process.stderr.write(`bench: ${size} services: simulateMesh under mocks, policy pack…\n`);
      simulated.push(await measureSimulated(size, flags, { pulumiStackTraces: flags.pulumiStackTraces }));
    }
  }
  let scale: ScaleResult | undefined;
  if (flags.scale) {
    scale = measureScale({
      sizes: flags.sizes,
      // The chosen platform first: its largest mesh is the one the floor and the up path are measured on.
      platforms: flags.platform === "docker" ? ["docker", "kubernetes"] : ["kubernetes", "docker"],
      upstreams: flags.upstreams,
      upModes: flags.upModes,
      floorPairs: 3,
      log: (line) => {
        loadDuring.push(loadavg()[0]!);
        process.stderr.write(`${line}\n`);
      },
    });
  }
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    node: process.version,
    loadavgBefore: loadBefore,
    loadavgAfter: loadavg(),
    loadavg1mDuring: loadDuring,
  };
  const results = scale ? scaleBudgets(scale) : [];
  const superseded = budgets(pure, simulated, flags.upstreams);
  printReport({ flags, pure, simulated, budgets: results, supersededBudgets: superseded, machine });
  if (scale) console.log(scaleLines(scale).join("\n"));
  writeFileSync(
    flags.out,
    `${JSON.stringify({ startedAt, flags, machine, budgets: results, scale, pure, simulated, supersededBudgets: superseded }, null, 2)}\n`,
  );
  process.stderr.write(`bench: wrote ${flags.out}\n`);
  // The Pulumi runtime keeps handles open after a simulation; the benchmark is done.
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
