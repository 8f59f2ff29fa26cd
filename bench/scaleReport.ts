/** Issue 22's budgets and tables, from `measureScale`'s results. Pure: results in, text out. */
import type { UpMode } from "./child";
import type { BudgetResult } from "./report";
import type { PlatformScale, ScaleResult } from "./scale";
import type { UpCost } from "./stateSize";
import { formatBytes as formatBinaryBytes, formatMs, formatNumber, formatTable } from "./measure";

/** Per-instance figures are averages: whole bytes. */
const formatBytes = (bytes: number): string => formatBinaryBytes(Math.round(bytes));

const UP_MODE_LABEL: Readonly<Record<UpMode, string>> = {
  program: "as index.ts runs it",
  "sdk-defaults": "every SDK debug aid on",
  "aids-off": "every SDK debug aid off",
};

export const SCALE_LIMITS = {
  customResourcesPerInstance: 7,
  /** resources × state size of the largest stack, in bytes (10^9 per GB). */
  upBytesWritten: 120e9,
  /** Peak RSS of the `pulumi up` path, in MB (2^20 bytes). */
  upPeakRssMb: 1536,
  renderOverReplayFloor: 2.0,
} as const;

/** `1.23 TB`, `456.7 GB` (decimal, as disks and the issue count them). */
export function formatDecimalBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "n/a";
  if (bytes >= 1e12) return `${(bytes / 1e12).toFixed(2)} TB`;
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e3).toFixed(1)} KB`;
}

const upCost = (c: UpCost): string =>
  `${formatDecimalBytes(c.bytesWritten)} (${c.resources} resources × ${formatDecimalBytes(c.stateBytes)})`;

/** The split's stack whose first up writes the most. */
export function largestSplitStack(p: PlatformScale): UpCost & { readonly stack: string } {
  const costs = p.split.stacks.map((s) => ({
    stack: s.stack,
    resources: s.resources,
    stateBytes: s.stateBytes,
    bytesWritten: s.resources * s.stateBytes,
  }));
  return costs.reduce((a, b) => (b.bytesWritten > a.bytesWritten ? b : a));
}

export function scaleBudgets(scale: ScaleResult): BudgetResult[] {
  const out: BudgetResult[] = [];
  for (const p of scale.platforms) {
    const m = p.margin;
    out.push({
      budget: `Custom resources per service instance, ${p.platform} (margin ${p.marginSizes?.join(" → ") ?? "-"})`,
      limit: `≤ ${SCALE_LIMITS.customResourcesPerInstance}`,
      measured: m ? formatNumber(m.customResources, 2) : "needs two sizes",
      pass: m ? m.customResources <= SCALE_LIMITS.customResourcesPerInstance + 1e-9 : undefined,
    });
  }
  for (const p of scale.platforms) {
    const largest = largestSplitStack(p);
    out.push({
      budget: `First up, largest stack: resources × state, ${p.platform}, split mesh [S]`,
      limit: `≤ ${formatDecimalBytes(SCALE_LIMITS.upBytesWritten)} at 1,000 services`,
      measured: `${upCost(largest)}, ${largest.stack} at ${p.split.services} services`,
      pass: p.split.services >= 1000 ? largest.bytesWritten <= SCALE_LIMITS.upBytesWritten : undefined,
    });
  }
  for (const run of [...scale.up, ...scale.upSplit]) {
    out.push({
      budget: run.stack
        ? `Peak RSS, pulumi up path, no pacing, largest stack of the split mesh (${run.stack}) [S]`
        : `Peak RSS, pulumi up path, no pacing, one stack, ${UP_MODE_LABEL[run.mode]}`,
      limit: `≤ ${SCALE_LIMITS.upPeakRssMb} MB at 1,000 services`,
      measured: run.failed
        ? `did not finish at ${run.services} services (${run.platform}): ${run.failed}`
        : `${formatNumber(run.peakRssMb, 0)} MB at ${run.services} services (${run.platform})`,
      pass: run.failed ? false : run.services >= 1000 ? run.peakRssMb <= SCALE_LIMITS.upPeakRssMb : undefined,
    });
  }
  const { render, renderCpuRunsMs, floorCpuRunsMs } = scale.floor;
  const bestRender = Math.min(...renderCpuRunsMs);
  const bestFloor = Math.min(...floorCpuRunsMs);
  const ratio = bestRender / bestFloor;
  const runs = (values: readonly number[]): string => values.map((v) => formatNumber(v / 1000, 1)).join(", ");
  out.push({
    budget: `Render ÷ replay floor, CPU time, best of ${renderCpuRunsMs.length} ÷ best of ${floorCpuRunsMs.length}, each in a fresh process [R]`,
    limit: `≤ ${formatNumber(SCALE_LIMITS.renderOverReplayFloor, 1)}× at 1,000 services`,
    measured:
      `${formatNumber(ratio, 2)}× (${formatMs(bestRender)} ÷ ${formatMs(bestFloor)}; runs: render ${runs(renderCpuRunsMs)} s, ` +
      `floor ${runs(floorCpuRunsMs)} s) at ${render.services} services`,
    pass: render.services >= 1000 ? ratio <= SCALE_LIMITS.renderOverReplayFloor : undefined,
  });
  return out;
}

function marginTable(p: PlatformScale): string {
  const m = p.margin;
  if (!m) return `${p.platform}: needs two sizes for the margin`;
  const rows = Object.entries(m.byType)
    .filter(([, t]) => Math.abs(t.resources) > 1e-9 || Math.abs(t.stateBytes) > 0.5)
    .sort((a, b) => b[1].stateBytes - a[1].stateBytes)
    .map(([type, t]) => [type, formatNumber(t.resources, 2), formatBytes(t.inputBytes), formatBytes(t.stateBytes)]);
  rows.push([
    "all custom resources",
    formatNumber(m.customResources, 2),
    formatBytes(m.inputBytes),
    formatBytes(m.stateBytes),
  ]);
  return formatTable(
    [
      `${p.platform}: per service instance, margin ${p.marginSizes!.join(" → ")} services (${m.instances} instances)`,
      "resources",
      "inputs",
      "state",
    ],
    rows,
  );
}

export function scaleLines(scale: ScaleResult): string[] {
  const lines: string[] = [];
  lines.push("");
  for (const p of scale.platforms) {
    lines.push(marginTable(p));
    lines.push("");
  }
  const header = [
    "stack (first up on the file backend)",
    ...scale.platforms.map((p) => `${p.platform}, ${p.upCosts.services} services`),
  ];
  const row = (label: string, cell: (p: PlatformScale) => string): string[] => [label, ...scale.platforms.map(cell)];
  lines.push(
    formatTable(header, [
      row("one stack: resources × state", (p) => upCost(p.upCosts.singleStack)),
      row("largest stack of the split mesh [S]", (p) => {
        const largest = largestSplitStack(p);
        return `${largest.stack}: ${upCost(largest)}`;
      }),
      row("split: root stack [S]", (p) => {
        const root = p.split.stacks.find((s) => s.role === "root");
        return root ? upCost({ ...root, bytesWritten: root.resources * root.stateBytes }) : "-";
      }),
      row("split: stacks (clusters, peerings)", (p) => {
        const n = (role: string): number => p.split.stacks.filter((s) => s.role === role).length;
        return `${p.split.stacks.length} (${n("cluster")}, ${n("peering")})`;
      }),
      row(
        "largest cluster by partition of one stack [P]",
        (p) => `${p.upCosts.largestCluster.cluster}: ${upCost(p.upCosts.largestCluster)}`,
      ),
      row("state per stack, one stack", (p) => formatDecimalBytes(p.upCosts.singleStack.stateBytes)),
      row("render (fresh process): wall / CPU", (p) => {
        const r = p.renders[p.renders.length - 1]!;
        return `${formatMs(r.ms)} / ${formatMs(r.cpuMs)}`;
      }),
      row("render: peak RSS (sampled)", (p) => `${formatNumber(p.renders[p.renders.length - 1]!.peakRssMb, 0)} MB`),
    ]),
  );
  lines.push("");
  const { render, floor } = scale.floor;
  lines.push(
    formatTable(
      [`fresh processes, ${render.services} services, ${render.platform}`, "wall", "CPU", "peak RSS"],
      [
        [
          "render: the program under mocks, paced (simulateMesh), first run",
          formatMs(render.ms),
          formatMs(render.cpuMs),
          `${formatNumber(render.peakRssMb, 0)} MB`,
        ],
        [
          `replay floor [R], best of ${scale.floor.floorCpuRunsMs.length}${floor.generic > 0 ? ` (${floor.generic} generic)` : ""}`,
          formatMs(floor.ms),
          formatMs(floor.cpuMs),
          `${formatNumber(floor.peakRssMb, 0)} MB`,
        ],
        ...[...scale.up, ...scale.upSplit].map((u) => [
          u.stack
            ? `pulumi up path, ${u.platform}, split: ${u.stack} (${u.stackInstances ?? "?"} instances, ${u.resources} resources) [S]`
            : `pulumi up path, no pacing, ${UP_MODE_LABEL[u.mode]} (${u.resources} resources)`,
          formatMs(u.ms),
          formatMs(u.cpuMs),
          `${formatNumber(u.peakRssMb, 0)} MB (heap ≤ ${formatNumber(u.peakHeapUsedMb, 0)} MB)` +
            (u.nodeArgs.length > 0 ? `, node ${u.nodeArgs.join(" ")}` : ""),
        ]),
      ],
    ),
  );
  lines.push("");
  lines.push(
    "State: each resource as Pulumi's checkpoint stores it (apitype ResourceV3): inputs AND outputs (under mocks,",
  );
  lines.push(
    "    the echoed inputs plus the provider model's outputs), urn, type, id, parent, dependencies, provider; compact",
  );
  lines.push(
    "    JSON as the file backend writes it. Secret outputs count as a placeholder (the real state holds ciphertext).",
  );
  lines.push(
    "    A first up saves the checkpoint when each step begins and ends: about resources × final state size written.",
  );
  lines.push(
    "[S] The split mesh (components/splitMesh.ts) deployed for the first time under recording mocks (simulate/split.ts),",
  );
  lines.push("    each stack's final state tallied as above; a cluster stack runs twice, its last run counts.");
  lines.push(
    "[P] For comparison, the one-stack render partitioned: a resource's lucid.mesh/cluster label (artifacts/labels.ts),",
  );
  lines.push("    else its provider's or parent's cluster, else a `<cluster>-` name prefix, else shared.");
  lines.push(
    "[R] The render's own resources declared again (bench/replayFloor.ts) in a fresh process: same SDK classes, names,",
  );
  lines.push(
    "    parents, explicit providers and inputs, inputs from other resources as Outputs, secrets as secret Outputs,",
  );
  lines.push(
    "    echoing mocks, same batching; no certificates, no Envoy files, no component logic. CPU time is compared,",
  );
  lines.push("    as the machine is shared; the render's wall time is what users wait for.");
  lines.push("up path: the program with no pace, as `pulumi up` runs index.ts (runMeshProgramUnderEngine: the SDK's");
  lines.push(
    "    per-promise stack capture off), under mocks that keep nothing (the engine keeps the state in its own",
  );
  lines.push(
    "    process), the tls models issuing real certificates; peak RSS is the fresh process's maxRSS. Node runs",
  );
  lines.push("    with Pulumi.yaml's runtime nodeargs, as the Node.js language host starts the program.");
  lines.push("[S] up path: the program of the split mesh's largest cluster stack, as its `pulumi up` runs it");
  lines.push(
    "    after the root signed its CSR (its first run and the root's run go first, a few resources). The one-stack",
  );
  lines.push(
    "    row is the issue's budget as written (a mesh still runs as one stack by default); [S] is what a split pays.",
  );
  return lines;
}
