import { resourceRule } from "../../lib/policy";
import type { Json } from "../../lib/props";
import { asRecord, asRecords, asString, at } from "../../lib/props";
import { DEFAULT_TRUST_DOMAIN, envoyNames, SIDECAR_PORT_DEFAULTS } from "../../vendor/model/names";
import {
  HTTP_CONNECTION_MANAGER,
  filterChains,
  inboundListenersOf,
  mustCarrySidecarConfig,
  nameOf,
} from "../../lib/envoyArtifacts";
import { parseWorkloadId } from "../../lib/spiffe";
import type { ResourceInput } from "../../lib/types";
import { types } from "../../lib/types";

export const rbacDefaultDenyDefaults = {
  proxyPort: SIDECAR_PORT_DEFAULTS.proxyPort,
  trustDomain: DEFAULT_TRUST_DOMAIN,
};
export type RbacDefaultDenyConfig = typeof rbacDefaultDenyDefaults;

const HTTP_RBAC = "envoy.filters.http.rbac";
const NETWORK_RBAC = "envoy.filters.network.rbac";
const TERMINAL_FILTERS = new Set(["envoy.filters.http.router", "envoy.filters.network.tcp_proxy"]);

function isRbac(filter: Json, name: string, typeSuffix: string): boolean {
  return filter.name === name || (asString(at(filter, "typed_config", "@type"))?.endsWith(typeSuffix) ?? false);
}

/**
 * What one principal admits, or a problem: only an exact, full workload SPIFFE ID in the mesh's trust domain. A
 * prefix (even `spiffe://<trust domain>/`) admits every identity under it, so it is refused whatever its value.
 */
function principalProblem(principal: Json, trustDomain: string): string | undefined {
  if (principal.any === true) return "a principal allows any caller; name callers by SPIFFE ID";
  const matcher = asRecord(at(principal, "authenticated", "principal_name"));
  const exact = asString(matcher?.exact);
  if (matcher && exact === undefined) {
    const kind = ["prefix", "suffix", "contains", "safe_regex"].find((k) => matcher[k] !== undefined) ?? "matcher";
    return `principal ${kind} ${JSON.stringify(matcher[kind] ?? matcher)} admits every identity it matches; list each caller's exact SPIFFE ID`;
  }
  if (exact === undefined)
    return "a principal is not an authenticated SPIFFE ID; use authenticated.principal_name.exact";
  if (matcher?.ignore_case === true) return `principal ${exact} ignores case; match SPIFFE IDs exactly`;
  if (!exact.startsWith(`spiffe://${trustDomain}/`)) {
    return `principal ${exact} is outside the trust domain ${trustDomain}; allow only the mesh's SPIFFE IDs`;
  }
  if (!parseWorkloadId(exact)) {
    return `principal ${exact} is not a workload SPIFFE ID; allow only spiffe://${trustDomain}/ns/<ns>/dc/<dc>/svc/<service> IDs`;
  }
  return undefined;
}

/** The RBAC filter's own problems: it must allow named callers only, so anything unnamed is denied. */
function rbacProblems(where: string, filter: Json, trustDomain: string): string[] {
  const rules = asRecord(at(filter, "typed_config", "rules"));
  // Without rules the RBAC filter enforces nothing at all.
  if (!rules)
    return [
      `${where}: RBAC has no rules, so it allows every caller; set rules.action: ALLOW with the allowed SPIFFE IDs.`,
    ];
  const action = asString(rules.action) ?? "ALLOW";
  if (action !== "ALLOW") {
    return [
      `${where}: RBAC action is ${action}, which admits whoever no policy names; use action ALLOW listing the callers intentions allow.`,
    ];
  }
  const problems: string[] = [];
  for (const [policyName, policy] of Object.entries(asRecord(rules.policies) ?? {})) {
    for (const principal of asRecords(at(policy, "principals"))) {
      const problem = principalProblem(principal, trustDomain);
      if (problem) problems.push(`${where}: policy "${policyName}": ${problem}.`);
    }
  }
  return problems;
}

/** Checks one filter list: RBAC present, before the terminal filter, and default-deny. */
function filterListProblems(
  where: string,
  filters: Json[],
  rbacName: string,
  typeSuffix: string,
  config: RbacDefaultDenyConfig,
): string[] {
  const rbacIndex = filters.findIndex((f) => isRbac(f, rbacName, typeSuffix));
  const terminalIndex = filters.findIndex((f) => TERMINAL_FILTERS.has(asString(f.name) ?? ""));
  if (rbacIndex < 0)
    return [
      `${where} has no ${rbacName} filter, so any mesh identity may call it; add one allowing only the callers intentions allow.`,
    ];
  const rbac = filters[rbacIndex]!;
  const problems = rbacProblems(where, rbac, config.trustDomain);
  if (rbac.disabled === true)
    problems.push(`${where}: ${rbacName} is disabled, so it enforces nothing; remove disabled.`);
  if (terminalIndex >= 0 && rbacIndex > terminalIndex) {
    problems.push(`${where}: ${rbacName} comes after ${asString(filters[terminalIndex]!.name)}; move it before.`);
  }
  return problems;
}

/** Every inbound mesh listener authorises callers by SPIFFE ID and denies everyone else. */
export function checkRbacDefaultDeny(input: ResourceInput, config: RbacDefaultDenyConfig): string[] {
  const problems: string[] = [];
  const inbound = inboundListenersOf(input, config.proxyPort);
  if (inbound.length === 0 && mustCarrySidecarConfig(input)) {
    return [
      `this sidecar has no inbound listener ("${envoyNames.inboundListener}" on port ${config.proxyPort}), so nothing proves it authorises callers; deliver the generated listener file.`,
    ];
  }
  for (const listener of inbound) {
    const where = `listener "${nameOf(listener)}"`;
    for (const chain of filterChains(listener)) {
      const filters = asRecords(chain.filters);
      const manager = filters.find((f) => f.name === HTTP_CONNECTION_MANAGER);
      problems.push(
        ...(manager
          ? filterListProblems(
              where,
              asRecords(at(manager, "typed_config", "http_filters")),
              HTTP_RBAC,
              ".rbac.v3.RBAC",
              config,
            )
          : filterListProblems(where, filters, NETWORK_RBAC, ".network.rbac.v3.RBAC", config)),
      );
    }
  }
  return problems;
}

export const rbacDefaultDeny = resourceRule(
  {
    name: "lucid-envoy-rbac-default-deny",
    description:
      "Require every sidecar's inbound listener to allow only named SPIFFE identities and deny everyone else.",
    severity: "critical",
    appliesTo: [types.dockerContainer, types.configMap],
    defaults: rbacDefaultDenyDefaults,
    configSchema: {
      properties: {
        proxyPort: { type: "integer", minimum: 1, maximum: 65535, default: rbacDefaultDenyDefaults.proxyPort },
        trustDomain: {
          type: "string",
          default: rbacDefaultDenyDefaults.trustDomain,
          description: "The only trust domain whose SPIFFE IDs RBAC may allow.",
        },
      },
    },
  },
  checkRbacDefaultDeny,
);
