/**
 * Runs the policy pack over a set of resources (recorded, or rebuilt from plan.json) with a pack config file, and
 * turns the violations into policy-report.json.
 */
import type { PolicyPackConfig } from "@pulumi/policy";
import { optionsFromPackConfig, runPack, type ResourceUnderTest, type Violation } from "../../simulate/policyRunner";
import { allPolicies } from "../../policies/rules";
import { compareStrings } from "../../model/mesh";
import type { PolicyReport, PolicyViolationRecord } from "./types";

export { checkPolicyTrustDomain, defaultPolicyConfigFile, loadPolicyConfig, PolicyConfigError } from "./input";

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
