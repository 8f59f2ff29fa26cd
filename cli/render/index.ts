/**
 * The offline render: run the program for a stack under mocks, write what it would deploy, check it, and report.
 * `renderStack` is the whole pipeline (the CLI and the benchmark call it); the phases are exported for timing.
 */
import * as pulumi from "@pulumi/pulumi";
import { envoyFileSets } from "../../artifacts/envoy";
import { compareStrings, type Mesh } from "../../model/mesh";
import { fromRecorded } from "../../simulate/policyRunner";
import type { RecordedResource } from "../../simulate/recorder";
import { simulateRenewals, simulateStack } from "../../simulate/stack";
import {
  isForbiddenRestart,
  MUST_NOT_RESTART,
  isWorkloadRestart,
  staleMessage,
  replayingTlsModels,
  type RenewalReport,
  type TlsResults,
} from "../../simulate/renewal";
import { tlsModels } from "../../simulate/tls";
import { meshConfigValue as stackMeshConfig } from "../../model/stackFile";
import { systemModels } from "../../simulate/providers";
import { checkSystems, secondUp, type PlannedChange, type SystemFinding } from "../../simulate/system";
import { trafficReport, type TrafficReport } from "../../simulate/traffic";
import { trafficFile, trafficIssue } from "./traffic";
import { collectGarbage } from "./memory";
import {
  clusterResolver,
  consulArtifacts,
  envoyArtifacts,
  envoySetDirectories,
  kubernetesArtifacts,
  observabilityArtifacts,
  pkiArtifacts,
  type Artifacts,
} from "./artifacts";
import { checkEnvoySets, checkKubernetesObjects } from "./checks";
import { planFromResources, planJsonPieces } from "./plan";
import { displayPath, emptySummary, isBadInput, readRenderInput, type RenderInput } from "./input";
import { hasMandatory, policyCount, policyReport, policyResources, runPolicies } from "./policy";
import { hasPem } from "./redact";
import { topologyMermaid } from "./topology";
import type {
  ArtifactIssue,
  ExitCode,
  OmittedFile,
  OutputFile,
  Plan,
  PolicyReport,
  ProgressFn,
  RenderResult,
  RenderTimings,
} from "./types";
import { commitOutputDir, discardOutputDir, prepareOutputDir, writeFiles } from "./write";

export * from "./types";
export { planFromRecorder, planFromResources, planJson, planJsonPieces, parsePlan, PlanError } from "./plan";
export { topologyMermaid } from "./topology";
export { writeArtifacts, buildManifest, MANIFEST_FILE, type Manifest, type ManifestEntry } from "./write";
export { checkEnvoySets, checkKubernetesObjects } from "./checks";
export { runPolicies, policyReport, policyResources, loadPolicyConfig, defaultPolicyConfigFile } from "./policy";
export { gatePlan, readPlan, resourcesFromPlan, type GateOptions, type GateResult } from "./gate";
export { clusterResolver, envoyArtifacts, kubernetesArtifacts, consulArtifacts, pkiArtifacts } from "./artifacts";

export interface RenderOptions {
  /** Directory holding Pulumi.yaml and Pulumi.<stack>.yaml. */
  readonly projectDir: string;
  readonly stack: string;
  /** A stack config file of the same shape as Pulumi.<stack>.yaml, read instead of it. */
  readonly configFile?: string;
  /** Replaced atomically by the render. */
  readonly outDir: string;
  /** Policy pack config; default policies/config/dev.json for a dev mesh, prod.json otherwise. */
  readonly policyConfigFile?: string;
  readonly onProgress?: ProgressFn;
  /** Simulate a renewal of each certificate kind for drift.json (one more run of the program each). @default true */
  readonly renewals?: boolean;
}

/** The program failed under simulation: a config value validation let through, or a bug. Names the resource. */
export class SimulationError extends Error {
  constructor(cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `the program failed while declaring the stack's resources: ${reason.replace(/\s+$/, "")}. ` +
        "Fix: check the config values this resource is built from; if they look right, report it with the output of LUCID_MESH_DEBUG=1",
    );
    this.name = "SimulationError";
    this.cause = cause;
  }
}

/** Errors that mean bad input: exit 2 with their message alone. */
export function isInputError(error: unknown): error is Error {
  return isBadInput(error) || error instanceof SimulationError || error instanceof pulumi.RunError;
}

/** Once a simulation has failed, its program's remaining rejections are echoes of that failure: not crashes. */
let ignoreEchoes = false;
const ignoreEcho = (): void => {};

/**
 * Runs the simulation and turns any failure inside it into a SimulationError, including a rejection the program
 * leaves unhandled (a failed resource registration surfaces that way from inside the SDK), which would otherwise
 * end the process with a stack trace.
 */
