import { resourceRule } from "../../lib/policy";
import { asNumber, asString, at } from "../../lib/props";
import type { ResourceInput } from "../../lib/types";
import { types } from "../../lib/types";

export const keyStrengthDefaults = {
  allowedCurves: ["P256", "P384"] as readonly string[],
  minRsaBits: 2048,
};
export type KeyStrengthConfig = typeof keyStrengthDefaults;

/** Keys Envoy (BoringSSL) can load and that meet the mesh's strength floor. */
export function checkKeyStrength(input: ResourceInput, config: KeyStrengthConfig): string[] {
  const algorithm = asString(at(input.props, "algorithm"));
  const allowed = config.allowedCurves.join(" or ");
  switch (algorithm) {
    case "ECDSA": {
      const curve = asString(at(input.props, "ecdsaCurve"));
      if (curve === undefined) {
        return [`ecdsaCurve is unset, so the provider uses P224, which Envoy rejects; set ecdsaCurve to ${allowed}.`];
      }
      return config.allowedCurves.includes(curve)
        ? []
        : [`ECDSA curve ${curve} is not allowed; set ecdsaCurve to ${allowed}.`];
    }
    case "RSA": {
      // The provider's default is 2048 bits.
      const bits = asNumber(at(input.props, "rsaBits")) ?? 2048;
      return bits >= config.minRsaBits
        ? []
        : [`RSA key of ${bits} bits is too weak; set rsaBits to at least ${config.minRsaBits}.`];
    }
    case "ED25519":
      return [`Envoy cannot serve ED25519 certificates; use algorithm ECDSA with ecdsaCurve ${allowed}.`];
    default:
      return [`unknown key algorithm ${String(algorithm)}; use ECDSA with ecdsaCurve ${allowed}.`];
  }
}

export const keyStrength = resourceRule(
  {
    name: "lucid-pki-key-strength",
    description: "Require private keys Envoy can use: ECDSA P-256/P-384 or RSA of at least 2048 bits.",
    severity: "high",
    appliesTo: [types.privateKey],
    defaults: keyStrengthDefaults,
    configSchema: {
      properties: {
        allowedCurves: {
          type: "array",
          items: { type: "string", enum: ["P256", "P384", "P521"] },
          minItems: 1,
          default: [...keyStrengthDefaults.allowedCurves],
          description: "ECDSA curves accepted.",
        },
        minRsaBits: {
          type: "integer",
          minimum: 2048,
          default: keyStrengthDefaults.minRsaBits,
          description: "Smallest RSA modulus accepted.",
        },
      },
    },
  },
  checkKeyStrength,
);
