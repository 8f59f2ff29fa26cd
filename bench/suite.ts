/**
 * What the benchmark measures for one synthetic mesh. Two phases, so the pure phase's memory is not polluted by the
 * Pulumi runs: `measurePure` (model, Envoy generation, serialization floor, validator) and `measureSimulated`
 * (the whole program under mocks, then the render CLI's phases over what it registered: validate the deployed
 * Envoy sets, the policy pack, artifacts in memory and written; deployed bytes incl. SDS).
 */
import { systemModels } from "../simulate/providers";
import { secondUp } from "../simulate/system";
import { dump } from "js-yaml";
import { envoyFileSets } from "../artifacts/envoy";
import { gatewayConfig, gatewayFiles, sdsFiles, sidecarConfig, sidecarFiles, type EnvoyConfigObjects } from "../envoy";
import { validateConfigSetSync, type ConfigFile } from "../envoy/validator";
import { YAML_DUMP_OPTIONS } from "../model/yaml";
import { allInstances, parseMeshConfig, type Mesh } from "../model";
import { envoyFiles } from "../model/names";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { rootCertificates } from "node:tls";
import { join } from "node:path";
import {
  checkEnvoySets,
  defaultPolicyConfigFile,
  loadPolicyConfig,
  planFromResources,
  policyReport,
  policyResources,
  renderFiles,
  runPolicies,
  writeArtifacts,
} from "../cli/render";
import { envoySetDirectories } from "../cli/render/artifacts";
import { collectGarbage } from "../cli/render/memory";
import { fromRecorded } from "../simulate/policyRunner";
import { PROJECT, type RecordedResource } from "../simulate/recorder";
import { simulateMesh } from "../simulate/stack";
import { measureSdkFloor } from "./sdkFloor";
import { syntheticMeshConfig, type SyntheticPlatform } from "./syntheticMesh";
import { measureTrafficWalk, type TrafficWalkResult } from "./trafficWalk";
import { max, mean, peakRssMb, repeatSync, RssSampler, timeAsync, timeSync } from "./measure";

export interface BenchOptions {
  readonly platform: SyntheticPlatform;
  readonly upstreams: number;
  /** Timed repetitions of the render and the floor; the first render is also kept (cold). */
  readonly runs: number;
  readonly validate: boolean;
}

export interface ByteStats {
  readonly total: number;
  readonly max: number;
  readonly mean: number;
}

export interface PureResult {
  readonly services: number;
  readonly sidecars: number;
  readonly gateways: number;
  readonly upstreamsPerService: number;
  readonly parseMs: number;
  /** sidecarFiles for every sidecar + gatewayFiles for every cluster: build objects, sort, dump. Every run. */
  readonly renderRunsMs: readonly number[];
  /** js-yaml dump of the same, already built objects. Every run. */
  readonly floorRunsMs: readonly number[];
  /** Building the objects only (sidecarConfig/gatewayConfig). */
  readonly buildMs: number;
  readonly validateMs: number | undefined;
  readonly validationErrors: number | undefined;
  readonly validationWarnings: number | undefined;
  /** bootstrap + listener + cluster YAML of each sidecar. */
  readonly sidecarBytes: ByteStats;
  readonly gatewayBytes: number;
  /** Sidecars and gateways. */
  readonly totalBytes: number;
  readonly rssPeakMb: number;
  readonly processPeakRssMb: number;
}

/** toYaml's own layout options (without its key sort), so the floor writes the same shape of text. */
const DUMP_OPTIONS = YAML_DUMP_OPTIONS;

function byteStats(sizes: readonly number[]): ByteStats {
  return { total: sizes.reduce((a, b) => a + b, 0), max: max(sizes), mean: mean(sizes) };
}

function filesBytes(files: Readonly<Record<string, string>>): number {
  let bytes = 0;
  for (const content of Object.values(files)) bytes += Buffer.byteLength(content);
  return bytes;
}

/** The Envoy artifact render the program does: every sidecar's files and every gateway's. */
function renderEnvoy(mesh: Mesh): { sidecars: Array<Record<string, string>>; gateways: Array<Record<string, string>> } {
  return {
    sidecars: allInstances(mesh).map((instance) => sidecarFiles(mesh, instance)),
    gateways: mesh.clusters.map((cluster) => gatewayFiles(mesh, cluster.name)),
  };
}

function buildObjects(mesh: Mesh): EnvoyConfigObjects[] {
  return [
    ...allInstances(mesh).map((instance) => sidecarConfig(mesh, instance)),
    ...mesh.clusters.map((cluster) => gatewayConfig(mesh, cluster.name)),
  ];
}

/** The floor: nothing but js-yaml's dump over objects that already exist. */
function serializeOnly(objects: readonly EnvoyConfigObjects[]): number {
  let length = 0;
  for (const o of objects) {
    length += dump(o.bootstrap, DUMP_OPTIONS).length;
    length += dump(o.listeners, DUMP_OPTIONS).length;
    length += dump(o.clusters, DUMP_OPTIONS).length;
  }
  return length;
}