async function simulateSafely<T>(run: () => Promise<T>): Promise<T> {
  let onStray: (reason: unknown) => void = () => {};
  const stray = new Promise<never>((_, reject) => (onStray = reject));
  process.on("unhandledRejection", onStray);
  try {
    return await Promise.race([run(), stray]);
  } catch (error) {
    if (!ignoreEchoes) process.on("unhandledRejection", ignoreEcho);
    ignoreEchoes = true;
    throw error instanceof SimulationError ? error : new SimulationError(error);
  } finally {
    process.off("unhandledRejection", onStray);
  }
}

function countBy(keys: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => compareStrings(a, b)));
}

function countByType(resources: readonly RecordedResource[]): Record<string, number> {
  return countBy(resources.map((r) => r.type));
}

/** A real system's refusal as the render reports it: the system's own message, then the rule's source. */
function findingIssue(f: SystemFinding): ArtifactIssue {
  return { subject: f.subject, message: `${f.system} refuses: ${f.message} [${f.rule}; ${f.source}]` };
}

function restartIssues(report: RenewalReport): ArtifactIssue[] {
  return [
    ...report.restarts
      .filter((r) => isForbiddenRestart(report.kind, r))
      .map((r) => ({
        subject: r.urn,
        message: `a ${report.kind} renewal (${report.certificate}) restarts this ${r.role}: ${r.why}`,
      })),
    ...report.stale.map((s) => ({ subject: s, message: staleMessage(report, s) })),
  ];
}

function changeIssue(c: PlannedChange): ArtifactIssue {
  return {
    subject: c.urn,
    message: `a second up would ${c.action} it: ${c.properties.join(", ")} read back differently`,
  };
}

export interface RenderFilesInput {
  readonly plan: Plan;
  readonly mesh: Mesh;
  readonly resources: readonly RecordedResource[];
  readonly outputsOf: (urn: string) => Record<string, unknown> | undefined;
  readonly report: PolicyReport;
  /** The simulated second `up` (and, later, renewals), written to drift.json. */
  readonly drift: { readonly secondUp: readonly PlannedChange[]; readonly renewals: readonly RenewalReport[] };
  /** The traffic walk, written to traffic.json. */
  readonly traffic?: TrafficReport;
}

/** Every file of the render except manifest.json, and the files deliberately left out. */
export function renderFiles(input: RenderFilesInput): { files: OutputFile[]; omitted: OmittedFile[] } {
  const clusterOf = clusterResolver(input.resources, input.mesh);
  const parts: Artifacts[] = [
    envoyArtifacts(input.resources),
    kubernetesArtifacts(input.resources, clusterOf),
    consulArtifacts(input.resources, clusterOf),
    pkiArtifacts(input.resources, input.outputsOf),
    observabilityArtifacts(input.mesh),
  ];
  const report = `${JSON.stringify(input.report, null, 2)}\n`;
  return {
    files: [
      { path: "plan.json", pieces: () => planJsonPieces(input.plan) },
      { path: "policy-report.json", content: report, certificateMaterial: hasPem(report) },
      { path: "topology.mmd", content: topologyMermaid(input.mesh), certificateMaterial: false },
      { path: "drift.json", content: `${JSON.stringify(input.drift, null, 2)}\n`, certificateMaterial: false },
      ...(input.traffic ? [trafficFile(input.traffic)] : []),
      ...parts.flatMap((p) => p.files),
    ],
    omitted: parts.flatMap((p) => p.omitted),
  };
}

