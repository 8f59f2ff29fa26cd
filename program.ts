/**
 * The Pulumi program: read `lucid-mesh:mesh`, validate it, build the mesh, return the stack outputs.
 * `index.ts` exports it for `pulumi up`; the offline render and the tests call it under mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import { LucidMesh } from "./components/lucidMesh";
import type { Pace } from "./components/pacing";
import { runSplitPart } from "./components/splitMesh";
import { MeshConfigError, parseMeshConfig, type Mesh } from "./model";
import { meshConfigValue, readStackFile, StackFileError } from "./model/stackFile";
import { checkPart, parsePartConfig, PART_CONFIG_KEY, type PartConfig } from "./model/stackParts";
import { switchOffSdkDebugAids } from "./simulate/sdkDebugAids";

/** A summary of the model: what the stack declares, without any secret. */
export function modelSummary(mesh: Mesh) {
  return {
    environment: mesh.environment,
    trustDomain: mesh.trustDomain,
    clusters: mesh.clusters.map((c) => ({
      name: c.name,
      platform: c.platform,
      datacenter: c.datacenter,
      consulServers: c.consul.servers,
    })),
    services: mesh.services.map((s) => ({
      name: s.name,
      protocol: s.protocol,
      clusters: s.clusters,
      instances: s.instances,
      upstreams: s.upstreams.map((u) => u.service),
    })),
  };
}

/** Reads and validates the stack config; bad input ends the program with one message and no stack trace. */
export function loadMesh(): Mesh {
  const config = new pulumi.Config("lucid-mesh");
  return asRunError(() => parseMeshConfig(config.getObject<unknown>("mesh")));
}

/** Bad input as a RunError: one message, no stack trace. */
function asRunError<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof MeshConfigError || error instanceof StackFileError) throw new pulumi.RunError(error.message);
    if (error instanceof SyntaxError) {
      throw new pulumi.RunError(
        `lucid-mesh:mesh is not valid JSON/YAML: ${error.message}. Fix: correct the stack file`,
      );
    }
    throw error;
  }
}

export interface MeshProgramOptions {
  /** Awaited between batches of declarations: the offline render's, to bound memory (components/pacing.ts). */
  readonly pace?: Pace;
  /**
   * A split mesh's shared `lucid-mesh:mesh`, when the caller has read it (the offline render). @default read from
   * `Pulumi.<env>.yaml` next to this file, as `pulumi up` of a part does
   */
  readonly sharedMesh?: unknown;
}

/** A split mesh's part (`lucid-mesh:part`), with the shared model it belongs to; undefined for a whole mesh. */
export function loadPart(options: MeshProgramOptions = {}): { config: PartConfig; mesh: Mesh } | undefined {
  const raw = new pulumi.Config("lucid-mesh").getObject<unknown>("part");
  if (raw === undefined) return undefined;
  return asRunError(() => {
    const config = parsePartConfig(raw);
    const source = `${PART_CONFIG_KEY} → lucid-mesh:mesh of Pulumi.${config.mesh}.yaml`;
    const shared = options.sharedMesh ?? meshConfigValue(readStackFile(__dirname, config.mesh));
    const mesh = parseMeshConfig(shared, source);
    checkPart(config, mesh, pulumi.getStack());
    return { config, mesh };
  });
}

/**
 * Declares the mesh and resolves to the stack outputs. Bad config throws here, synchronously, before any resource
 * exists; everything after validation is declared by the time the returned promise resolves.
 */
export function runMeshProgram(options: MeshProgramOptions = {}): Promise<Record<string, unknown>> {
  const part = loadPart(options);
  if (part) {
    return runSplitPart(part.config.mesh, part.mesh, part.config.part, { pace: options.pace }).then((outputs) => ({
      model: modelSummary(part.mesh),
      ...outputs,
    }));
  }
  const mesh = loadMesh();
  const lucidMesh = new LucidMesh("lucid", { mesh, pace: options.pace });
  return lucidMesh.declared.then(() => ({
    model: modelSummary(mesh),
    clusters: lucidMesh.clusterOutputs(),
    caCertificate: lucidMesh.ca.trustBundlePem,
    certificateInventory: lucidMesh.ca.inventory,
    ...(lucidMesh.prometheusUrl ? { prometheusUrl: lucidMesh.prometheusUrl } : {}),
  }));
}

/**
 * What `pulumi up` and `preview` run (index.ts): the program with the SDK's per-promise stack capture off while it
 * declares. For every promise it makes, the SDK keeps a `new Error().stack` string, only to name promises still
 * pending if the program exits early (@pulumi/pulumi runtime/debuggable.js); a big mesh makes millions of them. At 90
 * services without pacing this was 769 MB peak RSS and 23 s of CPU against 482 MB and 5.6 s (`npm run bench`,
 * bench/README.md). Source positions and error stack traces stay. `PULUMI_DEBUG_PROMISE_LEAKS=1` (the SDK's own
 * switch for debugging such leaks) keeps the capture on. Bad config still throws synchronously. `sharedMesh` is for
 * the bench, which runs a split part's program without its stack files.
 */
export function runMeshProgramUnderEngine(
  options: Pick<MeshProgramOptions, "sharedMesh"> = {},
): ReturnType<typeof runMeshProgram> {
  if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) return runMeshProgram(options);
  const restore = switchOffSdkDebugAids({ callsites: false, stackTraces: false });
  try {
    return runMeshProgram(options).finally(restore);
  } catch (error) {
    restore();
    throw error;
  }
}
