/** Pod specs and containers of Kubernetes workloads, whatever the kind. */
import type { Json } from "./props";
import { asRecord, asRecords, asString, at } from "./props";
import { types } from "./types";

export const WORKLOAD_TYPES: readonly string[] = [
  types.deployment,
  types.statefulSet,
  types.daemonSet,
  types.replicaSet,
  // A patch carries only the containers the mesh adds to a team's Deployment: those are checked too.
  types.deploymentPatch,
  types.job,
  types.pod,
];

export function podSpecOf(type: string, props: unknown): Json | undefined {
  return asRecord(type === types.pod ? at(props, "spec") : at(props, "spec", "template", "spec"));
}

export interface WorkloadContainer {
  readonly kind: "container" | "initContainer";
  readonly name: string;
  readonly spec: Json;
}

export function containersOf(podSpec: Json | undefined): WorkloadContainer[] {
  const list = (key: "containers" | "initContainers", kind: WorkloadContainer["kind"]): WorkloadContainer[] =>
    asRecords(podSpec?.[key]).map((spec) => ({ kind, name: asString(spec.name) ?? "(unnamed)", spec }));
  return [...list("initContainers", "initContainer"), ...list("containers", "container")];
}
