/**
 * The render's review summary in Markdown (`npm run render -- --format markdown`): what a reviewer wants on one
 * screen of a pull request. Deterministic: no timings and no output path, so docs/review-summary.md can be checked.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { compareStrings } from "../../model/mesh";
import { verdict } from "./summary";
import type { PolicyReport, RenderResult, RenderSummary } from "./types";

export interface MarkdownExtras {
  /** topology.mmd of the render. */
  readonly topology?: string;
  /** traffic.json of the render, parsed, when the render wrote one. */
  readonly traffic?: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A table cell: pipes would split it. */
function cell(value: unknown): string {
  return String(value).replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function table(header: readonly string[], rows: readonly (readonly unknown[])[]): string[] {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map((_, i) => (rows.length > 0 && rows.every((r) => typeof r[i] === "number") ? "---:" : "---")).join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ];
}

/** `consul:index/service:Service` → `consul`: the provider package, for the one-line overview. */
function packageOf(type: string): string {
  return type.split(":")[0] ?? type;
}

function resourceLines(summary: RenderSummary): string[] {
  const byPackage: Record<string, number> = {};
  for (const [type, n] of Object.entries(summary.resources.byType)) {
    byPackage[packageOf(type)] = (byPackage[packageOf(type)] ?? 0) + n;
  }
  const overview = Object.keys(byPackage)
    .sort(compareStrings)
    .map((p) => `${p} ${byPackage[p]}`)
    .join(" · ");
  const types = Object.keys(summary.resources.byType).sort(compareStrings);
  return [
    `### Resources: ${summary.resources.total}`,
    "",
    overview,
    "",
    "<details><summary>By type</summary>",
    "",
    ...table(
      ["Type", "Count"],
      types.map((t) => [`\`${t}\``, summary.resources.byType[t]]),
    ),
    "",
    "</details>",
  ];
}

const LEVELS = ["mandatory", "advisory", "remediate", "disabled"] as const;

function policyLines(summary: RenderSummary, report: PolicyReport | undefined): string[] {
  const byLevel = report?.byLevel ?? { mandatory: summary.policy.mandatory };
  const levels = [...new Set([...LEVELS.slice(0, 2), ...Object.keys(byLevel)])];
  const lines = [
    `### Policy violations: ${summary.policy.total}${report ? ` (\`${report.policyConfig}\`)` : ""}`,
    "",
    ...table(
      ["Level", "Violations"],
      levels.map((l) => [l, byLevel[l] ?? 0]),
    ),
  ];
  const shown = (report?.violations ?? []).slice(0, 10);
  if (shown.length > 0) {
    lines.push("", ...shown.map((v) => `- **${v.level}** \`${v.policy}\` ${v.name ?? v.urn ?? ""}: ${v.message}`));
    const more = (report?.violations.length ?? 0) - shown.length;
    if (more > 0) lines.push(`- … ${more} more in \`policy-report.json\``);
  }
  return lines;
}

function validationLines(summary: RenderSummary): string[] {
  const systems = Object.entries(summary.systems.bySystem)
    .map(([system, n]) => `${n} ${system}`)
    .join(", ");
  return [
    "### Validation",
    "",
    ...table(
      ["Check", "Checked", "Errors"],
      [
        [
          "Envoy configs (protos + bootstrap)",
          `${summary.envoy.configSets} config sets, ${summary.envoy.files} files`,
          `${summary.envoy.errors} errors, ${summary.envoy.warnings} warnings`,
        ],
        ["Kubernetes objects", `${summary.kubernetes.objects} objects`, `${summary.kubernetes.errors} errors`],
        [
          "Real systems' models",
          "Consul, Docker, Kubernetes, tls",
          `${summary.systems.findings} refusals${systems ? ` (${systems})` : ""}`,
        ],
        [
          "Second `up`, same config",
          `${summary.resources.total} resources`,
          `${summary.secondUp.updates} updates, ${summary.secondUp.replacements} replacements`,
        ],
      ],
    ),
  ];
}

