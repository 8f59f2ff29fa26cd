/** Reading recorded Kubernetes objects: which cluster, which namespace, and the pod templates of workloads. */
import type { RecordedResource } from "../recorder";

export type Obj = Record<string, unknown>;

export const K8S = {
  configMap: "kubernetes:core/v1:ConfigMap",
  secret: "kubernetes:core/v1:Secret",
  service: "kubernetes:core/v1:Service",
  namespace: "kubernetes:core/v1:Namespace",
  deployment: "kubernetes:apps/v1:Deployment",
  deploymentPatch: "kubernetes:apps/v1:DeploymentPatch",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  job: "kubernetes:batch/v1:Job",
} as const;

/** Workload kinds whose pod template kubelet runs. */
export const WORKLOAD_TYPES: readonly string[] = [K8S.deployment, K8S.deploymentPatch, K8S.statefulSet, K8S.job];

export function obj(value: unknown): Obj {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Obj) : {};
}

export function list(value: unknown): Obj[] {
  return Array.isArray(value) ? value.map(obj) : [];
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** What these helpers read of a resource: a recorded one, or one read back from plan.json. */
export type Declared = Pick<RecordedResource, "urn" | "type" | "name" | "custom" | "inputs">;

export function metadata(r: Pick<Declared, "inputs">): Obj {
  return obj(r.inputs.metadata);
}

export function labelsOf(r: Pick<Declared, "inputs">): Record<string, string> {
  return obj(metadata(r).labels) as Record<string, string>;
}

/** The mesh cluster an object belongs to (the contract's `lucid.mesh/cluster` label). */
export function clusterOf(r: Pick<Declared, "inputs">): string | undefined {
  return labelsOf(r)["lucid.mesh/cluster"];
}

/** The namespace the provider puts an object in: the stack's provider namespace when the object names none. */
export function namespaceOf(r: Pick<Declared, "inputs">): string {
  return str(metadata(r).namespace) ?? "default";
}

export function nameOf(r: Pick<Declared, "inputs" | "name">): string {
  return str(metadata(r).name) ?? r.name;
}

export function podTemplate(r: RecordedResource): { labels: Record<string, string>; spec: Obj } {
  const template = obj(obj(r.inputs.spec).template);
  return { labels: obj(obj(template.metadata).labels) as Record<string, string>, spec: obj(template.spec) };
}

/**
 * Keys of a Secret (`stringData` and `data`) or a ConfigMap (`data`), when the program declares it on the same
 * provider (names repeat across clusters).
 */
export function objectKeys(
  resources: readonly RecordedResource[],
  on: Pick<RecordedResource, "provider">,
  type: string,
  namespace: string,
  name: string,
): string[] | undefined {
  const found = resources.find(
    (r) => r.type === type && r.provider === on.provider && namespaceOf(r) === namespace && nameOf(r) === name,
  );
  if (!found) return undefined;
  return [...Object.keys(obj(found.inputs.stringData)), ...Object.keys(obj(found.inputs.data))].sort();
}
