/** Rotation: the early-renewal point, the provider's readyForRenewal, and a re-issued leaf under the same root. */
import { strict as assert } from "node:assert";
import { X509Certificate } from "node:crypto";
import { caAllowedUses, isDueForRenewal, leafAllowedUses, leafSans, renewalPoint, validityPlan } from "../../pki";
import {
  createCertRequest,
  createLocallySignedCert,
  createSelfSignedCert,
  createTlsModels,
  generatePrivateKey,
  readyForRenewal,
  TLS_TYPES,
} from "../../simulate/tls";
import { ModelSession, type ProviderModel } from "../../simulate/recorder";
import { loadMesh } from "./fixtures";

const HOUR = 3_600_000;

describe("certificate rotation", () => {
  const mesh = loadMesh("dev");
  const plan = validityPlan(mesh);
  const t0 = new Date("2031-03-01T00:00:00Z");
  let clock = t0;
  const models = createTlsModels({ now: () => clock });
  const signLeaf = models[TLS_TYPES.locallySignedCert] as ProviderModel;
  let rootPem: string;
  let interPem: string;
  let interKeyPem: string;

  const csrFor = async (): Promise<string> => {
    const key = await generatePrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    return (await createCertRequest({ privateKeyPem: key.privateKeyPem, ...leafSans(mesh, "east", "api-gateway") }))
      .certRequestPem;
  };

  const issueLeaf = async (): Promise<Record<string, unknown>> => {
    const result = await signLeaf({
      type: TLS_TYPES.locallySignedCert,
      name: "east-api-gateway-leaf",
      stack: "test",
      session: new ModelSession(),
      inputs: {
        certRequestPem: await csrFor(),
        caCertPem: interPem,
        caPrivateKeyPem: interKeyPem,
        allowedUses: leafAllowedUses("ECDSA-P256"),
        isCaCertificate: false,
        ...plan.leaf,
      },
    });
    return result.outputs;
  };

  before(async () => {
    const rootKey = await generatePrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    const root = await createSelfSignedCert(
      {
        privateKeyPem: rootKey.privateKeyPem,
        allowedUses: caAllowedUses(),
        isCaCertificate: true,
        subject: { commonName: "root" },
        ...plan.root,
      },
      { now: t0 },
    );
    const interKey = await generatePrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    const interCsr = await createCertRequest({
      privateKeyPem: interKey.privateKeyPem,
      subject: { commonName: "east" },
    });
    const inter = await createLocallySignedCert(
      {
        certRequestPem: interCsr.certRequestPem,
        caCertPem: root.certPem,
        caPrivateKeyPem: rootKey.privateKeyPem,
        allowedUses: caAllowedUses(),
        isCaCertificate: true,
        ...plan.intermediate,
      },
      { now: t0 },
    );
    rootPem = root.certPem;
    interPem = inter.certPem;
    interKeyPem = interKey.privateKeyPem;
  });

  it("is not ready for renewal when issued, and becomes ready once the clock passes the early-renewal point", async () => {
    clock = t0;
    const first = await issueLeaf();
    assert.equal(first.readyForRenewal, false);
    const notAfter = new Date(first.validityEndTime as string);
    assert.equal(notAfter.getTime() - t0.getTime(), plan.leaf.validityPeriodHours * HOUR);
    const point = renewalPoint(notAfter, plan.leaf.earlyRenewalHours);
    assert.equal(point.toISOString(), "2031-04-30T00:00:00.000Z", "60 days in: a third before the 90-day expiry");

    const justBefore = new Date(point.getTime() - 1000);
    assert.equal(isDueForRenewal(notAfter, plan.leaf.earlyRenewalHours, justBefore), false);
    assert.equal(
      readyForRenewal({ validityEndTime: first.validityEndTime as string, ...plan.leaf }, justBefore),
      false,
    );
    assert.equal(isDueForRenewal(notAfter, plan.leaf.earlyRenewalHours, point), true);
    assert.equal(readyForRenewal({ validityEndTime: first.validityEndTime as string, ...plan.leaf }, point), true);
  });

  it("reports readyForRenewal from the model when a certificate is issued inside its own renewal window", async () => {
    clock = t0;
    const result = await signLeaf({
      type: TLS_TYPES.locallySignedCert,
      name: "short",
      stack: "test",
      session: new ModelSession(),
      inputs: {
        certRequestPem: await csrFor(),
        caCertPem: interPem,
        caPrivateKeyPem: interKeyPem,
        allowedUses: leafAllowedUses("ECDSA-P256"),
        validityPeriodHours: 24,
        earlyRenewalHours: 24,
      },
    });
    assert.equal(result.outputs.readyForRenewal, true);
  });

  it("re-issues a leaf after the renewal point that still verifies against the unchanged root", async () => {
    clock = t0;
    const first = await issueLeaf();
    clock = new Date(t0.getTime() + (plan.leaf.validityPeriodHours - plan.leaf.earlyRenewalHours) * HOUR + HOUR);
    const second = await issueLeaf();
    assert.equal(second.readyForRenewal, false);
    assert.notEqual(second.certPem, first.certPem);
    assert.ok(new Date(second.validityEndTime as string) > new Date(first.validityEndTime as string));
    const root = new X509Certificate(rootPem);
    const inter = new X509Certificate(interPem);
    const leaf = new X509Certificate(second.certPem as string);
    assert.ok(leaf.checkIssued(inter) && leaf.verify(inter.publicKey));
    assert.ok(inter.checkIssued(root) && inter.verify(root.publicKey));
    // The intermediate renews a third early too, so it outlives every leaf it signs before then.
    assert.ok(new Date(inter.validTo) > new Date(leaf.validTo));
  });
});
