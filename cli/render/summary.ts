/** The render's and the gate's terminal summaries, as plain text. */
import { compareStrings } from "../../model/mesh";
import type { PolicyReport, RenderSummary } from "./types";

function table(counts: Record<string, number>, indent = "  "): string[] {
  const keys = Object.keys(counts).sort(compareStrings);
  const width = Math.max(0, ...keys.map((k) => k.length));
  return keys.map((k) => `${indent}${k.padEnd(width)}  ${counts[k]}`);
}

function ruleLines(byRule: Record<string, Record<string, number>>): string[] {
  return Object.keys(byRule)
    .sort(compareStrings)
    .map((rule) => {
      const levels = Object.entries(byRule[rule] ?? {})
        .sort(([a], [b]) => compareStrings(a, b))
        .map(([level, n]) => `${n} ${level}`);
      return `  ${rule}: ${levels.join(", ")}`;
    });
}

export function violationLines(report: PolicyReport, limit = 20): string[] {
  const lines = report.violations
    .slice(0, limit)
    .map((v) => `  [${v.level}] ${v.policy} ${v.name ?? v.urn ?? ""}: ${v.message}`);
  if (report.violations.length > limit)
    lines.push(`  … ${report.violations.length - limit} more in policy-report.json`);
  return lines;
}

export function verdict(exitCode: number): string {
  if (exitCode === 0) return "clean (exit 0)";
  if (exitCode === 1)
    return "FAILED: a mandatory violation, an invalid artifact, a real system's refusal or a second-up change (exit 1)";
  return "bad input (exit 2)";
}

export function formatRenderSummary(
  summary: RenderSummary,
  outDir: string,
  exitCode: number,
  report?: PolicyReport,
): string {
  const t = summary.timingsMs;
  const lines = [
    `lucid-mesh render: stack ${summary.stack} (environment ${summary.environment}) -> ${outDir}`,
    `resources: ${summary.resources.total}`,
    ...table(summary.resources.byType),
    `envoy: ${summary.envoy.configSets} config sets, ${summary.envoy.files} files validated: ${summary.envoy.errors} errors, ${summary.envoy.warnings} warnings`,
    `kubernetes: ${summary.kubernetes.objects} objects validated: ${summary.kubernetes.errors} errors`,
    `systems: ${summary.systems.findings} refusals by the real systems' models${Object.entries(summary.systems.bySystem)
      .map(([system, n]) => `, ${n} ${system}`)
      .join("")}`,
    ...(summary.traffic
      ? [
          `traffic: ${summary.traffic.withUpstream} calls walked, ${summary.traffic.reachable} reachable, ` +
            `${summary.traffic.blocked} blocked; ${summary.traffic.scenarios} failure scenarios; ` +
            `${summary.traffic.violations} disagreements with the intentions`,
        ]
      : []),
    `second up: ${summary.secondUp.updates} updates, ${summary.secondUp.replacements} replacements`,
    ...summary.renewals.map(
      (r) =>
        `renewal of ${r.kind} ${r.certificate}: ${r.replaced} replaced, ${r.updated} updated, ` +
        `${r.restarts} containers or pods restarted (${r.envoyOrConsulRestarts} Envoy or Consul)` +
        (r.writersRerun > 0 ? `, ${r.writersRerun} file writers re-run` : ""),
    ),
    ...summary.issues.slice(0, 20).map((i) => `  ${i.subject}: ${i.message}`),
    `policy (${report?.policyConfig ?? "?"}): ${summary.policy.total} violations, ${summary.policy.mandatory} mandatory`,
    ...ruleLines(summary.policy.byRule),
    ...(report ? violationLines(report) : []),
    `files: ${summary.files} written`,
    `timings: simulate ${t.simulate} ms, validate ${t.validate} ms, policy ${t.policy} ms, write ${t.write} ms, total ${t.total} ms`,
    `result: ${verdict(exitCode)}`,
  ];
  return `${lines.join("\n")}\n`;
}

export function formatGateSummary(planFile: string, resources: number, report: PolicyReport, exitCode: number): string {
  const lines = [
    `lucid-mesh gate: ${planFile} (${resources} resources)`,
    `policy (${report.policyConfig}): ${report.total} violations, ${report.byLevel.mandatory ?? 0} mandatory`,
    ...ruleLines(report.byRule),
    ...violationLines(report),
    `result: ${verdict(exitCode)}`,
  ];
  return `${lines.join("\n")}\n`;
}
