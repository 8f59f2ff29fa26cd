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

/** Container runtime sockets: whoever can write to one can start a privileged container on the host. */
const RUNTIME_SOCKETS = [
  "/var/run/docker.sock",
  "/run/docker.sock",
  "/run/containerd/containerd.sock",
  "/var/run/containerd/containerd.sock",
  "/var/run/crio/crio.sock",
  "/run/podman/podman.sock",
];

function normalisePath(path: string): string {
  const trimmed = path.replace(/\/+$/, "").replace(/\/{2,}/g, "/");
  return trimmed === "" ? "/" : trimmed;
}

/**
 * The runtime socket a host path exposes, if any: the socket itself (or any `*.sock` named like one), or a directory
 * that contains it (`/var/run`, `/run`, `/`), since mounting a parent mounts the socket too.
 */
export function runtimeSocketExposedBy(hostPath: string): string | undefined {
  const path = normalisePath(hostPath);
  if (/\/(docker|containerd|crio|podman)\.sock$/.test(path)) return path;
  return RUNTIME_SOCKETS.find((socket) => path === "/" || socket.startsWith(`${path}/`));
}