function renewalLines(summary: RenderSummary): string[] {
  if (summary.renewals.length === 0) return [];
  return [
    "### Certificate renewals (simulated)",
    "",
    ...table(
      ["Renewal", "Certificate", "Replaced", "Updated", "Restarted", "File writers re-run"],
      summary.renewals.map((r) => [r.kind, `\`${r.certificate}\``, r.replaced, r.updated, r.restarts, r.writersRerun]),
    ),
  ];
}

const VERDICT_MARKS: Readonly<Record<string, string>> = { reachable: "✅", blocked: "❌", "no route": "·" };

/**
 * The traffic matrix of traffic.json (written by the traffic walk, simulate/traffic/): rows are callers, columns
 * callees. Reads the walk's `{ callees, callers: { <from>: { <to>: { verdict } } } }` (a callee missing from a row
 * has no route), `{ matrix: { <from>: { <to>: "reachable" | "blocked" | "no route" } } }` (booleans are read too),
 * or a list of `{ from, to, allowed|result }`.
 */
export function trafficMatrix(traffic: unknown): Record<string, Record<string, string>> | undefined {
  const verdictOf = (v: unknown): string =>
    v === true ? "✅" : v === false ? "❌" : (VERDICT_MARKS[String(v)] ?? String(v));
  const matrix: Record<string, Record<string, string>> = {};
  if (isRecord(traffic) && isRecord(traffic.callers)) {
    const callees = Array.isArray(traffic.callees) ? traffic.callees.map(String) : [];
    for (const [from, row] of Object.entries(traffic.callers)) {
      if (!isRecord(row)) return undefined;
      matrix[from] = Object.fromEntries(callees.map((to) => [to, VERDICT_MARKS["no route"]!]));
      for (const [to, edge] of Object.entries(row)) matrix[from][to] = verdictOf(isRecord(edge) ? edge.verdict : edge);
    }
    return matrix;
  }
  if (isRecord(traffic) && isRecord(traffic.matrix)) {
    for (const [from, row] of Object.entries(traffic.matrix)) {
      if (!isRecord(row)) return undefined;
      matrix[from] = Object.fromEntries(Object.entries(row).map(([to, v]) => [to, verdictOf(v)]));
    }
    return matrix;
  }
  const list = Array.isArray(traffic)
    ? traffic
    : isRecord(traffic) && Array.isArray(traffic.walks)
      ? traffic.walks
      : undefined;
  if (!list) return undefined;
  for (const entry of list) {
    if (!isRecord(entry) || typeof entry.from !== "string" || typeof entry.to !== "string") return undefined;
    (matrix[entry.from] ??= {})[entry.to] = verdictOf(entry.allowed ?? entry.result);
  }
  return matrix;
}

