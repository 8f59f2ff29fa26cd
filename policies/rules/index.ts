/** Every rule of the pack. Re-exports only, plus the list the pack serves. */
import type { Policies } from "@pulumi/policy";
import { adminLoopback } from "./envoy/adminLoopback";
import { mtlsRequired } from "./envoy/mtlsRequired";
import { edgeOnly } from "./envoy/edgeOnly";
import { rateLimitsSet } from "./envoy/rateLimitsSet";
import { rbacDefaultDeny } from "./envoy/rbacDefaultDeny";
import { rbacMatchesIntentions } from "./envoy/rbacMatchesIntentions";
import { upstreamResilience } from "./envoy/upstreamResilience";
import { certLifetimes } from "./pki/certLifetimes";
import { keyStrength } from "./pki/keyStrength";
import { leafMatchesWorkload } from "./pki/leafMatchesWorkload";
import { spiffeIdentity } from "./pki/spiffeIdentity";
import { consulHardening } from "./consul/consulHardening";
import { healthChecksPresent } from "./consul/healthChecksPresent";
import { intentionsDefaultDeny } from "./consul/intentionsDefaultDeny";
import { imagesPinned } from "./workloads/imagesPinned";
import { podSecurity } from "./workloads/podSecurity";
import { dockerSecurity } from "./workloads/dockerSecurity";
import { noPlaintextSecrets } from "./secrets/noPlaintextSecrets";

export * from "./envoy/adminLoopback";
export * from "./envoy/mtlsRequired";
export * from "./envoy/edgeOnly";
export * from "./envoy/rateLimitsSet";
export * from "./envoy/rbacDefaultDeny";
export * from "./envoy/rbacMatchesIntentions";
export * from "./envoy/upstreamResilience";
export * from "./pki/certLifetimes";
export * from "./pki/keyStrength";
export * from "./pki/leafMatchesWorkload";
export * from "./pki/spiffeIdentity";
export * from "./consul/consulHardening";
export * from "./consul/healthChecksPresent";
export * from "./consul/intentionsDefaultDeny";
export * from "./workloads/imagesPinned";
export * from "./workloads/podSecurity";
export * from "./workloads/dockerSecurity";
export * from "./secrets/noPlaintextSecrets";

export const allPolicies: Policies = [
  mtlsRequired,
  edgeOnly,
  rbacDefaultDeny,
  rbacMatchesIntentions,
  rateLimitsSet,
  upstreamResilience,
  adminLoopback,
  certLifetimes,
  keyStrength,
  leafMatchesWorkload,
  spiffeIdentity,
  intentionsDefaultDeny,
  consulHardening,
  healthChecksPresent,
  imagesPinned,
  podSecurity,
  dockerSecurity,
  noPlaintextSecrets,
];
