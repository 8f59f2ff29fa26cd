/**
 * The printed table, and the budgets of issue 9 (superseded by issue 22's, in scaleReport.ts, and still printed for
 * comparison). Pure: results in, text out.
 */
import type { PureResult, SimulatedResult } from "./suite";
import { trafficRows } from "./trafficWalk";
import { formatBytes, formatMs, formatNumber, formatTable, min } from "./measure";

export interface BudgetResult {
  readonly budget: string;
  readonly limit: string;
  readonly measured: string;
  /** undefined: not measured in this run (a size or phase was skipped). */
  readonly pass: boolean | undefined;
}

/** The size the "1,000 services" budgets are judged at: 1000 when measured, else the largest. */
function judged<T extends { services: number }>(results: readonly T[]): T | undefined {
  return (
    results.find((r) => r.services === 1000) ??
    results.reduce<T | undefined>((a, b) => (!a || b.services > a.services ? b : a), undefined)
  );
}

const at = (r: { services: number }): string => ` at ${r.services} services`;

export function budgets(
  pure: readonly PureResult[],
  simulated: readonly SimulatedResult[],
  upstreams: number,
): BudgetResult[] {
  const out: BudgetResult[] = [];
  const p = judged(pure);
  const s = judged(simulated);
  const notMeasured = (budget: string, limit: string, why: string): BudgetResult => ({
    budget,
    limit,
    measured: why,
    pass: undefined,
  });

  const renderLimitMs = 5000;
  if (p) {
    const first = p.renderRunsMs[0]!;
    out.push({
      budget: "Envoy artifact render (sidecarFiles+gatewayFiles), wall, first run",
      limit: "≤ 5 s at 1,000 services",
      measured: formatMs(first) + at(p),
      pass: p.services >= 1000 ? first <= renderLimitMs : undefined,
    });
    out.push({
      budget: "Peak RSS, pure phases (model + Envoy render + validator)",
      limit: "≤ 512 MB",
      measured: `${formatNumber(p.rssPeakMb, 0)} MB` + at(p),
      pass: p.rssPeakMb <= 512,
    });
  }
  const simBudget = "Full render under mocks (simulateMesh), wall";
  if (s) {
    out.push({
      budget: simBudget,
      limit: "≤ 5 s at 1,000 services",
      measured: `${formatMs(s.simulateMs)} (${formatNumber(s.resourcesPerSecond, 0)} resources/s)${at(s)}`,
      pass: s.services >= 1000 ? s.simulateMs <= renderLimitMs : undefined,
    });
    out.push({
      budget: "Peak RSS, process incl. simulateMesh",
      limit: "≤ 512 MB",
      measured: `${formatNumber(s.processPeakRssMb, 0)} MB (simulate phase ${formatNumber(s.rssPeakMb, 0)} MB)${at(s)}`,
      pass: s.processPeakRssMb <= 512,
    });
  } else out.push(notMeasured(simBudget, "≤ 5 s at 1,000 services", "skipped (--skip-simulate)"));

  if (p) {
    const ratio = min(p.renderRunsMs) / min(p.floorRunsMs);
    out.push({
      budget: "Envoy artifact render ÷ serialization floor (best ÷ best)",
      limit: "≤ 3×",
      measured: `${formatNumber(ratio, 2)}× (${formatMs(min(p.renderRunsMs))} ÷ ${formatMs(min(p.floorRunsMs))})${at(p)}`,
      pass: ratio <= 3,
    });
    const limit = 8 * 1024 + 2 * 1024 * upstreams;
    out.push({
      budget: "Largest sidecar config (bootstrap+listener+cluster YAML)",
      limit: `≤ ${formatBytes(limit)} (8 KB + 2 KB × ${upstreams} upstreams)`,
      measured: `${formatBytes(p.sidecarBytes.max)} (mean ${formatBytes(p.sidecarBytes.mean)})${at(p)}`,
      pass: p.sidecarBytes.max <= limit,
    });
  }
  const p100 = pure.find((r) => r.services === 100);
  const p1000 = pure.find((r) => r.services === 1000);
  const growth = "Config bytes growth, 100 → 1,000 services";
  if (p100 && p1000) {
    const factor = p1000.totalBytes / p100.totalBytes;
    out.push({
      budget: growth,
      limit: "≤ 11×",
      measured: `${formatNumber(factor, 2)}× (${formatBytes(p100.totalBytes)} → ${formatBytes(p1000.totalBytes)})`,
      pass: factor <= 11,
    });
  } else out.push(notMeasured(growth, "≤ 11×", "needs sizes 100 and 1000"));
  const policy = "Policy evaluation, all rules over recorded resources";
  if (s) {
    out.push({
      budget: policy,
      limit: "≤ 1 ms per resource",
      measured: `${formatNumber(s.policyMsPerResource, 3)} ms/resource (${formatMs(s.policyMs)} for ${s.resources})${at(s)}`,
      pass: s.policyMsPerResource <= 1,
    });
  } else out.push(notMeasured(policy, "≤ 1 ms per resource", "skipped (--skip-simulate)"));
  return out;
}

