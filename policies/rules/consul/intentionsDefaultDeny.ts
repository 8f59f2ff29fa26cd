import type { IntentionRule } from "../../vendor/model/intentions";
import { intentionAllows } from "../../vendor/model/intentions";
import { consulAgentConfigs, intentionEntries } from "../../lib/consulArtifacts";
import { envoyConfigOf, isUpstreamCluster, nameOf } from "../../lib/envoyArtifacts";
import { stackRule } from "../../lib/policy";
import { labelsOf, roleLabel, serviceLabel } from "../../lib/props";
import type { StackResource, StackViolation } from "../../lib/types";

export const intentionsDefaultDenyDefaults = {};
export type IntentionsDefaultDenyConfig = typeof intentionsDefaultDenyDefaults;

const UPSTREAM_PREFIX = "upstream_";

interface DeclaredUpstream {
  readonly source: string;
  readonly destination: string;
  readonly resource: StackResource;
}

/** Upstreams each sidecar dials, from its outbound `upstream_<service>` clusters. */
function declaredUpstreams(resources: readonly StackResource[]): DeclaredUpstream[] {
  const seen = new Map<string, DeclaredUpstream>();
  for (const resource of resources) {
    const labels = labelsOf(resource.props);
    const source = labels[serviceLabel];
    if (source === undefined || labels[roleLabel] === "gateway") continue;
    for (const cluster of envoyConfigOf(resource)?.clusters.filter(isUpstreamCluster) ?? []) {
      const destination = nameOf(cluster).slice(UPSTREAM_PREFIX.length);
      const key = `${source}\u0000${destination}`;
      if (!seen.has(key)) seen.set(key, { source, destination, resource });
    }
  }
  return [...seen.values()];
}

/** Services with a sidecar in this stack. */
function localServices(resources: readonly StackResource[]): string[] {
  return resources.flatMap((resource) => {
    const labels = labelsOf(resource.props);
    const service = labels[serviceLabel];
    return service !== undefined && labels[roleLabel] !== "gateway" && envoyConfigOf(resource) ? [service] : [];
  });
}

/** Consul denies by default, nobody is allowed wholesale, and every declared upstream is explicitly allowed. */
export function checkIntentionsDefaultDeny(
  resources: readonly StackResource[],
  _config: IntentionsDefaultDenyConfig,
): StackViolation[] {
  const entries = intentionEntries(resources);
  const upstreams = declaredUpstreams(resources);
  // A stack with no Consul and no sidecars (a PKI-only stack, say) has nothing to authorize.
  if (entries.length === 0 && upstreams.length === 0 && consulAgentConfigs(resources).length === 0) return [];
  const violations: StackViolation[] = [];
  const rules: IntentionRule[] = [];
  for (const entry of entries) {
    for (const error of entry.errors) {
      violations.push({ urn: entry.resource.urn, message: `${entry.resource.name}: ${error}; fix the JSON.` });
    }
    for (const source of entry.sources) {
      // A source with only L7 permissions admits some requests: count it as an allow.
      const action =
        source.action === "deny" ? "deny" : source.action === "allow" || source.hasPermissions ? "allow" : "deny";
      rules.push({ source: source.name, destination: entry.destination, action });
      if (source.name === "*" && action === "allow") {
        violations.push({
          urn: entry.resource.urn,
          message: `${entry.resource.name}: source "*" is allowed to call "${entry.destination}"; replace it with one allow per calling service.`,
        });
      }
    }
  }
  const defaultDeny = entries.some(
    (e) => e.destination === "*" && e.sources.some((s) => s.name === "*" && s.action === "deny"),
  );
  if (!defaultDeny) {
    violations.push({
      message:
        'no service-intentions entry denies "*" to "*"; add a ConfigEntry with kind service-intentions, name "*" and configJson {"Sources":[{"Name":"*","Action":"deny"}]}.',
    });
  }
  // A destination that neither runs nor has intentions in this stack lives in another stack of a split mesh
  // (docs/split-stacks.md): its intentions are there, and that stack's own callers are checked there.
  const here = new Set([...localServices(resources), ...entries.map((e) => e.destination)]);
  for (const upstream of upstreams) {
    if (!here.has(upstream.destination)) continue;
    if (!intentionAllows(rules, "deny", upstream.source, upstream.destination)) {
      violations.push({
        urn: upstream.resource.urn,
        message: `${upstream.source} dials upstream "${upstream.destination}" but no intention allows it; add {"Name":"${upstream.source}","Action":"allow"} to the service-intentions entry for "${upstream.destination}".`,
      });
    }
  }
  return violations;
}

export const intentionsDefaultDeny = stackRule(
  {
    name: "lucid-consul-intentions-default-deny",
    description: "Require default-deny service intentions with an explicit allow for every declared upstream.",
    severity: "critical",
    defaults: intentionsDefaultDenyDefaults,
  },
  checkIntentionsDefaultDeny,
);