/** Runs the whole render. Bad input returns exit code 2 with `error` set and writes nothing. */
export async function renderStack(opts: RenderOptions): Promise<RenderResult> {
  const progress: ProgressFn = opts.onProgress ?? (() => {});
  const started = performance.now();
  const timings: RenderTimings = { simulate: 0, write: 0, validate: 0, policy: 0, total: 0 };
  const fail = (error: Error): RenderResult => ({
    exitCode: 2,
    summary: emptySummary(opts.stack),
    outDir: opts.outDir,
    error: error.message,
  });

  // Input first: a bad stack file or config fails before anything is simulated or written.
  let input: RenderInput;
  try {
    input = readRenderInput(opts);
  } catch (error) {
    if (isInputError(error)) return fail(error);
    throw error;
  }
  const { mesh, policyConfigFile, policyConfig } = input;

  // Created just before the (synchronous) writes and removed on every path out of them.
  let tempDir: string | undefined;
  try {
    let t = performance.now();
    progress(0, 1, "simulate");
    const tlsResults: TlsResults = new Map();
    const simulated = await simulateSafely(() =>
      simulateStack(opts.projectDir, opts.stack, opts.configFile, {
        tlsModels: replayingTlsModels(tlsModels, tlsResults),
      }),
    );
    const { recorder, outputs, stackFile } = simulated;
    const resources = recorder.resources;
    progress(1, 1, "simulate");
    // A split part's renewals would re-run every stack before it; its render reports none (docs/split-stacks.md).
    const renewals =
      opts.renewals === false || simulated.part
        ? []
        : await simulateSafely(() =>
            simulateRenewals(opts.stack, stackMeshConfig(stackFile), { resources, tls: tlsResults }),
          );
    tlsResults.clear();
    timings.simulate = Math.round(performance.now() - t);
    collectGarbage();

    t = performance.now();
    const sets = envoyFileSets(resources);
    const validateTotal = sets.length + 1;
    progress(0, validateTotal, "validate");
    const envoy = checkEnvoySets(sets, envoySetDirectories(sets), (done) => {
      if (done % 25 === 0) progress(done, validateTotal, "validate");
    });
    const kubernetes = checkKubernetesObjects(resources);
    const deployment = { resources, outputsOf: (urn: string) => recorder.outputs.get(urn) };
    // A split part is checked against every stack of its mesh (a gateway dials another cluster's), but reports only
    // the refusals of its own resources: the others are their stacks' to report.
    const ownUrns = new Set(resources.map((r) => r.urn));
    const findings = checkSystems(systemModels, simulated.wholeMesh ?? deployment).filter(
      (f) => !simulated.wholeMesh || !f.subject.startsWith("urn:pulumi:") || ownUrns.has(f.subject),
    );
    const changes = secondUp(systemModels, deployment);
    // Calls cross clusters: a split part's walk runs over every stack of its mesh, as they run together.
    const traffic = trafficReport(simulated.wholeMesh ?? deployment);
    timings.validate = Math.round(performance.now() - t);
    progress(validateTotal, validateTotal, "validate");
    collectGarbage();

    t = performance.now();
    progress(0, policyCount(), "policy");
    const underTest = policyResources(resources.map(fromRecorded), stackFile.project, opts.stack, outputs);
    const violations = await runPolicies(underTest, policyConfig);
    const report = policyReport(violations, underTest, displayPath(opts.projectDir, policyConfigFile));
    timings.policy = Math.round(performance.now() - t);
    progress(policyCount(), policyCount(), "policy");
    collectGarbage();

    t = performance.now();
    const plan = planFromResources(resources, {
      project: stackFile.project,
      stack: opts.stack,
      environment: mesh.environment,
      outputs,
    });
    const { files, omitted } = renderFiles({
      plan,
      mesh,
      resources,
      outputsOf: (urn) => recorder.outputs.get(urn),
      report,
      drift: { secondUp: changes, renewals },
      traffic,
    });
    progress(0, files.length, "write");
    tempDir = prepareOutputDir(opts.outDir);
    writeFiles(tempDir, files, omitted);
    commitOutputDir(tempDir, opts.outDir);
    timings.write = Math.round(performance.now() - t);
    progress(files.length, files.length, "write");
    timings.total = Math.round(performance.now() - started);

    const issues: ArtifactIssue[] = [
      ...envoy.errors,
      ...kubernetes.errors,
      ...findings.map(findingIssue),
      ...changes.map(changeIssue),
      ...renewals.flatMap(restartIssues),
      ...traffic.violations.map(trafficIssue),
    ];
    const mandatory = report.byLevel.mandatory ?? 0;
    const exitCode: ExitCode = issues.length > 0 || hasMandatory(report) ? 1 : 0;
    return {
      exitCode,
      outDir: opts.outDir,
      policy: report,
      resources,
      summary: {
        project: stackFile.project,
        stack: opts.stack,
        environment: mesh.environment,
        resources: { total: resources.length, byType: countByType(resources) },
        envoy: {
          configSets: envoy.configSets,
          files: envoy.files,
          errors: envoy.errors.length,
          warnings: envoy.warnings,
        },
        kubernetes: { objects: kubernetes.objects, errors: kubernetes.errors.length },
        systems: { findings: findings.length, bySystem: countBy(findings.map((f) => f.system)) },
        traffic: {
          withUpstream: traffic.counts.withUpstream,
          reachable: traffic.counts.reachable,
          blocked: traffic.counts.blocked,
          scenarios: traffic.counts.scenarios,
          violations: traffic.counts.violations,
        },
        renewals: renewals.map((r) => ({
          kind: r.kind,
          certificate: r.certificate,
          replaced: r.replaced.length,
          updated: r.updated.length,
          restarts: r.restarts.filter(isWorkloadRestart).length,
          writersRerun: r.restarts.filter((x) => !isWorkloadRestart(x)).length,
          envoyOrConsulRestarts: r.restarts.filter((x) => MUST_NOT_RESTART.has(x.role)).length,
        })),
        secondUp: {
          updates: changes.filter((c) => c.action === "update").length,
          replacements: changes.filter((c) => c.action === "replace").length,
        },
        policy: { total: report.total, mandatory, byRule: report.byRule },
        issues: issues.slice(0, 50),
        files: files.length + 1,
        timingsMs: timings,
      },
    };
  } catch (error) {
    if (tempDir !== undefined) discardOutputDir(tempDir);
    if (isInputError(error)) return fail(error);
    throw error;
  }
}
