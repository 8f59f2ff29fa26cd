/**
 * The render's input, read and checked before anything is simulated: the stack file, the mesh config, the policy
 * config and the output directory. Free of the Pulumi SDK, so the command refuses bad input without loading the
 * program (a second, not ten, on a loaded machine).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyPackConfig } from "@pulumi/policy";
import { parsePackConfig } from "../../policies/lib/packConfig";
import { allPolicies } from "../../policies/rules";
import type { Mesh } from "../../model/mesh";
import { MeshConfigError } from "../../model/validate";
import { readStackFile, StackFileError } from "../../model/stackFile";
import { stackMesh } from "../../model/partStackFile";
import { checkOutputDir, OutputDirError } from "./outputDir";
import type { RenderSummary } from "./types";

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

export interface RenderInputOptions {
  readonly projectDir: string;
  readonly stack: string;
  readonly configFile?: string;
  readonly outDir: string;
  readonly policyConfigFile?: string;
}

export interface RenderInput {
  readonly mesh: Mesh;
  readonly policyConfigFile: string;
  readonly policyConfig: PolicyPackConfig;
}

/** A path relative to the project when inside it, for messages and the report. */
export function displayPath(projectDir: string, file: string): string {
  const relative = path.relative(projectDir, file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative.split(path.sep).join("/");
}

/** Reads and checks everything the render takes; throws a bad-input error (see isBadInput) naming the fix. */
export function readRenderInput(opts: RenderInputOptions): RenderInput {
  // A part of a split mesh (lucid-mesh:part) brings the shared model of Pulumi.<env>.yaml.
  const { mesh } = stackMesh(opts.projectDir, readStackFile(opts.projectDir, opts.stack, opts.configFile));
  const policyConfigFile = opts.policyConfigFile ?? defaultPolicyConfigFile(opts.projectDir, mesh.environment);
  const policyConfig = loadPolicyConfig(policyConfigFile);
  checkPolicyTrustDomain(policyConfig, displayPath(opts.projectDir, policyConfigFile), mesh.trustDomain);
  // Checked again before the swap; here so a wrong --out fails before any work is done.
  checkOutputDir(opts.outDir);
  return { mesh, policyConfigFile, policyConfig };
}

/** The input errors readRenderInput throws: exit 2 with their message alone. */
export function isBadInput(error: unknown): error is Error {
  return (
    error instanceof StackFileError ||
    error instanceof MeshConfigError ||
    error instanceof PolicyConfigError ||
    error instanceof OutputDirError
  );
}

/** The summary of a render that did not run. */
export function emptySummary(stack: string): RenderSummary {
  return {
    project: "",
    stack,
    environment: "",
    resources: { total: 0, byType: {} },
    envoy: { configSets: 0, files: 0, errors: 0, warnings: 0 },
    kubernetes: { objects: 0, errors: 0 },
    systems: { findings: 0, bySystem: {} },
    secondUp: { updates: 0, replacements: 0 },
    renewals: [],
    policy: { total: 0, mandatory: 0, byRule: {} },
    issues: [],
    files: 0,
    timingsMs: { simulate: 0, write: 0, validate: 0, policy: 0, total: 0 },
  };
}