/**
 * A sidecar's SDS files, so the validator sees whole sets as the render's check does (and follows every SDS
 * reference). The pure phase has no certificates: Node's first bundled root CA stands in for the chain and the
 * bundle. The validator checks the files' structure, not the certificate; the render checks the real ones.
 */
const STAND_IN_SDS: readonly ConfigFile[] = Object.entries(
  sdsFiles({ certificateChainPem: rootCertificates[0]!, trustBundlePem: rootCertificates[0]! }),
).map(([name, content]) => ({ path: `${envoyFiles.secretsDirectory}/${name}`, content }));

function configSet(files: Readonly<Record<string, string>>): ConfigFile[] {
  return [
    ...Object.entries(files).map(([name, content]) => ({ path: `${envoyFiles.directory}/${name}`, content })),
    ...STAND_IN_SDS,
  ];
}

export function measurePure(services: number, options: BenchOptions): PureResult {
  const sampler = new RssSampler().start();
  const raw = syntheticMeshConfig({ services, upstreamsPerService: options.upstreams, platform: options.platform });
  const parsed = timeSync(() => parseMeshConfig(raw));
  // Each run renders from a fresh Mesh object, so memoised lookups are rebuilt and paid for in every run.
  const freshMesh = (): Mesh => parseMeshConfig(raw);
  const renders: number[] = [];
  let rendered: ReturnType<typeof renderEnvoy> | undefined;
  for (let i = 0; i < Math.max(1, options.runs); i++) {
    const mesh = freshMesh();
    const timed = timeSync(() => renderEnvoy(mesh));
    renders.push(timed.ms);
    rendered = timed.value;
    sampler.sample();
  }
  if (!rendered) throw new Error("measurePure: nothing rendered");
  const { sidecars, gateways } = rendered;
  const built = timeSync(() => buildObjects(freshMesh()));
  const floor = repeatSync(options.runs, () => serializeOnly(built.value));
  sampler.sample();

  let validateMs: number | undefined;
  let errors: number | undefined;
  let warnings: number | undefined;
  if (options.validate) {
    const validated = timeSync(() => sidecars.map((files) => validateConfigSetSync(configSet(files))));
    validateMs = validated.ms;
    const issues = validated.value.flat();
    errors = issues.filter((i) => i.severity === "error").length;
    warnings = issues.length - errors;
  }
  const sidecarBytes = byteStats(sidecars.map(filesBytes));
  const gatewayBytes = gateways.map(filesBytes).reduce((a, b) => a + b, 0);
  return {
    services,
    sidecars: sidecars.length,
    gateways: gateways.length,
    upstreamsPerService: options.upstreams,
    parseMs: parsed.ms,
    renderRunsMs: renders,
    floorRunsMs: floor.runsMs,
    buildMs: built.ms,
    validateMs,
    validationErrors: errors,
    validationWarnings: warnings,
    sidecarBytes,
    gatewayBytes,
    totalBytes: sidecarBytes.total + gatewayBytes,
    rssPeakMb: sampler.stop(),
    processPeakRssMb: peakRssMb(),
  };
}

// ---- The simulated phase ----

const PROJECT_DIR = join(__dirname, "..");
const STACK = "bench";

export interface SimulatedResult {
  readonly services: number;
  readonly simulateMs: number;
  readonly resources: number;
  readonly customResources: number;
  readonly components: number;
  readonly instances: number;
  readonly resourcesPerSecond: number;
  /** The render's policy phase: every rule with the dev pack config over every resource plus the root stack. */
  readonly policyMs: number;
  readonly policyMsPerResource: number;
  /** The render's validate phase: checkEnvoySets over every deployed file set (sidecars and gateways). */
  readonly renderValidateMs: number;
  readonly renderValidateErrors: number;
  /** The render's artifacts: plan + every file (renderFiles), in memory. */
  readonly artifactBuildMs: number;
  /** Writing them atomically to a temporary directory (writeArtifacts). */
  readonly artifactWriteMs: number;
  readonly artifactFiles: number;
  readonly artifactBytes: number;
  readonly violations: number;
  readonly mandatoryViolations: number;
  /** Deployed sidecar files read back from the registered resources. */
  readonly deployedConfigBytes: ByteStats;
  /** The same plus certificate.yaml and trust-bundle.yaml (which embed PEMs). */
  readonly deployedWithSdsBytes: ByteStats;
  readonly rssPeakMb: number;
  readonly processPeakRssMb: number;
  /** The same number of trivial resources registered under mocks by the SDK alone (bench/sdkFloor.ts). */
  readonly sdkFloorMs: number;
  /** How Pulumi was run: see `simulateSettings`. */
  readonly settings: string;
  /** The traffic walk over the same deployment (bench/trafficWalk.ts). */
  readonly traffic: TrafficWalkResult;
}

