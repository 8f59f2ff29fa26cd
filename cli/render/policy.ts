/**
 * Runs the policy pack over a set of resources (recorded, or rebuilt from plan.json) with a pack config file, and
 * turns the violations into policy-report.json.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyPackConfig } from "@pulumi/policy";
import { parsePackConfig } from "../../policies/lib/packConfig";
import { optionsFromPackConfig, runPack, type ResourceUnderTest, type Violation } from "../../policies/lib/runner";
import { allPolicies } from "../../policies/rules";
import { compareStrings } from "../../model/mesh";
import type { PolicyReport, PolicyViolationRecord } from "./types";

/** A policy config file that cannot be used. */
export class PolicyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyConfigError";
  }
}

/** policies/config/dev.json for a dev mesh, prod.json for anything else (stricter when in doubt). */
export function defaultPolicyConfigFile(projectDir: string, environment: string): string {
  return path.join(projectDir, "policies", "config", environment === "dev" ? "dev.json" : "prod.json");
}

export function loadPolicyConfig(file: string): PolicyPackConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new PolicyConfigError(`cannot read policy config ${file}. Fix: check the --policy-config path`);
  }
  try {
    return parsePackConfig(JSON.parse(text));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PolicyConfigError(`policy config ${file}: ${reason}. Fix: use the shape of policies/config/dev.json`);
  }
}

export function policyCount(): number {
  return allPolicies.length;
}

/** Every violation of the pack over `resources`, in a stable order. */
export async function runPolicies(
  resources: readonly ResourceUnderTest[],
  config: PolicyPackConfig,
): Promise<Violation[]> {
  const violations = await runPack(resources, optionsFromPackConfig(config));
  return violations.sort(
    (a, b) =>
      compareStrings(a.policy, b.policy) ||
      compareStrings(a.urn ?? "", b.urn ?? "") ||
      compareStrings(a.message, b.message),
  );
}

export function policyReport(
  violations: readonly Violation[],
  resources: readonly ResourceUnderTest[],
  policyConfig: string,
): PolicyReport {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const records: PolicyViolationRecord[] = violations.map((v) => {
    const resource = v.urn === undefined ? undefined : byUrn.get(v.urn);
    return {
      policy: v.policy,
      level: v.level,
      ...(v.urn ? { urn: v.urn } : {}),
      ...(resource ? { type: resource.type, name: resource.name } : {}),
      message: v.message,
    };
  });
  const byLevel: Record<string, number> = {};
  const byRule: Record<string, Record<string, number>> = {};
  for (const v of records) {
    byLevel[v.level] = (byLevel[v.level] ?? 0) + 1;
    const rule = (byRule[v.policy] ??= {});
    rule[v.level] = (rule[v.level] ?? 0) + 1;
  }
  return { policyConfig, total: records.length, byLevel, byRule, violations: records };
}

/** Exit status of a policy run: a mandatory violation fails it. */
export function hasMandatory(report: PolicyReport): boolean {
  return (report.byLevel.mandatory ?? 0) > 0;
}

/** What AnalyzeStack sees: every resource, plus the root stack with the program's outputs as its props. */
export function policyResources(
  resources: readonly ResourceUnderTest[],
  project: string,
  stack: string,
  outputs: Record<string, unknown>,
): ResourceUnderTest[] {
  return [
    ...resources,
    {
      type: "pulumi:pulumi:Stack",
      name: `${project}-${stack}`,
      urn: `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`,
      props: outputs,
    },
  ];
}

/** The trust domain a rule enforces under `config`: its own setting, else its schema's default; undefined if off. */
function enforcedTrustDomain(config: PolicyPackConfig, policy: (typeof allPolicies)[number]): string | undefined {
  const property = policy.configSchema?.properties?.trustDomain;
  if (property === undefined) return undefined;
  const entry = config[policy.name];
  const level = typeof entry === "string" ? entry : entry?.enforcementLevel;
  if (level === "disabled") return undefined;
  const configured = typeof entry === "object" ? (entry as Record<string, unknown>).trustDomain : undefined;
  const fallback = typeof property === "object" && "default" in property ? property.default : undefined;
  const value = configured ?? fallback;
  return typeof value === "string" ? value : undefined;
}

/**
 * The policy config pins the mesh's trust domain (it is a security setting, so the render does not copy it from
 * the stack under review). A stack with another trust domain would fail every leaf with "outside the trust
 * domain"; this says instead which two settings disagree and what to change, before anything runs.
 */
export function checkPolicyTrustDomain(config: PolicyPackConfig, file: string, trustDomain: string): void {
  const pinned = allPolicies
    .map((policy) => ({ policy: policy.name, domain: enforcedTrustDomain(config, policy) }))
    .filter((p): p is { policy: string; domain: string } => p.domain !== undefined && p.domain !== trustDomain);
  if (pinned.length === 0) return;
  const keys = pinned.map((p) => `"${p.policy}".trustDomain`).join(" and ");
  const domains = [...new Set(pinned.map((p) => p.domain))].join(", ");
  throw new PolicyConfigError(
    `the stack's trustDomain is ${trustDomain}, but policy config ${file} enforces ${domains} (${keys}). ` +
      `Fix: set ${keys} to "${trustDomain}" in ${file} (or pass --policy-config with a file that does), ` +
      `or set trustDomain: ${domains} in the stack`,
  );
}
