/**
 * The Pulumi program: read `lucid-mesh:mesh`, validate it, build the mesh, return the stack outputs.
 * `index.ts` exports it for `pulumi up`; the offline render and the tests call it under mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import { LucidMesh } from "./components/lucidMesh";
import type { Pace } from "./components/pacing";
import { MeshConfigError, parseMeshConfig, type Mesh } from "./model";
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
  try {
    return parseMeshConfig(config.getObject<unknown>("mesh"));
  } catch (error) {
    if (error instanceof MeshConfigError) throw new pulumi.RunError(error.message);
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
}

/**
 * Declares the mesh and resolves to the stack outputs. Bad config throws here, synchronously, before any resource
 * exists; everything after validation is declared by the time the returned promise resolves.
 */
export function runMeshProgram(options: MeshProgramOptions = {}) {
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
 * switch for debugging such leaks) keeps the capture on. Bad config still throws synchronously.
 */
export function runMeshProgramUnderEngine(): ReturnType<typeof runMeshProgram> {
  if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) return runMeshProgram();
  const restore = switchOffSdkDebugAids({ callsites: false, stackTraces: false });
  try {
    return runMeshProgram().finally(restore);
  } catch (error) {
    restore();
    throw error;
  }
}
