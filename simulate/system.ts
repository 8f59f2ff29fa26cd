/**
 * What the real systems do with what the program declares. Each system (Consul, dockerd with the Docker provider,
 * Kubernetes with kubelet) is a `SystemModel` in its own folder under `simulate/`:
 *
 * - `check` lists what the real system would refuse or break on the first `up`, each finding with the real
 *   system's own message and the source file the rule comes from;
 * - `readBack` says what the provider stores after the first `up` (what its Read returns, in input shape), so a
 *   second `up` can be diffed the way the engine diffs it;
 * - `forceNew` names the inputs whose change replaces the resource rather than updating it in place.
 *
 * Rules here are pure functions over the recorded registrations: the render runs them after the simulation.
 */
import { isDeepStrictEqual } from "node:util";
import type { RecordedResource } from "./recorder";

/** One thing a real system refuses or gets wrong, in its own words. */
export interface SystemFinding {
  /** The system that refuses: `consul`, `docker`, `kubernetes`, ... */
  readonly system: string;
  /** A stable rule id, such as `consul/service-resolver/redirect-peer-needs-service`. */
  readonly rule: string;
  /** Where the real behaviour lives: `owner/repo path/to/file.go` (function). */
  readonly source: string;
  /** The URN (or other name) of the resource the finding is about. */
  readonly subject: string;
  /** The real system's message, as it would print it. */
  readonly message: string;
}

/** The first `up` as the models see it: every registration, and what the provider models returned for it. */
export interface Deployment {
  readonly resources: readonly RecordedResource[];
  /** Public outputs the provider models added for a URN (secrets are `[secret]`). */
  readonly outputsOf: (urn: string) => Record<string, unknown> | undefined;
}

export interface SystemModel {
  readonly system: string;
  /** What the real system refuses or breaks on the first `up`. Empty when all is well. */
  readonly check?: (deployment: Deployment) => SystemFinding[];
  /**
   * What the provider reads back after the first `up`, by resource type, in the resource's input shape (only the
   * keys the provider stores). A key missing from the result is not read back, so it never diffs.
   */
  readonly readBack?: Readonly<
    Record<string, (resource: RecordedResource, deployment: Deployment) => Record<string, unknown>>
  >;
  /** Top-level input names, by resource type, whose change forces a replacement (the provider schema's ForceNew). */
  readonly forceNew?: Readonly<Record<string, readonly string[]>>;
}

/** Every finding of every system, in a stable order. */
export function checkSystems(models: readonly SystemModel[], deployment: Deployment): SystemFinding[] {
  return models
    .flatMap((m) => m.check?.(deployment) ?? [])
    .sort((a, b) => (a.subject === b.subject ? (a.rule < b.rule ? -1 : 1) : a.subject < b.subject ? -1 : 1));
}

/** One resource that an `up` would change, and how. */
export interface PlannedChange {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly action: "update" | "replace";
  /** Top-level input names that differ, sorted. */
  readonly properties: readonly string[];
}

/** How an input change is applied: a replacement when any changed key is ForceNew for the type. */
export function classifyChange(
  models: readonly SystemModel[],
  resource: Pick<RecordedResource, "urn" | "type" | "name">,
  changedKeys: readonly string[],
): PlannedChange | undefined {
  if (changedKeys.length === 0) return undefined;
  const forceNew = new Set(models.flatMap((m) => m.forceNew?.[resource.type] ?? []));
  const properties = [...changedKeys].sort();
  return {
    urn: resource.urn,
    type: resource.type,
    name: resource.name,
    action: properties.some((p) => forceNew.has(p)) ? "replace" : "update",
    properties,
  };
}

/** Top-level keys whose values differ between what the program declares and what the provider stored. */
export function differingKeys(declared: Record<string, unknown>, stored: Record<string, unknown>): string[] {
  return Object.keys(stored).filter((k) => !isDeepStrictEqual(declared[k], stored[k]));
}

/**
 * The second `up` with the same config: every resource whose declared inputs differ from what its provider read
 * back after the first. The expected answer is none.
 */
export function secondUp(models: readonly SystemModel[], deployment: Deployment): PlannedChange[] {
  const changes: PlannedChange[] = [];
  for (const resource of deployment.resources) {
    if (!resource.custom) continue;
    for (const model of models) {
      const read = model.readBack?.[resource.type];
      if (!read) continue;
      const change = classifyChange(models, resource, differingKeys(resource.inputs, read(resource, deployment)));
      if (change) changes.push(change);
    }
  }
  return changes;
}
