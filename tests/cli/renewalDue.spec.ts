/**
 * cli/renewal/due.ts: which certificates in a `pulumi stack export` are due, by the tls provider's own rule
 * (hashicorp/terraform-provider-tls internal/provider/common_cert.go, modifyPlanIfCertificateReadyForRenewal:
 * due once `validity_end_time - early_renewal_hours` is not after now; modifyStateIfCertificateReadyForRenewal sets
 * `ready_for_renewal` in state on Read).
 */
import { strict as assert } from "node:assert";
import { certificatesDue } from "../../cli/renewal/due";

const LEAF = "tls:index/locallySignedCert:LocallySignedCert";
const ROOT = "tls:index/selfSignedCert:SelfSignedCert";

function state(resources: unknown[]): unknown {
  return { version: 3, deployment: { manifest: {}, resources } };
}

function cert(type: string, name: string, outputs: Record<string, unknown>): Record<string, unknown> {
  return { urn: `urn:pulumi:prod::lucid-mesh::${type}::${name}`, type, outputs };
}

describe("certificates due for renewal (pulumi stack export)", () => {
  const now = new Date("2027-03-01T00:00:00Z");

  it("is due once validityEndTime minus earlyRenewalHours has passed, and not before", () => {
    const exported = state([
      // 90 days, renew 30 days early: the window opened on 2027-02-28.
      cert(LEAF, "due", { validityEndTime: "2027-03-30T00:00:00Z", earlyRenewalHours: 720, readyForRenewal: false }),
      // The window opens exactly now: the provider's `timeToEarlyRenewal <= 0` renews it.
      cert(LEAF, "edge", { validityEndTime: "2027-03-31T00:00:00Z", earlyRenewalHours: 720, readyForRenewal: false }),
      cert(LEAF, "later", { validityEndTime: "2027-04-15T00:00:00Z", earlyRenewalHours: 720, readyForRenewal: false }),
      cert(ROOT, "flagged", { validityEndTime: "2036-01-01T00:00:00Z", earlyRenewalHours: 0, readyForRenewal: true }),
      cert("tls:index/privateKey:PrivateKey", "key", { validityEndTime: "2000-01-01T00:00:00Z" }),
    ]);
    assert.deepEqual(certificatesDue(exported, now), [
      { urn: `urn:pulumi:prod::lucid-mesh::${LEAF}::due`, since: "2027-02-28T00:00:00.000Z" },
      { urn: `urn:pulumi:prod::lucid-mesh::${LEAF}::edge`, since: "2027-03-01T00:00:00.000Z" },
      { urn: `urn:pulumi:prod::lucid-mesh::${ROOT}::flagged`, since: "ready" },
    ]);
  });

  it("reads the provider's RFC 3339 times with fractions and offsets, and ignores pending deletes", () => {
    const exported = state([
      cert(LEAF, "offset", { validityEndTime: "2027-03-01T01:30:00.123456+02:00", earlyRenewalHours: 0 }),
      { ...cert(LEAF, "deleted", { validityEndTime: "2000-01-01T00:00:00Z", earlyRenewalHours: 0 }), delete: true },
    ]);
    assert.deepEqual(
      certificatesDue(exported, now).map((c) => c.urn.split("::").pop()),
      ["offset"],
    );
    assert.deepEqual(certificatesDue({}, now), []);
  });
});
