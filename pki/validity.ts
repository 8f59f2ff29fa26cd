/**
 * Validity and renewal maths for the mesh PKI, in hours (the unit the tls provider takes).
 *
 * Why a third: a leaf renews a third of its life before expiry, and an intermediate lives at least three leaf
 * lifetimes and also renews a third early, so an intermediate that is about to be renewed still outlives every
 * leaf it has signed. The root outlives the intermediates for the same reason.
 */
import { createHash } from "node:crypto";
import type { Mesh } from "../model";

export const HOURS_PER_DAY = 24;
const MS_PER_HOUR = 3_600_000;

/** How long a certificate lives and how long before expiry it asks to be replaced. */
export interface Validity {
  readonly validityPeriodHours: number;
  readonly earlyRenewalHours: number;
}

/** Validities of every tier of the mesh PKI. */
export interface ValidityPlan {
  readonly root: Validity;
  readonly intermediate: Validity;
  readonly leaf: Validity;
  /** Consul server certificates follow the leaf cadence: they are leaves of the cluster intermediate. */
  readonly consulServer: Validity;
}

export function daysToHours(days: number): number {
  return days * HOURS_PER_DAY;
}

/** A third of the validity, rounded up to whole days: the default early-renewal window. */
export function defaultEarlyRenewalDays(validityDays: number): number {
  return Math.ceil(validityDays / 3);
}

function validity(validityDays: number, earlyRenewalDays: number): Validity {
  return { validityPeriodHours: daysToHours(validityDays), earlyRenewalHours: daysToHours(earlyRenewalDays) };
}

/** Every problem with a plan, as messages naming the `security.*` field and the limit. Empty when sound. */
export function validityProblems(plan: ValidityPlan): string[] {
  const problems: string[] = [];
  const { root, intermediate, leaf } = plan;
  if (leaf.validityPeriodHours * 3 > intermediate.validityPeriodHours) {
    problems.push(
      `leaf validity ${leaf.validityPeriodHours}h must be at most a third of the intermediate's ` +
        `${intermediate.validityPeriodHours}h: raise security.intermediateValidityDays or lower certValidityDays`,
    );
  }
  if (intermediate.validityPeriodHours > root.validityPeriodHours) {
    problems.push(
      `intermediate validity ${intermediate.validityPeriodHours}h must not exceed the root's ` +
        `${root.validityPeriodHours}h: raise security.rootValidityDays`,
    );
  }
  for (const [tier, v] of Object.entries(plan) as [string, Validity][]) {
    if (v.earlyRenewalHours <= 0 || v.earlyRenewalHours >= v.validityPeriodHours) {
      problems.push(
        `${tier} early renewal ${v.earlyRenewalHours}h must be positive and shorter than its validity ` +
          `${v.validityPeriodHours}h: lower security.earlyRenewalDays`,
      );
    }
  }
  return problems;
}

/** Throws once, listing every problem, when the plan breaks the chain's lifetime rules. */
export function assertValidityPlan(plan: ValidityPlan): ValidityPlan {
  const problems = validityProblems(plan);
  if (problems.length > 0) throw new Error(`invalid PKI validity plan:\n  - ${problems.join("\n  - ")}`);
  return plan;
}

/**
 * The validities from the resolved mesh. The model has validated the config already; this re-checks the
 * derived hours so a change to either side cannot silently produce a chain whose leaves outlive their issuer.
 */
export function validityPlan(mesh: Mesh): ValidityPlan {
  const s = mesh.security;
  const leaf = validity(s.certValidityDays, s.earlyRenewalDays);
  return assertValidityPlan({
    root: validity(s.rootValidityDays, defaultEarlyRenewalDays(s.rootValidityDays)),
    intermediate: validity(s.intermediateValidityDays, defaultEarlyRenewalDays(s.intermediateValidityDays)),
    leaf,
    consulServer: leaf,
  });
}

/** The moment a certificate asks to be replaced: `earlyRenewalHours` before `notAfter`. */
export function renewalPoint(notAfter: Date, earlyRenewalHours: number): Date {
  return new Date(notAfter.getTime() - earlyRenewalHours * MS_PER_HOUR);
}

/**
 * Whether a certificate is inside its early-renewal window (or expired), as the tls provider's
 * `readyForRenewal` is computed: `now ≥ notAfter − earlyRenewalHours`.
 */
export function isDueForRenewal(notAfter: Date, earlyRenewalHours: number, now: Date): boolean {
  return now.getTime() >= renewalPoint(notAfter, earlyRenewalHours).getTime();
}

/**
 * A certificate's own early-renewal window: the tier's window plus a stable, per-identity share of half of it, in
 * whole hours. Every leaf is issued by the same first `up`, so with one window they would all renew on the same
 * night; spread this way they renew over half a window of nights, and each keeps its offset from then on. A longer
 * window only renews earlier, so the chain rules above still hold (the tier's window stays the minimum).
 * `early_renewal_hours` updates in place (hashicorp/terraform-provider-tls resource_locally_signed_cert.go: no
 * RequiresReplace), so adopting the spread replaces nothing.
 */
export function spreadRenewal(tier: Validity, identity: string): Validity {
  const spreadHours = Math.floor(tier.earlyRenewalHours / 2);
  if (spreadHours <= 0) return tier;
  const offset = createHash("sha256").update(identity).digest().readUInt32BE(0) % (spreadHours + 1);
  return { ...tier, earlyRenewalHours: tier.earlyRenewalHours + offset };
}