export interface ReportInput {
  readonly flags: { readonly platform: string; readonly upstreams: number; readonly runs: number };
  readonly pure: readonly PureResult[];
  readonly simulated: readonly SimulatedResult[];
  readonly budgets: readonly BudgetResult[];
  /** Issue 9's budgets: printed after the current ones, for comparison. */
  readonly supersededBudgets?: readonly BudgetResult[];
  readonly machine: {
    readonly cpus: number;
    readonly cpuModel: string;
    readonly node: string;
    readonly loadavgBefore: readonly number[];
    readonly loadavgAfter: readonly number[];
    readonly loadavg1mDuring?: readonly number[];
  };
}

type Row = [string, ...string[]];

function pureRows(pure: readonly PureResult[], runs: number): Row[] {
  const row = (label: string, cell: (r: PureResult) => string): Row => [label, ...pure.map(cell)];
  return [
    row("sidecars / gateways", (r) => `${r.sidecars} / ${r.gateways}`),
    row("model validation (parseMeshConfig)", (r) => formatMs(r.parseMs)),
    row("Envoy artifact render, 1st run [A]", (r) => formatMs(r.renderRunsMs[0]!)),
    row(`Envoy artifact render, best of ${runs} [A]`, (r) => formatMs(min(r.renderRunsMs))),
    row("  per sidecar (best)", (r) => formatMs(min(r.renderRunsMs) / (r.sidecars + r.gateways))),
    row("  object build only (sidecarConfig/gatewayConfig)", (r) => formatMs(r.buildMs)),
    row(`serialization floor, best of ${runs} [F]`, (r) => formatMs(min(r.floorRunsMs))),
    row("render ÷ floor [A÷F]", (r) => `${formatNumber(min(r.renderRunsMs) / min(r.floorRunsMs), 2)}×`),
    row("validator, every sidecar's config set (+SDS)", (r) =>
      r.validateMs === undefined ? "skipped" : formatMs(r.validateMs),
    ),
    row("  per sidecar", (r) => (r.validateMs === undefined ? "skipped" : formatMs(r.validateMs / r.sidecars))),
    row("  issues (errors / warnings)", (r) =>
      r.validationErrors === undefined ? "skipped" : `${r.validationErrors} / ${r.validationWarnings ?? 0}`,
    ),
    row("config bytes, total (sidecars + gateways)", (r) => formatBytes(r.totalBytes)),
    row("  gateways", (r) => formatBytes(r.gatewayBytes)),
    row("sidecar config, max (no SDS)", (r) => formatBytes(r.sidecarBytes.max)),
    row("sidecar config, mean (no SDS)", (r) => formatBytes(r.sidecarBytes.mean)),
    row("peak RSS, pure phase (sampled)", (r) => `${formatNumber(r.rssPeakMb, 0)} MB`),
  ];
}

