/**
 * kubelet expands `$(VAR)` in a container's command and args from the container's env, and leaves a reference to
 * an undefined variable as it is (kubernetes/kubernetes third_party/forked/golang/expansion/expand.go Expand,
 * called from pkg/kubelet/container/helpers.go ExpandContainerCommandAndArgs). So `-advertise=$(POD_IP)` without a
 * POD_IP env var reaches Consul as the literal text, and the agent refuses it.
 */
import type { RecordedResource } from "../recorder";
import type { SystemFinding } from "../system";
import { WORKLOAD_TYPES, list, podTemplate, str } from "./objects";

export const EXPANSION_SOURCE =
  "kubernetes/kubernetes third_party/forked/golang/expansion/expand.go (Expand); pkg/kubelet/container/helpers.go (ExpandContainerCommandAndArgs)";

/** Names referenced as `$(NAME)`; `$$(NAME)` is an escaped, literal `$(NAME)`. */
export function referencedVariables(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(/(\$+)\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
    if ((match[1] ?? "").length % 2 === 1) names.push(match[2] ?? "");
  }
  return names;
}

export function undefinedVariables(resources: readonly RecordedResource[]): SystemFinding[] {
  const findings: SystemFinding[] = [];
  for (const r of resources.filter((x) => WORKLOAD_TYPES.includes(x.type))) {
    for (const container of list(podTemplate(r).spec.containers)) {
      const defined = new Set(list(container.env).map((e) => str(e.name) ?? ""));
      const words = [...((container.command as unknown[]) ?? []), ...((container.args as unknown[]) ?? [])].filter(
        (w): w is string => typeof w === "string",
      );
      for (const word of words) {
        for (const name of referencedVariables(word).filter((n) => !defined.has(n))) {
          findings.push({
            system: "kubernetes",
            rule: "kubernetes/kubelet/undefined-variable",
            source: EXPANSION_SOURCE,
            subject: r.urn,
            message: `container ${str(container.name) ?? "?"}: $(${name}) in "${word}" is not defined in its env, so it is passed on literally`,
          });
        }
      }
    }
  }
  return findings;
}
