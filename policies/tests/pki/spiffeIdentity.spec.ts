import { strict as assert } from "node:assert";
import { checkSpiffeIdentity, spiffeIdentity, spiffeIdentityDefaults } from "../../rules/pki/spiffeIdentity";
import { byName, pkiResources } from "../fixtures/mesh";
import { runResourcePolicy } from "../../../simulate/policyRunner";

const CSR = "east-api-gateway-leaf-csr";
const ID = "spiffe://lucid.mesh/ns/lucid/dc/east/svc/api-gateway";
const csr = (uris: unknown[]) => ({ type: "tls:index/certRequest:CertRequest", name: CSR, props: { uris } });
const check = (uris: unknown[]): string[] => checkSpiffeIdentity(csr(uris), spiffeIdentityDefaults);

describe("lucid-pki-spiffe-identity", () => {
  it("passes the generated leaf CSR", async () => {
    const leaf = byName(pkiResources(), CSR);
    assert.deepEqual(leaf.props.uris, [ID]);
    assert.deepEqual((await runResourcePolicy(spiffeIdentity, leaf)).violations, []);
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
