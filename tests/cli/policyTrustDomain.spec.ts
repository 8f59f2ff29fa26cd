/**
 * Issue 20 item 5: a stack whose trustDomain the policy config does not enforce is refused up front with both
 * settings named, instead of 26 "outside the trust domain" violations that tell the user to re-issue every leaf.
 * The policy config is not rewritten from the stack: it pins the trust domain for review, and the real
 * `pulumi preview --policy-pack-config` reads the same file.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { checkPolicyTrustDomain, loadPolicyConfig, PolicyConfigError } from "../../cli/render/input";
import { PROJECT_DIR } from "./helpers";

const PROD = loadPolicyConfig(path.join(PROJECT_DIR, "policies", "config", "prod.json"));

describe("render input: the policy config's trust domain against the stack's", () => {
  it("accepts the stack's trust domain", () => {
    assert.doesNotThrow(() => checkPolicyTrustDomain(PROD, "prod.json", "lucid.mesh"));
  });

  it("names every rule that pins it, both values and the two ways out", () => {
    assert.throws(
      () => checkPolicyTrustDomain(PROD, "policies/config/prod.json", "acme.internal"),
      (e: unknown) =>
        e instanceof PolicyConfigError &&
        e.message ===
          'the stack\'s trustDomain is acme.internal, but policy config policies/config/prod.json enforces lucid.mesh ("lucid-envoy-mtls-required".trustDomain and "lucid-envoy-rbac-default-deny".trustDomain and "lucid-envoy-rbac-matches-intentions".trustDomain and "lucid-pki-spiffe-identity".trustDomain). ' +
            'Fix: set "lucid-envoy-mtls-required".trustDomain and "lucid-envoy-rbac-default-deny".trustDomain and "lucid-envoy-rbac-matches-intentions".trustDomain and "lucid-pki-spiffe-identity".trustDomain to "acme.internal" in policies/config/prod.json (or pass --policy-config with a file that does), or set trustDomain: lucid.mesh in the stack',
    );
  });

  it("uses a rule's default when the config omits the setting, and skips a disabled rule", () => {
    assert.throws(
      () => checkPolicyTrustDomain({ "lucid-pki-spiffe-identity": "mandatory" }, "x.json", "acme.internal"),
      /enforces lucid\.mesh \("lucid-envoy-mtls-required"\.trustDomain and "lucid-envoy-rbac-default-deny"\.trustDomain and "lucid-envoy-rbac-matches-intentions"\.trustDomain and "lucid-pki-spiffe-identity"\.trustDomain\)/,
    );
    const matching = {
      "lucid-pki-spiffe-identity": { enforcementLevel: "mandatory" as const, trustDomain: "acme.internal" },
      "lucid-envoy-rbac-default-deny": "disabled" as const,
      "lucid-envoy-mtls-required": "disabled" as const,
      "lucid-envoy-rbac-matches-intentions": { enforcementLevel: "advisory" as const, trustDomain: "acme.internal" },
    };
    assert.doesNotThrow(() => checkPolicyTrustDomain(matching, "x.json", "acme.internal"));
  });
});
