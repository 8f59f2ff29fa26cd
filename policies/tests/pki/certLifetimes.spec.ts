import { strict as assert } from "node:assert";
import { certLifetimes } from "../../rules/pki/certLifetimes";
import { byName, pkiResources } from "../fixtures/mesh";
import type { ResourceUnderTest } from "../../../simulate/policyRunner";
import { runStackPolicy } from "../../../simulate/policyRunner";

async function messages(resources: ResourceUnderTest[], config?: Record<string, unknown>): Promise<string[]> {
  const result = await runStackPolicy(certLifetimes, resources, config ? { config } : {});
  return result.violations.map((v) => v.message);
}

function edit(name: string, change: (props: Record<string, unknown>) => void): ResourceUnderTest[] {
  const resources = pkiResources();
  change(byName(resources, name).props);
  return resources;
}

describe("lucid-pki-cert-lifetimes", () => {
  it("passes the PKI plan of the dev stack (90 d leaves renewed 30 d early, 365 d intermediate, 3650 d root)", async () => {
    assert.deepEqual(await messages(pkiResources()), []);
  });

  it("fails a leaf that lives longer than the maximum (and so outgrows its intermediate)", async () => {
    const resources = edit("east-api-gateway-leaf", (p) => {
      p.validityPeriodHours = 4320;
      p.earlyRenewalHours = 1440;
    });
    assert.deepEqual(await messages(resources), [
      "east-api-gateway-leaf: leaf validity 4320 h exceeds 2160 h; shorten validityPeriodHours.",
      "east-intermediate: intermediate validity 8760 h is under 3 × the longest leaf (12960 h); raise validityPeriodHours.",
    ]);
  });

  it("reports the violation against the certificate's URN", async () => {
    const resources = edit("east-api-gateway-leaf", (p) => {
      p.earlyRenewalHours = 24;
    });
    const result = await runStackPolicy(certLifetimes, resources);
    assert.deepEqual(result.violations, [
      {
        policy: "lucid-pki-cert-lifetimes",
        level: "mandatory",
        urn: byName(resources, "east-api-gateway-leaf").urn,
        message: "east-api-gateway-leaf: earlyRenewalHours 24 is under 720 h; set earlyRenewalHours to at least 720.",
      },
    ]);
  });

  it("fails an intermediate shorter than 3 × the longest leaf", async () => {
    const resources = edit("east-intermediate", (p) => {
      p.validityPeriodHours = 4000;
    });
    assert.deepEqual(await messages(resources), [
      "east-intermediate: intermediate validity 4000 h is under 3 × the longest leaf (6480 h); raise validityPeriodHours.",
    ]);
  });

  it("fails a root that expires before an intermediate", async () => {
    const resources = edit("lucid-root", (p) => {
      p.validityPeriodHours = 8000;
    });
    assert.deepEqual(await messages(resources), [
      "lucid-root: root validity 8000 h is under the longest intermediate (8760 h); raise validityPeriodHours.",
    ]);
  });

  it("fails a leaf that can sign, and a leaf made a CA", async () => {
    const signing = edit("east-api-gateway-leaf", (p) => {
      p.allowedUses = ["digitalSignature", "certSigning"];
    });
    assert.deepEqual(await messages(signing), [
      "east-api-gateway-leaf: a leaf must not sign certificates; remove certSigning from allowedUses.",
    ]);
    const ca = edit("east-api-gateway-leaf", (p) => {
      p.isCaCertificate = true;
      p.allowedUses = ["certSigning"];
    });
    assert.deepEqual(await messages(ca), [
      "east-api-gateway-leaf: an end-entity certificate must not be a CA; set isCaCertificate to false.",
    ]);
  });

  it("fails a CA without certSigning", async () => {
    const resources = edit("east-intermediate", (p) => {
      p.allowedUses = ["crlSigning"];
    });
    assert.deepEqual(await messages(resources), ["east-intermediate: a CA needs certSigning in allowedUses; add it."]);
  });

  it("uses the configured leaf maximum", async () => {
    assert.deepEqual(await messages(pkiResources(), { maxLeafValidityHours: 720 }), [
      "east-api-gateway-leaf: leaf validity 2160 h exceeds 720 h; shorten validityPeriodHours.",
    ]);
  });
});