function simulatedRows(pure: readonly PureResult[], simulated: readonly SimulatedResult[]): Row[] {
  const find = (r: PureResult): SimulatedResult | undefined => simulated.find((s) => s.services === r.services);
  const row = (label: string, cell: (s: SimulatedResult) => string): Row => [
    label,
    ...pure.map((r) => {
      const s = find(r);
      return s ? cell(s) : "-";
    }),
  ];
  return [
    row("full render under mocks (simulateMesh)", (s) => formatMs(s.simulateMs)),
    row("  resources / s", (s) => formatNumber(s.resourcesPerSecond, 0)),
    row("Pulumi SDK floor: as many trivial resources [S]", (s) => formatMs(s.sdkFloorMs)),
    row("  full render ÷ SDK floor", (s) => `${formatNumber(s.simulateMs / s.sdkFloorMs, 1)}×`),
    row("resources: all / custom / components", (s) => `${s.resources} / ${s.customResources} / ${s.components}`),
    row(
      "  per service instance: custom / all",
      (s) => `${formatNumber(s.customResources / s.instances, 2)} / ${formatNumber(s.resources / s.instances, 2)}`,
    ),
    row(
      "  per service: custom / all",
      (s) => `${formatNumber(s.customResources / s.services, 2)} / ${formatNumber(s.resources / s.services, 2)}`,
    ),
    row(
      "render: validate deployed sets (checkEnvoySets)",
      (s) => `${formatMs(s.renderValidateMs)} (${s.renderValidateErrors} errors)`,
    ),
    row("render: artifacts built (plan + renderFiles)", (s) => formatMs(s.artifactBuildMs)),
    row("render: artifacts written (writeArtifacts, incl. plan.json text)", (s) => formatMs(s.artifactWriteMs)),
    row("  files / bytes", (s) => `${s.artifactFiles} / ${formatBytes(s.artifactBytes)}`),
    row("policy evaluation, all rules (dev pack config)", (s) => formatMs(s.policyMs)),
    row("  ms per resource", (s) => formatNumber(s.policyMsPerResource, 3)),
    row("  violations (mandatory)", (s) => `${s.violations} (${s.mandatoryViolations})`),
    row(
      "deployed sidecar config max / mean (no SDS)",
      (s) => `${formatBytes(s.deployedConfigBytes.max)} / ${formatBytes(s.deployedConfigBytes.mean)}`,
    ),
    row(
      "deployed sidecar config max / mean (+SDS)",
      (s) => `${formatBytes(s.deployedWithSdsBytes.max)} / ${formatBytes(s.deployedWithSdsBytes.mean)}`,
    ),
    ...trafficRows(row),
    row("peak RSS, simulate phase (sampled)", (s) => `${formatNumber(s.rssPeakMb, 0)} MB`),
    row("peak RSS, process so far (maxRSS)", (s) => `${formatNumber(s.processPeakRssMb, 0)} MB`),
  ];
}

export function printReport(input: ReportInput): void {
  const { flags, pure, simulated, machine } = input;
  const lines: string[] = [];
  lines.push(
    `lucid-mesh bench: ${flags.platform} clusters ×3 (Docker: more past 120 instances each), ${flags.upstreams} upstreams per service, every 5th service in 2 clusters`,
  );
  lines.push(
    `machine: ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, load avg before ${machine.loadavgBefore
      .map((l) => l.toFixed(2))
      .join(" ")}, after ${machine.loadavgAfter.map((l) => l.toFixed(2)).join(" ")}` +
      (machine.loadavg1mDuring && machine.loadavg1mDuring.length > 0
        ? `, 1-min load during ${Math.min(...machine.loadavg1mDuring).toFixed(1)}–${Math.max(...machine.loadavg1mDuring).toFixed(1)}`
        : ""),
  );
  lines.push("");
  const header = ["services", ...pure.map((r) => String(r.services))];
  const rows = [...pureRows(pure, flags.runs), ...(simulated.length > 0 ? simulatedRows(pure, simulated) : [])];
  lines.push(formatTable(header, rows));
  lines.push("");
  lines.push("[A] Envoy artifact render = sidecarFiles() for every sidecar + gatewayFiles() for every cluster:");
  lines.push("    building the config objects, sorting keys and serializing (toYaml), from a fresh Mesh each run.");
  lines.push(
    "[F] Floor = js-yaml dump() alone over the same objects, already built by sidecarConfig()/gatewayConfig().",
  );
  if (simulated.length > 0) {
    lines.push(
      `simulateMesh ran the whole program under Pulumi mocks with real X.509 (settings: ${simulated[0]!.settings});`,
    );
    lines.push(
      "    then the render CLI's phases (cli/render): checkEnvoySets, runPolicies (every rule, dev pack config, over",
    );
    lines.push(
      "    every recorded resource plus the root stack), plan + renderFiles, writeArtifacts to a temp directory.",
    );
    lines.push(
      "[S] The SDK alone: as many trivial custom resources (5 small inputs, echoed) under the same mocks settings and",
    );
    lines.push(
      "    the same batching (bench/sdkFloor.ts): the part of the render's time no program change can remove.",
    );
  }
  const budgetTable = (title: string, rows: readonly BudgetResult[]): void => {
    lines.push("");
    lines.push(
      formatTable(
        [title, "limit", "measured", "result"],
        rows.map((b) => [b.budget, b.limit, b.measured, b.pass === undefined ? "n/a" : b.pass ? "PASS" : "FAIL"]),
      ),
    );
  };
  if (input.budgets.length > 0) budgetTable("budget (issue 22)", input.budgets);
  if (input.supersededBudgets && input.supersededBudgets.length > 0) {
    budgetTable("issue 9's budgets, superseded by issue 22 (for comparison)", input.supersededBudgets);
  }
  console.log(lines.join("\n"));
}
