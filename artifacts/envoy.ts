/**
 * The Envoy files exactly as they would be deployed, read back from the registered resources: Docker container
 * uploads, or Kubernetes ConfigMaps and Secrets. Render, tests and the benchmark check these, not the generator.
 *
 * Which file a resource holds, and at which path, is read by the policy pack's `envoyFilesOf`: the pack must stand
 * alone (it is published from policies/ by itself), so the one reader of the resource contract lives there and the
 * render uses it too. This module only groups the files by workload.
 */
import { envoyFilesOf } from "../policies/lib/envoyArtifacts";
import { MESH_GATEWAY_SERVICE, meshLabelKeys } from "../model/names";
import type { RecordedResource } from "../simulate/recorder";
import { resourceLabels } from "./labels";

export interface EnvoyFileSet {
  readonly cluster: string;
  /** The service, or `mesh-gateway`. */
  readonly workload: string;
  /** The container or object the files came from. */
  readonly source: string;
  /** Path inside the proxy's filesystem → content. */
  readonly files: Readonly<Record<string, string>>;
}

// Docker: the files are uploaded to the writer that fills the Envoy container's volumes (role envoy-config, or the
// gateway's); the Envoy container itself carries none and is skipped.
const ENVOY_ROLES = new Set(["sidecar", "gateway", "envoy-config"]);

function fromDocker(resource: RecordedResource): EnvoyFileSet | undefined {
  const labels = resourceLabels(resource);
  if (!ENVOY_ROLES.has(labels[meshLabelKeys.role] ?? "")) return undefined;
  const files = Object.fromEntries(filesOf(resource));
  if (Object.keys(files).length === 0) return undefined;
  return {
    cluster: labels[meshLabelKeys.cluster] ?? "",
    workload: labels[meshLabelKeys.service] ?? MESH_GATEWAY_SERVICE,
    source: String(resource.inputs.name ?? resource.name),
    files,
  };
}

function filesOf(resource: RecordedResource): Map<string, string> {
  return envoyFilesOf({ type: resource.type, props: resource.inputs });
}

/** Every Envoy file set in a recorded program run, in a stable order. */
export function envoyFileSets(resources: readonly RecordedResource[]): EnvoyFileSet[] {
  const sets: EnvoyFileSet[] = [];
  for (const r of resources) {
    if (r.type === "docker:index/container:Container") {
      const set = fromDocker(r);
      if (set) sets.push(set);
    }
  }
  // Kubernetes: the config map (role envoy-config, or the gateway's) plus the matching certificate Secret.
  const secrets = resources.filter((r) => r.type === "kubernetes:core/v1:Secret");
  for (const r of resources) {
    if (r.type !== "kubernetes:core/v1:ConfigMap") continue;
    const labels = resourceLabels(r);
    const role = labels[meshLabelKeys.role];
    if (role !== "envoy-config" && role !== "gateway") continue;
    const cluster = labels[meshLabelKeys.cluster] ?? "";
    const service = labels[meshLabelKeys.service];
    const secret = service
      ? secrets.find((s) => {
          const l = resourceLabels(s);
          return (
            l[meshLabelKeys.role] === "sidecar" &&
            l[meshLabelKeys.service] === service &&
            l[meshLabelKeys.cluster] === cluster
          );
        })
      : undefined;
    sets.push({
      cluster,
      workload: service ?? MESH_GATEWAY_SERVICE,
      source: String((r.inputs.metadata as { name?: string } | undefined)?.name ?? r.name),
      files: Object.fromEntries([...filesOf(r), ...(secret ? filesOf(secret) : [])]),
    });
  }
  return sets.sort((a, b) => (a.cluster + a.source < b.cluster + b.source ? -1 : 1));
}

/** The files an Envoy validator should see: YAML only (PEMs are referenced, not parsed as config). */
export function configFilesOf(set: EnvoyFileSet): Array<{ path: string; content: string }> {
  return Object.entries(set.files)
    .filter(([path]) => path.endsWith(".yaml"))
    .map(([path, content]) => ({ path, content }));
}
