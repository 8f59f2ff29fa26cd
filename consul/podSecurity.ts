/**
 * A pure check of a pod spec against the Kubernetes "restricted" Pod Security Standard, plus the mesh's own
 * requirements (resource limits, read-only root filesystem). It returns one message per problem, each naming the
 * field and the fix, so tests and the policy pack can share it.
 */

/** The slice of a Kubernetes PodSpec the check reads. */
export interface PodSpecLike {
  readonly securityContext?: {
    readonly runAsNonRoot?: boolean;
    readonly runAsUser?: number;
    readonly seccompProfile?: { readonly type?: string };
  };
  readonly hostNetwork?: boolean;
  readonly hostPID?: boolean;
  readonly hostIPC?: boolean;
  readonly containers: readonly ContainerLike[];
  readonly initContainers?: readonly ContainerLike[];
}

export interface ContainerLike {
  readonly name: string;
  readonly securityContext?: {
    readonly runAsNonRoot?: boolean;
    readonly runAsUser?: number;
    readonly privileged?: boolean;
    readonly allowPrivilegeEscalation?: boolean;
    readonly readOnlyRootFilesystem?: boolean;
    readonly capabilities?: { readonly drop?: readonly string[]; readonly add?: readonly string[] };
    readonly seccompProfile?: { readonly type?: string };
  };
  readonly resources?: {
    readonly limits?: Readonly<Record<string, string | number>>;
    readonly requests?: Readonly<Record<string, string | number>>;
  };
}

export function checkRestrictedPod(pod: PodSpecLike): string[] {
  const problems: string[] = [];
  for (const field of ["hostNetwork", "hostPID", "hostIPC"] as const) {
    if (pod[field]) problems.push(`spec.${field} is true; remove it`);
  }
  const podSc = pod.securityContext ?? {};
  const podSeccomp = podSc.seccompProfile?.type;
  const containers = [...(pod.initContainers ?? []), ...pod.containers];
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const at = `container ${c.name}`;
    if (sc.privileged) problems.push(`${at}: securityContext.privileged is true; remove it`);
    if (sc.allowPrivilegeEscalation !== false) {
      problems.push(`${at}: set securityContext.allowPrivilegeEscalation to false`);
    }
    if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) {
      problems.push(`${at}: set runAsNonRoot: true on the pod or the container`);
    }
    if ((sc.runAsUser ?? podSc.runAsUser) === 0) problems.push(`${at}: runAsUser is 0; run as a non-root user`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) {
      problems.push(`${at}: set securityContext.capabilities.drop to ["ALL"]`);
    }
    const added = (sc.capabilities?.add ?? []).filter((cap) => cap !== "NET_BIND_SERVICE");
    if (added.length > 0) problems.push(`${at}: remove capabilities.add ${added.join(", ")}`);
    const seccomp = sc.seccompProfile?.type ?? podSeccomp;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
      problems.push(`${at}: set seccompProfile.type to RuntimeDefault on the pod or the container`);
    }
    if (sc.readOnlyRootFilesystem !== true) {
      problems.push(`${at}: set securityContext.readOnlyRootFilesystem to true and mount writable paths`);
    }
    for (const resource of ["cpu", "memory"]) {
      if (c.resources?.limits?.[resource] === undefined) problems.push(`${at}: set resources.limits.${resource}`);
      if (c.resources?.requests?.[resource] === undefined) problems.push(`${at}: set resources.requests.${resource}`);
    }
  }
  return problems;
}
