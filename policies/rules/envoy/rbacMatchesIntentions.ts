/**
 * The sidecars' RBAC agrees with the intentions: every caller a sidecar's inbound RBAC admits by exact SPIFFE ID is
 * one the service-intentions allow, decided as Consul decides (model/intentions.ts, after hashicorp/consul
 * agent/consul/state/intention.go `IntentionDecision`). Envoy enforces the RBAC, so an extra principal opens a path
 * Consul's view of the mesh says is closed.
 */
import { intentionAllows } from "../../vendor/model/intentions";
import type { IntentionRule } from "../../vendor/model/intentions";
import { DEFAULT_TRUST_DOMAIN, envoyNames, SIDECAR_PORT_DEFAULTS } from "../../vendor/model/names";
import type { IntentionEntry } from "../../lib/consulArtifacts";
import { intentionEntries } from "../../lib/consulArtifacts";
import {
  HTTP_CONNECTION_MANAGER,
  filterChains,
  inboundListenersOf,
  mustCarrySidecarConfig,
} from "../../lib/envoyArtifacts";
import { stackRule } from "../../lib/policy";
import { asRecord, asRecords, asString, at, clusterLabel, labelsOf, serviceLabel } from "../../lib/props";
import { parseWorkloadId } from "../../lib/spiffe";
import type { StackResource, StackViolation } from "../../lib/types";

export const rbacMatchesIntentionsDefaults = {
  proxyPort: SIDECAR_PORT_DEFAULTS.proxyPort,
  trustDomain: DEFAULT_TRUST_DOMAIN,
};
export type RbacMatchesIntentionsConfig = typeof rbacMatchesIntentionsDefaults;

/** Exact principal names of every RBAC filter (HTTP or network) on the inbound listeners. */
function inboundPrincipals(resource: StackResource, proxyPort: number): string[] {
  const principals: string[] = [];
  for (const listener of inboundListenersOf(resource, proxyPort)) {
    for (const chain of filterChains(listener)) {
      const filters = asRecords(chain.filters);
      const manager = filters.find((f) => f.name === HTTP_CONNECTION_MANAGER);
      const candidates = manager ? asRecords(at(manager, "typed_config", "http_filters")) : filters;
      for (const filter of candidates) {
        if (!(asString(at(filter, "typed_config", "@type")) ?? "").endsWith("rbac.v3.RBAC")) continue;
        for (const policy of Object.values(asRecord(at(filter, "typed_config", "rules", "policies")) ?? {})) {
          for (const principal of asRecords(at(policy, "principals"))) {
            const exact = asString(at(principal, "authenticated", "principal_name", "exact"));
            if (exact !== undefined) principals.push(exact);
          }
        }
      }
    }
  }
  return principals;
}

/**
 * Intentions as rules. A source with L7 Permissions is not an allow here: Consul's L4 decision denies it
 * ("If there are L7 permissions, DENY", `IntentionDecision`), and the sidecar's RBAC admits whole connections.
 */
function rulesOf(entries: readonly IntentionEntry[]): IntentionRule[] {
  return entries.flatMap((entry) =>
    entry.sources.map((source) => ({
      source: source.name,
      destination: entry.destination,
      action: source.action === "allow" && !source.hasPermissions ? ("allow" as const) : ("deny" as const),
    })),
  );
}

/**
 * A cluster's own entries, by the resource naming of components/consulConfig.ts (`<cluster>-…`, the longest known
 * cluster name winning, so `east-2-…` is not east's); every entry when none is named so (entries derive from one
 * mesh-wide list of intentions).
 */
function entriesFor(
  cluster: string | undefined,
  entries: readonly IntentionEntry[],
  clusters: readonly string[],
): readonly IntentionEntry[] {
  if (cluster === undefined) return entries;
  const ownerOf = (entry: IntentionEntry): string | undefined =>
    clusters.filter((c) => entry.resource.name.startsWith(`${c}-`)).sort((a, b) => b.length - a.length)[0];
  const own = entries.filter((e) => ownerOf(e) === cluster);
  return own.length > 0 ? own : entries;
}

export function checkRbacMatchesIntentions(
  resources: readonly StackResource[],
  config: RbacMatchesIntentionsConfig,
): StackViolation[] {
  const entries = intentionEntries(resources);
  const violations: StackViolation[] = [];
  const clusters = [
    ...new Set(resources.map((r) => labelsOf(r.props)[clusterLabel]).filter((c): c is string => c !== undefined)),
  ];
  for (const resource of resources) {
    if (!mustCarrySidecarConfig(resource)) continue;
    const labels = labelsOf(resource.props);
    const destination = labels[serviceLabel];
    const principals = inboundPrincipals(resource, config.proxyPort);
    if (principals.length === 0) continue;
    if (destination === undefined) {
      violations.push({
        urn: resource.urn,
        message: `${resource.name}: the sidecar's RBAC admits callers but it has no ${serviceLabel} label, so they cannot be checked against the intentions; label it with its service.`,
      });
      continue;
    }
    const own = entriesFor(labels[clusterLabel], entries, clusters);
    if (own.length === 0) {
      violations.push({
        urn: resource.urn,
        message: `${resource.name}: the ${envoyNames.inboundListener} RBAC of "${destination}" admits ${principals.length} caller(s) but the stack has no service-intentions to allow them; declare the intentions (Consul then agrees with Envoy).`,
      });
      continue;
    }
    const rules = rulesOf(own);
    for (const principal of principals) {
      const id = parseWorkloadId(principal);
      // Foreign or malformed principals are lucid-envoy-rbac-default-deny's to report.
      if (!id || id.trustDomain !== config.trustDomain) continue;
      if (!intentionAllows(rules, "deny", id.service, destination)) {
        violations.push({
          urn: resource.urn,
          message: `${resource.name}: RBAC of "${destination}" admits ${principal}, but no intention allows ${id.service} → ${destination} (Consul denies it); remove the principal, or add the intention.`,
        });
      }
    }
  }
  return violations;
}

export const rbacMatchesIntentions = stackRule(
  {
    name: "lucid-envoy-rbac-matches-intentions",
    description: "Require every caller a sidecar's RBAC admits to be allowed by the service intentions.",
    severity: "critical",
    defaults: rbacMatchesIntentionsDefaults,
    configSchema: {
      properties: {
        proxyPort: { type: "integer", minimum: 1, maximum: 65535, default: rbacMatchesIntentionsDefaults.proxyPort },
        trustDomain: {
          type: "string",
          default: rbacMatchesIntentionsDefaults.trustDomain,
          description: "The mesh's SPIFFE trust domain.",
        },
      },
    },
  },
  checkRbacMatchesIntentions,
);
