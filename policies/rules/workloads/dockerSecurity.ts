/**
 * Docker containers get what the pod-security rule demands of Kubernetes pods where Docker has the same knob: not
 * privileged, none of the host's namespaces, no container runtime socket from the host. Read from the Docker
 * provider's container inputs (docs/ARCHITECTURE.md resource contract): `privileged`, `networkMode`, `pidMode`,
 * `ipcMode`, `usernsMode`, `volumes[].hostPath`, `mounts[]` of type bind, `capabilities.adds`.
 */
import { resourceRule } from "../../lib/policy";
import { asArray, asRecords, asString, at } from "../../lib/props";
import { runtimeSocketExposedBy } from "../../lib/workloads";
import type { ResourceInput } from "../../lib/types";
import { types } from "../../lib/types";

export const dockerSecurityDefaults = {};
export type DockerSecurityConfig = typeof dockerSecurityDefaults;

/** Capabilities that amount to root on the host (the "baseline" Pod Security level allows none of them either). */
const DANGEROUS_CAPABILITIES = ["ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH"];

export function checkDockerSecurity(input: ResourceInput, _config: DockerSecurityConfig): string[] {
  const props = input.props;
  const problems: string[] = [];
  if (at(props, "privileged") === true) {
    problems.push("the container runs privileged, with every capability and device of the host; remove privileged.");
  }
  for (const field of ["networkMode", "pidMode", "ipcMode", "usernsMode"]) {
    if (asString(at(props, field)) === "host") {
      problems.push(
        `the container shares the host's ${field.replace("Mode", "")} namespace (${field}: host); use the cluster network or another container's namespace.`,
      );
    }
  }
  const hostPaths = [
    ...asRecords(at(props, "volumes")).map((v) => asString(v.hostPath)),
    ...asRecords(at(props, "mounts"))
      .filter((m) => (asString(m.type) ?? "bind") === "bind")
      .map((m) => asString(m.source)),
  ].filter((p): p is string => p !== undefined);
  for (const hostPath of hostPaths) {
    const socket = runtimeSocketExposedBy(hostPath);
    if (socket !== undefined) {
      problems.push(
        `the container mounts ${hostPath} from the host, which exposes ${socket}: control of the container runtime is root on the host; remove the mount.`,
      );
    }
  }
  const added = asArray(at(props, "capabilities", "adds"))
    .filter((c): c is string => typeof c === "string")
    .map((c) => c.toUpperCase().replace(/^CAP_/, ""))
    .filter((c) => DANGEROUS_CAPABILITIES.includes(c));
  if (added.length > 0) problems.push(`the container adds ${added.join(", ")}; remove them from capabilities.adds.`);
  return problems;
}

export const dockerSecurity = resourceRule(
  {
    name: "lucid-workloads-docker-security",
    description:
      "Forbid privileged Docker containers, host namespaces, dangerous capabilities and container runtime sockets mounted from the host.",
    severity: "critical",
    appliesTo: [types.dockerContainer],
    defaults: dockerSecurityDefaults,
  },
  checkDockerSecurity,
);
