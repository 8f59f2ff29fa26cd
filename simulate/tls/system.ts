/**
 * The tls provider (hashicorp/terraform-provider-tls, bridged by @pulumi/tls) as a system model: which inputs
 * replace a resource. Every user-set attribute of the four resources carries RequiresReplace (or
 * requireReplaceIfStateContainsPEMString for PEM inputs) in internal/provider/resource_*.go, except
 * `early_renewal_hours`, which updates in place. A certificate inside its early-renewal window is replaced too:
 * `modifyPlanIfCertificateReadyForRenewal` (internal/provider/common_cert.go) adds `ready_for_renewal` to
 * RequiresReplace.
 */
import type { SystemModel } from "../system";
import { TLS_TYPES } from "./models";

const SUBJECT_AND_SANS = ["subject", "dnsNames", "ipAddresses", "uris"] as const;
const CERTIFICATE = [
  "allowedUses",
  "validityPeriodHours",
  "isCaCertificate",
  "maxPathLength",
  "setSubjectKeyId",
  "readyForRenewal",
] as const;

export const tlsSystem: SystemModel = {
  system: "tls",
  forceNew: {
    [TLS_TYPES.privateKey]: ["algorithm", "ecdsaCurve", "rsaBits"],
    [TLS_TYPES.certRequest]: ["privateKeyPem", ...SUBJECT_AND_SANS],
    [TLS_TYPES.selfSignedCert]: ["privateKeyPem", "setAuthorityKeyId", ...SUBJECT_AND_SANS, ...CERTIFICATE],
    [TLS_TYPES.locallySignedCert]: ["certRequestPem", "caCertPem", "caPrivateKeyPem", ...CERTIFICATE],
  },
};
