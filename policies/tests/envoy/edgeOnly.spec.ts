import { strict as assert } from "node:assert";
import { checkEdgeOnly, edgeOnly, edgeOnlyDefaults } from "../../rules/envoy/edgeOnly";
import type { Json } from "../../lib/props";
import { editEnvoy, gatewayConfigMap, named, sidecarConfigMap, sidecarContainer } from "../fixtures/mesh";
import { runResourcePolicy } from "../../../simulate/policyRunner";

const EDGE = { edgeServices: ["api-gateway"] };

function chain(document: Json, listener: string): Json {
  return (named(document, listener).filter_chains as Json[])[0] as Json;
}

function hcm(document: Json, listener: string): Json {
  return ((chain(document, listener).filters as Json[]).at(-1) as Json).typed_config as Json;
}

describe("lucid-envoy-edge-only", () => {
  it("passes the generated edge service (api-gateway, listed as edge), as a container and a ConfigMap, and the gateway", async () => {
    assert.deepEqual(checkEdgeOnly(sidecarContainer(), EDGE), []);
    assert.deepEqual(checkEdgeOnly(sidecarConfigMap(), EDGE), []);
    assert.deepEqual(checkEdgeOnly(gatewayConfigMap(), edgeOnlyDefaults), []);
    assert.deepEqual((await runResourcePolicy(edgeOnly, sidecarContainer(), { config: EDGE })).violations, []);
  });

  it("fails a listener without client certificates on a service the config does not list as edge", async () => {
    const expected = [
      'listener "edge" filter chain 0 accepts clients without certificates, but api-gateway is not an edge service; set require_client_certificate: true, or list the service under edgeServices in the policy config.',
    ];
    assert.deepEqual(checkEdgeOnly(sidecarContainer(), edgeOnlyDefaults), expected);
    const result = await runResourcePolicy(edgeOnly, sidecarConfigMap(), { enforcementLevel: "mandatory" });
    assert.deepEqual(
      result.violations.map((v) => v.message),
      expected,
    );
  });

  it("fails the mTLS inbound listener once it stops requiring client certificates, even on an edge service", () => {
    const r = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
      ((chain(d, "inbound").transport_socket as Json).typed_config as Json).require_client_certificate = false;
    });
    // On the edge service the listener is allowed, but it must not forward the client's XFCC: the inbound's
    // SANITIZE_SET sets it from the verified peer, and with no client certificate there is none to set.
    assert.deepEqual(checkEdgeOnly(r, EDGE), [
      'listener "inbound" filter chain 0 sets forward_client_cert_details SANITIZE_SET, so a client\'s own x-forwarded-client-cert reaches the app; leave it unset (SANITIZE).',
    ]);
  });

  for (const mode of ["FORWARD_ONLY", "APPEND_FORWARD", "ALWAYS_FORWARD_ONLY"]) {
    it(`fails an edge listener that overrides SANITIZE with ${mode}`, () => {
      const r = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
        hcm(d, "edge").forward_client_cert_details = mode;
      });
      assert.deepEqual(checkEdgeOnly(r, EDGE), [
        `listener "edge" filter chain 0 sets forward_client_cert_details ${mode}, so a client's own x-forwarded-client-cert reaches the app; leave it unset (SANITIZE).`,
      ]);
    });
  }

  it("accepts an explicit SANITIZE on the edge", () => {
    const r = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
      hcm(d, "edge").forward_client_cert_details = "SANITIZE";
    });
    assert.deepEqual(checkEdgeOnly(r, EDGE), []);
  });

  it("is not applicable to other resource types", async () => {
    const result = await runResourcePolicy(edgeOnly, { type: "tls:index/privateKey:PrivateKey", name: "k", props: {} });
    assert.match(result.notApplicable ?? "", /applies only to/);
  });
});
