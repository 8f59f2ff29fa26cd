/**
 * The gate: reload a plan.json, rebuild the resources with their parent and dependency links, and run the policy
 * rules again. It sees what a reviewer sees (secrets redacted), so an edited plan can be checked before deploying.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fromRecorded, type ResourceUnderTest } from "../../simulate/policyRunner";
import { danglingLinks, parsePlan, PlanError } from "./plan";
import {
  defaultPolicyConfigFile,
  hasMandatory,
  loadPolicyConfig,
  PolicyConfigError,
  policyReport,
  policyResources,
  runPolicies,
} from "./policy";
import { renderedFileProblems, type GateProblem } from "./traffic";
import type { ExitCode, Plan, PolicyReport } from "./types";

export interface GateOptions {
  readonly planFile: string;
  /** Where policies/config/ lives, for the default policy config. */
  readonly projectDir: string;
  /** Default: policies/config/dev.json when the plan's environment is dev, else prod.json. */
  readonly policyConfigFile?: string;
}

export interface GateResult {
  readonly exitCode: ExitCode;
  readonly error?: string;
  readonly resources: number;
  readonly report?: PolicyReport;
  /** What drift.json beside the plan says is wrong, and what a walk of the plan finds (either fails the gate). */
  readonly rendered?: readonly GateProblem[];
}

function displayPath(projectDir: string, file: string): string {
  const relative = path.relative(projectDir, file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative.split(path.sep).join("/");
}

/** Reads and checks a plan file; a PlanError names what is wrong. */
export function readPlan(file: string): Plan {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new PlanError(`cannot read ${file}. Fix: pass the plan.json a render wrote (out/<stack>/plan.json)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new PlanError(
      `${file}: not valid JSON (${error instanceof Error ? error.message : String(error)}). Fix: pass the plan.json a render wrote`,
    );
  }
  const plan = parsePlan(raw, file);
  const { dangling } = danglingLinks(plan);
  if (dangling.length > 0) {
    throw new PlanError(
      `${file}: parent or dependency ${dangling[0]} is not a resource of the plan. Fix: restore it or re-render`,
    );
  }
  return plan;
}

/** The plan's resources as the policy runner takes them, links by URN. */
export function resourcesFromPlan(plan: Plan): ResourceUnderTest[] {
  const resources = plan.resources.map(fromRecorded);
  return policyResources(resources, plan.project, plan.stack, plan.outputs);
}

export async function gatePlan(opts: GateOptions): Promise<GateResult> {
  let plan: Plan;
  let configFile: string;
  let config: ReturnType<typeof loadPolicyConfig>;
  try {
    plan = readPlan(opts.planFile);
    configFile = opts.policyConfigFile ?? defaultPolicyConfigFile(opts.projectDir, plan.environment);
    config = loadPolicyConfig(configFile);
  } catch (error) {
    if (error instanceof PlanError || error instanceof PolicyConfigError) {
      return { exitCode: 2, error: error.message, resources: 0 };
    }
    throw error;
  }
  const resources = resourcesFromPlan(plan);
  const report = policyReport(
    await runPolicies(resources, config),
    resources,
    displayPath(opts.projectDir, configFile),
  );
  const rendered = await renderedFileProblems(opts.planFile, plan);
  return {
    exitCode: hasMandatory(report) || rendered.length > 0 ? 1 : 0,
    resources: plan.resources.length,
    report,
    rendered,
  };
}