/** The blocked edges, failure scenarios and violations of a traffic.json of the walk's own shape. */
function trafficDetailLines(traffic: unknown): string[] {
  if (!isRecord(traffic)) return [];
  const lines: string[] = [];
  const pairs: Array<Record<string, unknown>> = isRecord(traffic.callers)
    ? Object.entries(traffic.callers).flatMap(([from, row]) =>
        isRecord(row)
          ? Object.entries(row).flatMap(([to, edge]) => (isRecord(edge) ? [{ ...edge, from, to }] : []))
          : [],
      )
    : [];
  const blocked = pairs.filter((p) => p.verdict === "blocked");
  if (blocked.length > 0) {
    lines.push(
      "",
      "Blocked edges:",
      "",
      ...table(
        ["from", "to", "hop", "reason"],
        blocked.map((p) => [p.from, p.to, p.blockedAt, p.reason]),
      ),
    );
  }
  const scenarios = (Array.isArray(traffic.scenarios) ? traffic.scenarios : []).filter(isRecord);
  if (scenarios.length > 0) {
    const outcome = (c: Record<string, unknown>): string =>
      c.verdict === "reachable"
        ? `${String(c.from)} → ${String(c.to)} served by ${String(c.instance ?? c.servedBy)}${c.via === "gateways" ? " via the gateways" : ""}`
        : `${String(c.from)} → ${String(c.to)} blocked at ${String(c.blockedAt)}`;
    lines.push(
      "",
      "Failure scenarios:",
      "",
      ...table(
        ["down", "what changes"],
        scenarios.map((s) => {
          // instance-down lists every local edge (the failover path), then what else changed; the others what changed.
          const failover = (Array.isArray(s.failover) ? s.failover : []).filter(isRecord);
          const seen = new Set(failover.map((e) => `${String(e.from)}→${String(e.to)}`));
          const changed = (Array.isArray(s.changed) ? s.changed : [])
            .filter(isRecord)
            .filter((e) => !seen.has(`${String(e.from)}→${String(e.to)}`));
          const edges = [...failover, ...changed];
          const notes = (Array.isArray(s.notes) ? s.notes : []).map(String);
          const down = Array.isArray(s.down) ? s.down.map(String) : [String(s.down)];
          const what =
            s.kind === "instance-down"
              ? `${String(s.service)}: ${String(s.step)} down (${down.map((d) => d.split("/").at(-1)).join(", ")})`
              : down.join(", ");
          return [`${String(s.kind)} ${what}`, [...edges.map(outcome), ...notes].join("; ") || "nothing"];
        }),
      ),
    );
  }
  const violations = (Array.isArray(traffic.violations) ? traffic.violations : []).filter(isRecord);
  lines.push("", violations.length === 0 ? "Traffic equals the intentions, failover included." : "Violations:");
  for (const v of violations) lines.push(`- ${cell(v.message)}`);
  return lines;
}

function trafficLines(traffic: unknown): string[] {
  if (traffic === undefined) return [];
  const matrix = trafficMatrix(traffic);
  if (!matrix)
    return ["### Traffic matrix", "", "`traffic.json` is in the render (its shape is not one this summary reads)."];
  const sources = Object.keys(matrix).sort(compareStrings);
  const destinations = [...new Set(sources.flatMap((s) => Object.keys(matrix[s] ?? {})))].sort(compareStrings);
  return [
    "### Traffic matrix",
    "",
    ...table(
      ["from \\ to", ...destinations],
      sources.map((s) => [s, ...destinations.map((d) => matrix[s]?.[d] ?? "")]),
    ),
    ...(isRecord(traffic) && (isRecord(traffic.callers) || Array.isArray(traffic.pairs))
      ? [
          "",
          "✅ reachable · ❌ blocked · `·` no outbound listener (no upstream declared)",
          ...trafficDetailLines(traffic),
        ]
      : []),
  ];
}

export function formatRenderMarkdown(
  summary: RenderSummary,
  exitCode: number,
  report: PolicyReport | undefined,
  extras: MarkdownExtras = {},
): string {
  const sections: string[][] = [
    [
      `## lucid-mesh render: stack \`${summary.stack}\` (environment ${summary.environment})`,
      "",
      `**Result:** ${verdict(exitCode)}`,
    ],
    resourceLines(summary),
    policyLines(summary, report),
    validationLines(summary),
    renewalLines(summary),
    trafficLines(extras.traffic),
    extras.topology ? ["### Topology", "", "```mermaid", extras.topology.replace(/\n$/, ""), "```"] : [],
  ];
  return `${sections
    .filter((s) => s.length > 0)
    .map((s) => s.join("\n"))
    .join("\n\n")}\n`;
}

function readIfPresent(file: string): string | undefined {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
}

/** The summary of a finished render, with topology.mmd and traffic.json (if any) read from its folder. */
export function renderMarkdown(result: RenderResult): string {
  const trafficText = readIfPresent(path.join(result.outDir, "traffic.json"));
  const topology = readIfPresent(path.join(result.outDir, "topology.mmd"));
  return formatRenderMarkdown(result.summary, result.exitCode, result.policy, {
    ...(topology !== undefined ? { topology } : {}),
    ...(trafficText !== undefined ? { traffic: JSON.parse(trafficText) as unknown } : {}),
  });
}