export interface SimulateSettings {
  /** Keep Pulumi's per-promise stack traces (slow: one Error().stack per promise, source-mapped under tsx). */
  readonly pulumiStackTraces: boolean;
}

function deployedSidecarBytes(resources: readonly RecordedResource[]): { config: ByteStats; withSds: ByteStats } {
  const config: number[] = [];
  const withSds: number[] = [];
  const configPrefix = `${envoyFiles.directory}/`;
  const sdsFiles = new Set([
    `${envoyFiles.secretsDirectory}/${envoyFiles.certificateSds}`,
    `${envoyFiles.secretsDirectory}/${envoyFiles.trustBundleSds}`,
  ]);
  for (const set of envoyFileSets(resources)) {
    if (set.workload === "mesh-gateway") continue;
    let own = 0;
    let sds = 0;
    for (const [path, content] of Object.entries(set.files)) {
      if (path.startsWith(configPrefix) && path.endsWith(".yaml")) own += Buffer.byteLength(content);
      else if (sdsFiles.has(path)) sds += Buffer.byteLength(content);
    }
    config.push(own);
    withSds.push(own + sds);
  }
  return { config: byteStats(config), withSds: byteStats(withSds) };
}

export async function measureSimulated(
  services: number,
  options: BenchOptions,
  settings: SimulateSettings,
): Promise<SimulatedResult> {
  const raw = syntheticMeshConfig({ services, upstreamsPerService: options.upstreams, platform: options.platform });
  const mesh = parseMeshConfig(raw);
  const sampler = new RssSampler().start();
  const simulated = await timeAsync(() => simulateMesh("bench", raw, { sdkDebugAids: settings.pulumiStackTraces }));
  const { recorder, outputs } = simulated.value;
  const resources = recorder.resources;
  sampler.sample();

  // The render CLI's phases (cli/render), in its order, over what the program registered, with its full
  // collections between phases (cli/render/memory.ts).
  collectGarbage();
  const sets = envoyFileSets(resources);
  const validated = timeSync(() => checkEnvoySets(sets, envoySetDirectories(sets)));
  collectGarbage();
  const underTest = policyResources(resources.map(fromRecorded), PROJECT, STACK, outputs);
  const policyConfigFile = defaultPolicyConfigFile(PROJECT_DIR, mesh.environment);
  const policyConfig = loadPolicyConfig(policyConfigFile);
  const policy = await timeAsync(() => runPolicies(underTest, policyConfig));
  sampler.sample();
  collectGarbage();
  const report = policyReport(policy.value, underTest, policyConfigFile);
  const built = timeSync(() => {
    const plan = planFromResources(resources, {
      project: PROJECT,
      stack: STACK,
      environment: mesh.environment,
      outputs,
    });
    const outputsOf = (urn: string): Record<string, unknown> | undefined => recorder.outputs.get(urn);
    const drift = { secondUp: secondUp(systemModels, { resources, outputsOf }), renewals: [] };
    return renderFiles({ plan, mesh, resources, outputsOf, report, drift });
  });
  const outDir = mkdtempSync(join(tmpdir(), "lucid-bench-render-"));
  const written = timeSync(() => writeArtifacts(join(outDir, "render"), built.value.files, built.value.omitted));
  rmSync(outDir, { recursive: true, force: true });
  sampler.sample();
  const traffic = measureTrafficWalk({ resources, outputsOf: (urn) => recorder.outputs.get(urn) });
  sampler.sample();
  const bytes = deployedSidecarBytes(resources);
  const custom = resources.filter((r) => r.custom).length;
  const rssPeakMb = sampler.stop();
  const processPeakRssMb = peakRssMb();
  // Last: it installs its own mocks, and its memory must not count as the render's.
  const sdkFloorMs = await measureSdkFloor(resources.length);
  return {
    services,
    simulateMs: simulated.ms,
    resources: resources.length,
    customResources: custom,
    components: resources.length - custom,
    instances: allInstances(mesh).length,
    resourcesPerSecond: resources.length / (simulated.ms / 1000),
    policyMs: policy.ms,
    policyMsPerResource: policy.ms / Math.max(1, underTest.length),
    renderValidateMs: validated.ms,
    renderValidateErrors: validated.value.errors.length,
    artifactBuildMs: built.ms,
    artifactWriteMs: written.ms,
    artifactFiles: built.value.files.length,
    artifactBytes: written.value.files.reduce((n, f) => n + f.bytes, 0),
    violations: policy.value.length,
    mandatoryViolations: policy.value.filter((v) => v.level === "mandatory").length,
    deployedConfigBytes: bytes.config,
    deployedWithSdsBytes: bytes.withSds,
    rssPeakMb,
    processPeakRssMb,
    sdkFloorMs,
    settings: settings.pulumiStackTraces ? "SDK debug aids on" : "SDK debug aids off (simulate/sdkDebugAids.ts)",
    traffic,
  };
}
