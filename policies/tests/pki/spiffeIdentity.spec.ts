import { strict as assert } from "node:assert";
import { checkSpiffeIdentity, spiffeIdentity, spiffeIdentityDefaults } from "../../rules/pki/spiffeIdentity";
import { certRequestPem, leafSans, leafSubject } from "../../../pki";
import { byName, leafKeyPem, mesh, pkiResources } from "../fixtures/mesh";
import { runResourcePolicy } from "../../../simulate/policyRunner";

const CSR = "east-api-gateway-leaf-csr";
const ID = "spiffe://lucid.mesh/ns/lucid/dc/east/svc/api-gateway";
const csr = (uris: unknown[]) => ({ type: "tls:index/certRequest:CertRequest", name: CSR, props: { uris } });
const check = (uris: unknown[]): string[] => checkSpiffeIdentity(csr(uris), spiffeIdentityDefaults);

const LEAF = "east-api-gateway-leaf";
/** A leaf LocallySignedCert whose program-built request asks for these URI SANs. */
const leafCert = (uris: string[]) => ({
  type: "tls:index/locallySignedCert:LocallySignedCert",
  name: LEAF,
  props: {
    certRequestPem: certRequestPem(leafKeyPem(), {
      subject: leafSubject(mesh, "east", "api-gateway"),
      sans: { ...leafSans(mesh, "east", "api-gateway"), uris },
    }),
  },
});

describe("lucid-pki-spiffe-identity", () => {
  it("passes the generated leaf, whose request the program builds", async () => {
    const leaf = byName(pkiResources(), LEAF);
    assert.deepEqual((await runResourcePolicy(spiffeIdentity, leaf)).violations, []);
  });

  it("reads a leaf certificate's certRequestPem: fails one with two SPIFFE IDs, or from another trust domain", () => {
    assert.deepEqual(checkSpiffeIdentity(leafCert([ID]), spiffeIdentityDefaults), []);
    assert.deepEqual(checkSpiffeIdentity(leafCert([ID, `${ID}-2`]), spiffeIdentityDefaults), [
      "the leaf has 2 spiffe:// URI SANs; put exactly one (spiffe://lucid.mesh/ns/<ns>/dc/<dc>/svc/<service>) in uris.",
    ]);
    assert.deepEqual(
      checkSpiffeIdentity(leafCert(["spiffe://evil.mesh/ns/lucid/dc/east/svc/api-gateway"]), spiffeIdentityDefaults),
      [
        "spiffe://evil.mesh/ns/lucid/dc/east/svc/api-gateway is outside the trust domain lucid.mesh; issue the leaf an ID under spiffe://lucid.mesh/.",
      ],
    );
  });

  it("waits for a leaf's request while it is unknown (a preview), and fails one that is not a CSR", () => {
    const unknown = { ...leafCert([ID]), props: {} };
    assert.deepEqual(checkSpiffeIdentity(unknown, spiffeIdentityDefaults), []);
    const garbled = {
      ...leafCert([ID]),
      props: { certRequestPem: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n" },
    };
    assert.equal(checkSpiffeIdentity(garbled, spiffeIdentityDefaults).length, 1);
    // Intermediates and Consul server certificates are not leaves.
    assert.deepEqual(checkSpiffeIdentity({ ...garbled, name: "east-intermediate" }, spiffeIdentityDefaults), []);
  });

  it("still checks a leaf CertRequest (<cluster>-<service>-leaf-csr), should one be declared", async () => {
    assert.deepEqual((await runResourcePolicy(spiffeIdentity, csr([ID]))).violations, []);
  });

  it("ignores CSRs that are not leaves", () => {
    assert.deepEqual(
      checkSpiffeIdentity(
        { type: "tls:index/certRequest:CertRequest", name: "east-intermediate-csr", props: {} },
        spiffeIdentityDefaults,
      ),
      [],
    );
  });

  it("fails a leaf with no SPIFFE ID, or two", () => {
    assert.deepEqual(check([]), [
      "the leaf has 0 spiffe:// URI SANs; put exactly one (spiffe://lucid.mesh/ns/<ns>/dc/<dc>/svc/<service>) in uris.",
    ]);
    assert.deepEqual(check([ID, `${ID}-2`]), [
      "the leaf has 2 spiffe:// URI SANs; put exactly one (spiffe://lucid.mesh/ns/<ns>/dc/<dc>/svc/<service>) in uris.",
    ]);
  });

  it("fails an ID from another trust domain, and honours the configured one", async () => {
    assert.deepEqual(check(["spiffe://evil.mesh/ns/lucid/dc/east/svc/api-gateway"]), [
      "spiffe://evil.mesh/ns/lucid/dc/east/svc/api-gateway is outside the trust domain lucid.mesh; issue the leaf an ID under spiffe://lucid.mesh/.",
    ]);
    const result = await runResourcePolicy(spiffeIdentity, csr([ID]), { config: { trustDomain: "other.mesh" } });
    assert.equal(result.violations.length, 1);
  });

  it("fails an ID without a workload path", () => {
    assert.deepEqual(check(["spiffe://lucid.mesh/"]), [
      "spiffe://lucid.mesh/ has no workload path; use spiffe://lucid.mesh/ns/<ns>/dc/<dc>/svc/<service>.",
    ]);
  });
});
