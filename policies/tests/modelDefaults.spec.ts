import { strict as assert } from "node:assert";
import { meshConfigSchema, sidecarSchema } from "../../model/schema";
import { meshLabelKeys } from "../../model/names";
import { meshLabels, SECRET_FILES_LABEL } from "../../components/labels";
import { clusterLabel, roleLabel, serviceLabel } from "../lib/props";
import { adminLoopbackDefaults } from "../rules/envoy/adminLoopback";
import { mtlsRequiredDefaults } from "../rules/envoy/mtlsRequired";
import { rateLimitsSetDefaults } from "../rules/envoy/rateLimitsSet";
import { rbacDefaultDenyDefaults } from "../rules/envoy/rbacDefaultDeny";
import { rbacMatchesIntentionsDefaults } from "../rules/envoy/rbacMatchesIntentions";
import { spiffeIdentityDefaults } from "../rules/pki/spiffeIdentity";

// The pack's defaults apply where a rule cannot read the stack (a Kubernetes Service, a CSR): they must be the
// stack schema's own defaults, and the labels it reads the ones the components write.
describe("policy pack: defaults and labels are the model's", () => {
  const sidecar = sidecarSchema.parse({});
  const trustDomain = meshConfigSchema.shape.trustDomain.parse(undefined);

  it("sidecar port defaults match the stack schema's", () => {
    assert.equal(adminLoopbackDefaults.adminPort, sidecar.adminPort);
    for (const defaults of [
      mtlsRequiredDefaults,
      rateLimitsSetDefaults,
      rbacDefaultDenyDefaults,
      rbacMatchesIntentionsDefaults,
    ]) {
      assert.equal(defaults.proxyPort, sidecar.proxyPort);
    }
    assert.equal(mtlsRequiredDefaults.healthPort, sidecar.healthPort);
  });

  it("trust domain defaults match the stack schema's", () => {
    for (const defaults of [
      mtlsRequiredDefaults,
      rbacDefaultDenyDefaults,
      rbacMatchesIntentionsDefaults,
      spiffeIdentityDefaults,
    ]) {
      assert.equal(defaults.trustDomain, trustDomain);
    }
  });

  it("reads the label keys the components write", () => {
    const written = meshLabels("sidecar", "east", "api");
    assert.equal(written[roleLabel], "sidecar");
    assert.equal(written[clusterLabel], "east");
    assert.equal(written[serviceLabel], "api");
    assert.equal(SECRET_FILES_LABEL, meshLabelKeys.secretFiles);
    assert.equal(SECRET_FILES_LABEL, "lucid.mesh/secret-files");
  });
});
