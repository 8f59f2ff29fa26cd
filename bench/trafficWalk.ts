/**
 * The traffic walk's figures for the bench (simulate/traffic/, issue 21): its time and memory over the deployment
 * the program registered, and traffic.json's size, beside the rest of the render in the same run.
 */
import { trafficFile } from "../cli/render/traffic";
import { collectGarbage } from "../cli/render/memory";
import type { Deployment } from "../simulate/system";
import { trafficReport } from "../simulate/traffic";
import { formatBytes, formatMs, formatNumber } from "./measure";

export interface TrafficWalkResult {
  readonly walkMs: number;
  /** traffic.json's text, built from the report. */
  readonly fileMs: number;
  readonly fileBytes: number;
  /** Heap the report holds after a full collection, and the heap's peak growth while walking (sampled per phase). */
  readonly retainedMb: number;
  readonly pairsWalked: number;
  readonly matrixCells: number;
  readonly scenarios: number;
  readonly violations: number;
}

export function measureTrafficWalk(deployment: Deployment): TrafficWalkResult {
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  let t = performance.now();
  const report = trafficReport(deployment);
  const walkMs = performance.now() - t;
  t = performance.now();
  const file = trafficFile(report);
  const fileMs = performance.now() - t;
  collectGarbage();
  const retainedMb = (process.memoryUsage().heapUsed - before) / 1e6;
  return {
    walkMs,
    fileMs,
    fileBytes: "content" in file ? Buffer.byteLength(file.content) : 0,
    retainedMb,
    pairsWalked: report.counts.withUpstream,
    matrixCells: report.counts.pairs,
    scenarios: report.counts.scenarios,
    violations: report.counts.violations,
  };
}

/** The rest of the render in the same run: the program under mocks, validation, policy, artifacts. */
export interface RenderPhases {
  readonly simulateMs: number;
  readonly renderValidateMs: number;
  readonly policyMs: number;
  readonly artifactBuildMs: number;
  readonly artifactWriteMs: number;
  readonly traffic: TrafficWalkResult;
}

export type TrafficRow = [string, ...string[]];

/** The bench table's traffic rows; `row` places a cell per mesh size. */
export function trafficRows(row: (label: string, cell: (s: RenderPhases) => string) => TrafficRow): TrafficRow[] {
  const rest = (s: RenderPhases): number =>
    s.simulateMs + s.renderValidateMs + s.policyMs + s.artifactBuildMs + s.artifactWriteMs;
  return [
    row("traffic walk (trafficReport) [T]", (s) => formatMs(s.traffic.walkMs)),
    row(
      "  T ÷ rest of the render (simulate+validate+policy+artifacts)",
      (s) => `${formatNumber((100 * s.traffic.walkMs) / rest(s), 1)} %`,
    ),
    row("  edges walked / matrix cells", (s) => `${s.traffic.pairsWalked} / ${s.traffic.matrixCells}`),
    row("  failure scenarios / violations", (s) => `${s.traffic.scenarios} / ${s.traffic.violations}`),
    row("  traffic.json: build / bytes", (s) => `${formatMs(s.traffic.fileMs)} / ${formatBytes(s.traffic.fileBytes)}`),
    row("  heap held by the report (after GC)", (s) => `${formatNumber(s.traffic.retainedMb, 0)} MB`),
  ];
}
