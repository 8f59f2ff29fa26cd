import { resourceRule } from "../../lib/policy";
import type { Json } from "../../lib/props";
import { asArray, asRecord, asRecords, asString, at } from "../../lib/props";
import { WORKLOAD_TYPES, containersOf, podSpecOf, runtimeSocketExposedBy } from "../../lib/workloads";
import type { ResourceInput } from "../../lib/types";

export const podSecurityDefaults = {};
export type PodSecurityConfig = typeof podSecurityDefaults;

/** Container-level settings win over the pod's, as in Kubernetes. */
function effective(container: Json, pod: Json | undefined, ...path: string[]): unknown {
  return at(container, "securityContext", ...path) ?? at(pod, "securityContext", ...path);
}

function containerProblems(container: Json, pod: Json | undefined): string[] {
  const problems: string[] = [];
  if (effective(container, pod, "runAsNonRoot") !== true) problems.push("set securityContext.runAsNonRoot: true");
  if (at(container, "securityContext", "allowPrivilegeEscalation") !== false) {
    problems.push("set securityContext.allowPrivilegeEscalation: false");
  }
  if (!asArray(at(container, "securityContext", "capabilities", "drop")).includes("ALL")) {
    problems.push('set securityContext.capabilities.drop: ["ALL"]');
  }
  if (effective(container, pod, "seccompProfile", "type") !== "RuntimeDefault") {
    problems.push("set securityContext.seccompProfile.type: RuntimeDefault");
  }
  if (at(container, "securityContext", "privileged") === true) problems.push("remove securityContext.privileged");
  if (effective(container, pod, "runAsUser") === 0) problems.push("run as a non-root user, not runAsUser: 0");
  const added = asArray(at(container, "securityContext", "capabilities", "add")).filter(
    (c) => c !== "NET_BIND_SERVICE",
  );
  if (added.length > 0) problems.push(`remove securityContext.capabilities.add ${added.join(", ")}`);
  if (at(container, "securityContext", "readOnlyRootFilesystem") !== true) {
    problems.push("set securityContext.readOnlyRootFilesystem: true");
  }
  const limits = asRecord(at(container, "resources", "limits"));
  const missing = ["cpu", "memory"].filter((k) => limits?.[k] === undefined);
  if (missing.length > 0) problems.push(`set resources.limits.${missing.join(" and resources.limits.")}`);
  return problems;
}

/** Every container and init container runs unprivileged, confined and bounded (the "restricted" Pod Security level plus limits). */
export function checkPodSecurity(input: ResourceInput, _config: PodSecurityConfig): string[] {
  const pod = podSpecOf(input.type, input.props);
  const hostNamespaces = ["hostNetwork", "hostPID", "hostIPC"].filter((field) => at(pod, field) === true);
  const podProblems = hostNamespaces.map((field) => `The pod shares the node's namespaces; remove spec.${field}.`);
  for (const volume of asRecords(at(pod, "volumes"))) {
    const hostPath = asString(at(volume, "hostPath", "path"));
    const socket = hostPath === undefined ? undefined : runtimeSocketExposedBy(hostPath);
    if (socket !== undefined) {
      podProblems.push(
        `volume ${asString(volume.name) ?? "(unnamed)"} mounts hostPath ${hostPath ?? ""}, which exposes ${socket}: control of the container runtime is root on the node; remove it.`,
      );
    }
  }
  return podProblems.concat(
    containersOf(pod).flatMap((c) => {
      const problems = containerProblems(c.spec, pod);
      return problems.length === 0 ? [] : [`${c.kind} ${c.name} is not hardened; ${problems.join("; ")}.`];
    }),
  );
}

export const podSecurity = resourceRule(
  {
    name: "lucid-workloads-pod-security",
    description:
      "Require every Kubernetes container to run as non-root, unprivileged, seccomp-confined, read-only and with limits.",
    severity: "high",
    appliesTo: WORKLOAD_TYPES,
    defaults: podSecurityDefaults,
  },
  checkPodSecurity,
);
