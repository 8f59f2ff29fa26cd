/**
 * RBAC from intentions: ALLOW only the SPIFFE IDs intentions let in. Envoy's ALLOW action denies whatever no
 * policy matches, so an empty list yields "allow nothing" (an empty policy map), never "allow all".
 */
import type { Configurer } from "../configurer";
import { extensionNames, typeUrls } from "../typeUrls";
import type { FilterChain, HttpConnectionManager, HttpRbac, RbacRules } from "../types";

export const RBAC_POLICY = "allowed_sources";

export function rbacRules(allowedSpiffeIds: readonly string[]): RbacRules {
  if (allowedSpiffeIds.length === 0) return { action: "ALLOW", policies: {} };
  return {
    action: "ALLOW",
    policies: {
      [RBAC_POLICY]: {
        permissions: [{ any: true }],
        principals: allowedSpiffeIds.map((id) => ({ authenticated: { principal_name: { exact: id } } })),
      },
    },
  };
}

export function httpRbac(allowedSpiffeIds: readonly string[]): Configurer<HttpConnectionManager> {
  const config: HttpRbac = { "@type": typeUrls.httpRbac, rules: rbacRules(allowedSpiffeIds) };
  return (hcm) => {
    hcm.http_filters.push({ name: extensionNames.httpRbac, typed_config: config });
  };
}

/** TCP services: the same rules as a network filter, which must run before tcp_proxy opens the upstream. */
export function networkRbac(statPrefix: string, allowedSpiffeIds: readonly string[]): Configurer<FilterChain> {
  return (chain) => {
    chain.filters.push({
      name: extensionNames.networkRbac,
      typed_config: { "@type": typeUrls.networkRbac, stat_prefix: statPrefix, rules: rbacRules(allowedSpiffeIds) },
    });
  };
}
