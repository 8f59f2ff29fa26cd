/**
 * What `pulumi destroy` does to Kubernetes objects. The provider deletes each object it created (foreground
 * cascading), and deleting a Namespace deletes everything in it, owned by Pulumi or not. A Patch resource is not
 * deleted: the provider gives its fields back through server-side apply (pulumi/pulumi-kubernetes
 * provider/pkg/await/await.go, Deletion: `ssa.Relinquish` for patch resources), so the patched object stays.
 */
import type { SystemFinding } from "../system";
import { K8S, nameOf, namespaceOf, type Declared } from "./objects";

export const DESTROY_SOURCE =
  "pulumi/pulumi-kubernetes provider/pkg/await/await.go (Deletion); kubernetes/kubernetes pkg/controller/namespace/deletion/namespaced_resources_deleter.go";

export interface DestroyPlan {
  /** `kind namespace/name` of every object the destroy deletes, directly or with its namespace. */
  readonly deleted: readonly string[];
  /** Objects whose patched fields are given back; the objects themselves stay. */
  readonly relinquished: readonly string[];
  readonly namespaces: readonly string[];
}

function kindOf(type: string): string {
  return type.split(":")[2] ?? type;
}

/** Works on the recorded resources or on plan.json's (the same types, names and inputs). */
export function destroyPlan(resources: readonly Declared[]): DestroyPlan {
  const k8s = resources.filter(
    (r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:index"),
  );
  const namespaces = k8s
    .filter((r) => r.type === K8S.namespace)
    .map(nameOf)
    .sort();
  const patches = k8s.filter((r) => r.type.endsWith("Patch"));
  const deleted = [
    ...k8s
      .filter((r) => !r.type.endsWith("Patch"))
      .map((r) => `${kindOf(r.type)} ${r.type === K8S.namespace ? "" : `${namespaceOf(r)}/`}${nameOf(r)}`),
    // Whatever sits in a deleted namespace goes with it, including a patched object the mesh does not own.
    ...patches
      .filter((p) => namespaces.includes(namespaceOf(p)))
      .map((p) => `${kindOf(p.type).replace(/Patch$/, "")} ${namespaceOf(p)}/${nameOf(p)}`),
  ].sort();
  const relinquished = patches
    .filter((p) => !namespaces.includes(namespaceOf(p)))
    .map((p) => `${kindOf(p.type).replace(/Patch$/, "")} ${namespaceOf(p)}/${nameOf(p)}`)
    .sort();
  return { deleted, relinquished, namespaces };
}

/** A team's patched workload in a namespace the mesh owns: `pulumi destroy` would delete it. */
export function teamWorkloadsDestroyed(resources: readonly Declared[]): SystemFinding[] {
  const namespaces = new Set(resources.filter((r) => r.type === K8S.namespace).map(nameOf));
  return resources
    .filter((r) => r.type.endsWith("Patch") && namespaces.has(namespaceOf(r)))
    .map((r) => ({
      system: "kubernetes",
      rule: "kubernetes/destroy/patched-object-in-owned-namespace",
      source: DESTROY_SOURCE,
      subject: r.urn,
      message: `pulumi destroy deletes namespace ${namespaceOf(r)}, and with it ${nameOf(r)}, which the mesh only patches`,
    }));
}
