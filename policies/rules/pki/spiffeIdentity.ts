import { DEFAULT_TRUST_DOMAIN, trustDomainId } from "../../vendor/model/names";
import { readCertRequest } from "../../vendor/pki/readCertRequest";
import { resourceRule } from "../../lib/policy";
import { asArray, at } from "../../lib/props";
import type { ResourceInput } from "../../lib/types";
import { types } from "../../lib/types";

export const spiffeIdentityDefaults = {
  trustDomain: DEFAULT_TRUST_DOMAIN,
};
export type SpiffeIdentityConfig = typeof spiffeIdentityDefaults;

/** Leaf CSRs by the PKI naming contract: `<cluster>-<service>-leaf-csr`. */
const LEAF_CSR = /-leaf-csr$/;
/** Leaf certificates: `<cluster>-<service>-leaf`. The program builds their requests (pki/certRequest.ts). */
const LEAF = /-leaf$/;

/**
 * The URI SANs a leaf asks for: a CertRequest's `uris`, or the SANs inside a leaf LocallySignedCert's
 * `certRequestPem`. Undefined when there is nothing to read yet (a preview before the key exists).
 */
function requestedUris(input: ResourceInput): readonly unknown[] | { error: string } | undefined {
  if (input.type === types.certRequest) return LEAF_CSR.test(input.name) ? asArray(at(input.props, "uris")) : undefined;
  if (!LEAF.test(input.name)) return undefined;
  const request = at(input.props, "certRequestPem");
  if (typeof request !== "string" || !request.includes("-----BEGIN")) return undefined;
  try {
    return readCertRequest(request).sans.uris;
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** A workload certificate names exactly one SPIFFE ID, in this mesh's trust domain, with a workload path. */
export function checkSpiffeIdentity(input: ResourceInput, config: SpiffeIdentityConfig): string[] {
  const uris = requestedUris(input);
  if (uris === undefined) return [];
  if ("error" in uris) return [`the leaf's certRequestPem is not a readable CSR (${uris.error}).`];
  const domain = trustDomainId(config.trustDomain);
  const ids = uris.filter((u): u is string => typeof u === "string" && u.toLowerCase().startsWith("spiffe://"));
  if (ids.length !== 1) {
    return [
      `the leaf has ${ids.length} spiffe:// URI SANs; put exactly one (${domain}/ns/<ns>/dc/<dc>/svc/<service>) in uris.`,
    ];
  }
  const id = ids[0] ?? "";
  if (!id.startsWith(`${domain}/`)) {
    return [`${id} is outside the trust domain ${config.trustDomain}; issue the leaf an ID under ${domain}/.`];
  }
  const path = id.slice(domain.length);
  if (path.replace(/\/+$/, "") === "" || path.includes("//")) {
    return [`${id} has no workload path; use ${domain}/ns/<ns>/dc/<dc>/svc/<service>.`];
  }
  return [];
}

export const spiffeIdentity = resourceRule(
  {
    name: "lucid-pki-spiffe-identity",
    description:
      "Require each leaf certificate request (a CertRequest, or a leaf LocallySignedCert's certRequestPem) to carry exactly one SPIFFE ID in the mesh's trust domain.",
    severity: "critical",
    appliesTo: [types.certRequest, types.locallySignedCert],
    defaults: spiffeIdentityDefaults,
    configSchema: {
      properties: {
        trustDomain: {
          type: "string",
          pattern: "^[a-z0-9.-]+$",
          default: spiffeIdentityDefaults.trustDomain,
          description: "The mesh's SPIFFE trust domain.",
        },
      },
    },
  },
  checkSpiffeIdentity,
);
