/** Private key settings for the tls provider, from `security.keyAlgorithm`. */
import type { SecurityConfig } from "../model";

export type KeyAlgorithm = SecurityConfig["keyAlgorithm"];

/**
 * `tls.PrivateKey` args. `ecdsaCurve` is always set for ECDSA: the provider's default is P224, which Envoy
 * (BoringSSL) rejects, so leaving it out would deploy keys no sidecar can load.
 */
export type PrivateKeySettings =
  | { readonly algorithm: "ECDSA"; readonly ecdsaCurve: "P256" | "P384" }
  | { readonly algorithm: "RSA"; readonly rsaBits: 2048 | 4096 };

export function keySettings(keyAlgorithm: KeyAlgorithm): PrivateKeySettings {
  switch (keyAlgorithm) {
    case "ECDSA-P256":
      return { algorithm: "ECDSA", ecdsaCurve: "P256" };
    case "ECDSA-P384":
      return { algorithm: "ECDSA", ecdsaCurve: "P384" };
    case "RSA-2048":
      return { algorithm: "RSA", rsaBits: 2048 };
    case "RSA-4096":
      return { algorithm: "RSA", rsaBits: 4096 };
  }
}

export function isRsa(keyAlgorithm: KeyAlgorithm): boolean {
  return keySettings(keyAlgorithm).algorithm === "RSA";
}
