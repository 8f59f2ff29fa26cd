import { strict as assert } from "node:assert";
import { checkKeyStrength, keyStrength, keyStrengthDefaults } from "../../rules/pki/keyStrength";
import { runResourcePolicy } from "../../../simulate/policyRunner";

const key = (props: Record<string, unknown>) => ({ type: "tls:index/privateKey:PrivateKey", name: "k", props });
const check = (props: Record<string, unknown>): string[] => checkKeyStrength(key(props), keyStrengthDefaults);

describe("lucid-pki-key-strength", () => {
  it("passes ECDSA P-256/P-384 and RSA of 2048+ bits", () => {
    assert.deepEqual(check({ algorithm: "ECDSA", ecdsaCurve: "P256" }), []);
    assert.deepEqual(check({ algorithm: "ECDSA", ecdsaCurve: "P384" }), []);
    assert.deepEqual(check({ algorithm: "RSA", rsaBits: 4096 }), []);
    assert.deepEqual(check({ algorithm: "RSA" }), [], "the provider default is 2048 bits");
  });

  it("fails ECDSA without a curve: the provider's default is P224", () => {
    assert.deepEqual(check({ algorithm: "ECDSA" }), [
      "ecdsaCurve is unset, so the provider uses P224, which Envoy rejects; set ecdsaCurve to P256 or P384.",
    ]);
  });

  it("fails a disallowed curve", () => {
    assert.deepEqual(check({ algorithm: "ECDSA", ecdsaCurve: "P521" }), [
      "ECDSA curve P521 is not allowed; set ecdsaCurve to P256 or P384.",
    ]);
  });

  it("fails short RSA keys and honours minRsaBits", async () => {
    assert.deepEqual(check({ algorithm: "RSA", rsaBits: 1024 }), [
      "RSA key of 1024 bits is too weak; set rsaBits to at least 2048.",
    ]);
    const result = await runResourcePolicy(keyStrength, key({ algorithm: "RSA", rsaBits: 2048 }), {
      config: { minRsaBits: 3072 },
    });
    assert.deepEqual(
      result.violations.map((v) => v.message),
      ["RSA key of 2048 bits is too weak; set rsaBits to at least 3072."],
    );
  });

  it("fails ED25519, which Envoy cannot serve", () => {
    assert.deepEqual(check({ algorithm: "ED25519" }), [
      "Envoy cannot serve ED25519 certificates; use algorithm ECDSA with ecdsaCurve P256 or P384.",
    ]);
  });
});
