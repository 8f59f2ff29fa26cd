import { stackRule } from "../../lib/policy";
import { asArray, asBoolean, asNumber, at } from "../../lib/props";
import type { StackResource, StackViolation } from "../../lib/types";
import { types } from "../../lib/types";

export const certLifetimesDefaults = {
  /** Seed: CERT_VALIDITY_DAYS=90. */
  maxLeafValidityHours: 2160,
  /** Renew with this fraction of the validity left (seed: a third). */
  minEarlyRenewalFraction: 1 / 3,
  /** An intermediate outlives this many leaf lifetimes, so it never expires under a valid leaf. */
  intermediateToLeafRatio: 3,
};
export type CertLifetimesConfig = typeof certLifetimesDefaults;

// Names of certificates that must be end-entity certificates (the PKI naming contract).
const LEAF_NAME = /-(leaf|consul-server)$/;
const EPSILON = 1e-6;

interface Cert {
  readonly resource: StackResource;
  readonly isCa: boolean;
  readonly validity: number | undefined;
  readonly earlyRenewal: number;
  readonly uses: readonly unknown[];
}

function certOf(resource: StackResource): Cert {
  const read = (key: string): unknown => at(resource.props, key);
  return {
    resource,
    // The provider's default for isCaCertificate and earlyRenewalHours.
    isCa: asBoolean(read("isCaCertificate")) ?? false,
    validity: asNumber(read("validityPeriodHours")),
    earlyRenewal: asNumber(read("earlyRenewalHours")) ?? 0,
    uses: asArray(read("allowedUses")),
  };
}

/** Root ≥ intermediates ≥ 3 × leaves, leaves short-lived and renewed early, and only CAs may sign. */
export function checkCertLifetimes(resources: readonly StackResource[], config: CertLifetimesConfig): StackViolation[] {
  const roots = resources.filter((r) => r.type === types.selfSignedCert).map(certOf);
  const signed = resources.filter((r) => r.type === types.locallySignedCert).map(certOf);
  const intermediates = signed.filter((c) => c.isCa);
  const leaves = signed.filter((c) => !c.isCa);
  const violations: StackViolation[] = [];
  const report = (cert: Cert, message: string): void => {
    violations.push({ urn: cert.resource.urn, message: `${cert.resource.name}: ${message}` });
  };
  for (const cert of [...roots, ...signed]) {
    if (cert.validity === undefined) report(cert, "validityPeriodHours is not set; set it explicitly.");
  }
  for (const leaf of leaves) {
    if (leaf.validity === undefined) continue;
    if (leaf.validity > config.maxLeafValidityHours) {
      report(
        leaf,
        `leaf validity ${leaf.validity} h exceeds ${config.maxLeafValidityHours} h; shorten validityPeriodHours.`,
      );
    }
    const minRenewal = Math.ceil(leaf.validity * config.minEarlyRenewalFraction - EPSILON);
    if (leaf.earlyRenewal < minRenewal) {
      report(
        leaf,
        `earlyRenewalHours ${leaf.earlyRenewal} is under ${minRenewal} h; set earlyRenewalHours to at least ${minRenewal}.`,
      );
    }
    if (leaf.uses.includes("certSigning"))
      report(leaf, "a leaf must not sign certificates; remove certSigning from allowedUses.");
  }
  const longestLeaf = Math.max(0, ...leaves.map((l) => l.validity ?? 0));
  const minIntermediate = longestLeaf * config.intermediateToLeafRatio;
  for (const intermediate of intermediates) {
    if (LEAF_NAME.test(intermediate.resource.name)) {
      report(intermediate, "an end-entity certificate must not be a CA; set isCaCertificate to false.");
      continue;
    }
    if (intermediate.validity !== undefined && intermediate.validity < minIntermediate) {
      report(
        intermediate,
        `intermediate validity ${intermediate.validity} h is under ${config.intermediateToLeafRatio} × the longest leaf (${minIntermediate} h); raise validityPeriodHours.`,
      );
    }
  }
  const longestIntermediate = Math.max(0, ...intermediates.map((i) => i.validity ?? 0));
  for (const root of roots) {
    if (!root.isCa) report(root, "the root must be a CA; set isCaCertificate to true.");
    if (root.validity !== undefined && root.validity < longestIntermediate) {
      report(
        root,
        `root validity ${root.validity} h is under the longest intermediate (${longestIntermediate} h); raise validityPeriodHours.`,
      );
    }
  }
  for (const ca of [...roots, ...intermediates]) {
    if (ca.isCa && !ca.uses.includes("certSigning")) report(ca, "a CA needs certSigning in allowedUses; add it.");
  }
  return violations;
}

export const certLifetimes = stackRule(
  {
    name: "lucid-pki-cert-lifetimes",
    description: "Keep certificate lifetimes nested (root ≥ intermediate ≥ 3 × leaf) with short, early-renewed leaves.",
    severity: "high",
    defaults: certLifetimesDefaults,
    configSchema: {
      properties: {
        maxLeafValidityHours: {
          type: "integer",
          minimum: 1,
          default: certLifetimesDefaults.maxLeafValidityHours,
          description: "Longest acceptable leaf certificate validity, in hours.",
        },
        minEarlyRenewalFraction: {
          type: "number",
          minimum: 0,
          maximum: 1,
          default: certLifetimesDefaults.minEarlyRenewalFraction,
          description: "Leaves renew with at least this fraction of their validity left.",
        },
        intermediateToLeafRatio: {
          type: "number",
          minimum: 1,
          default: certLifetimesDefaults.intermediateToLeafRatio,
          description: "Intermediates live at least this many times the longest leaf.",
        },
      },
    },
  },
  checkCertLifetimes,
);
