import { strict as assert } from "node:assert";
import type { RenderRun, SplitTallyRun, UpRun } from "../../bench/child";
import type { PlatformScale, ScaleResult } from "../../bench/scale";
import { largestSplitStack, scaleBudgets } from "../../bench/scaleReport";
import { upCosts, type StackTally } from "../../bench/stateSize";

const emptyTally: StackTally = {
  resources: 0,
  customResources: 0,
  inputBytes: 0,
  stateBytes: 0,
  byType: {},
  byPartition: {},
};

function render(services: number): RenderRun {
  return { services, platform: "kubernetes", instances: services, ms: 1, cpuMs: 1, peakRssMb: 1, tally: emptyTally };
}

function split(services: number, stacks: SplitTallyRun["stacks"]): SplitTallyRun {
  return { services, platform: "kubernetes", ms: 1, cpuMs: 1, peakRssMb: 1, stacks };
}

function platform(s: SplitTallyRun): PlatformScale {
  return {
    platform: "kubernetes",
    renders: [render(s.services)],
    margin: undefined,
    marginSizes: undefined,
    upCosts: { services: s.services, ...upCosts(emptyTally) },
    split: s,
  };
}

function upRun(peakRssMb: number, stack?: string): UpRun {
  return {
    services: 1000,
    platform: "kubernetes",
    mode: "program",
    ms: 1,
    cpuMs: 1,
    peakRssMb,
    resources: 10,
    peakHeapUsedMb: 1,
    nodeArgs: ["--heap-growing-percent=25"],
    ...(stack ? { stack, stackInstances: 400 } : {}),
  };
}

describe("bench/scaleReport", () => {
  // Many small resources against fewer with a bigger state: the product decides, not the count.
  const stacks: SplitTallyRun["stacks"] = [
    { stack: "bench-root", role: "root", resources: 9, stateBytes: 1e5 },
    { stack: "bench-east", role: "cluster", resources: 3000, stateBytes: 50e6 },
    { stack: "bench-west", role: "cluster", resources: 3100, stateBytes: 40e6 },
    { stack: "bench-peering-east-west", role: "peering", resources: 6, stateBytes: 6e5 },
  ];

  it("picks the split's stack whose first up writes the most (resources × state)", () => {
    const largest = largestSplitStack(platform(split(1000, stacks)));
    assert.equal(largest.stack, "bench-east");
    assert.equal(largest.bytesWritten, 3000 * 50e6);
  });

  function result(services: number, up: UpRun[], upSplit: UpRun[]): ScaleResult {
    return {
      platforms: [platform(split(services, stacks))],
      floor: {
        platform: "kubernetes",
        render: render(services),
        floor: { ms: 1, cpuMs: 1, peakRssMb: 1 } as ScaleResult["floor"]["floor"],
        renderCpuRunsMs: [1],
        floorCpuRunsMs: [1],
      },
      up,
      upSplit,
    };
  }

  it("judges the up cost on the real split's largest stack at 1,000 services, and not below", () => {
    const judged = scaleBudgets(result(1000, [], [])).find((b) => b.budget.startsWith("First up"))!;
    assert.equal(judged.pass, false, "150 GB is over the 120 GB budget");
    assert.match(judged.measured, /bench-east/);
    const small = scaleBudgets(result(90, [], [])).find((b) => b.budget.startsWith("First up"))!;
    assert.equal(small.pass, undefined);
  });

  it("prints the one-stack and the split up path as separate rows, each judged", () => {
    const rows = scaleBudgets(result(1000, [upRun(2755)], [upRun(690, "bench-east")])).filter((b) =>
      b.budget.startsWith("Peak RSS"),
    );
    assert.equal(rows.length, 2);
    assert.match(rows[0]!.budget, /one stack/);
    assert.equal(rows[0]!.pass, false);
    assert.match(rows[1]!.budget, /split mesh \(bench-east\)/);
    assert.equal(rows[1]!.pass, true);
  });

  it("judges the render against the floor best ÷ best over the alternating runs, and prints every run", () => {
    const withRuns = (renderRuns: number[], floorRuns: number[]): ScaleResult => {
      const base = result(1000, [], []);
      return { ...base, floor: { ...base.floor, renderCpuRunsMs: renderRuns, floorCpuRunsMs: floorRuns } };
    };
    const row = (r: ScaleResult) => scaleBudgets(r).find((b) => b.budget.startsWith("Render ÷ replay floor"))!;
    const passing = row(withRuns([15_000, 12_500, 13_000], [7_000, 6_400, 8_900]));
    assert.equal(passing.pass, true, "12.5 s ÷ 6.4 s = 1.95×");
    assert.match(passing.measured, /^1\.95× /);
    assert.match(passing.measured, /render 15\.0, 12\.5, 13\.0 s, floor 7\.0, 6\.4, 8\.9 s/);
    assert.match(passing.budget, /best of 3 ÷ best of 3/);
    assert.equal(row(withRuns([13_000], [6_400])).pass, false, "13.0 s ÷ 6.4 s = 2.03×");
  });
});
