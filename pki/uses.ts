/** `allowedUses` per certificate kind, in the tls provider's vocabulary (key usage and extended key usage mixed). */
import { isRsa, type KeyAlgorithm } from "./keys";

export type AllowedUse =
  "certSigning" | "crlSigning" | "digitalSignature" | "keyEncipherment" | "serverAuth" | "clientAuth";

/** Root and intermediates sign certificates and CRLs; digitalSignature lets them sign OCSP responses too. */
export function caAllowedUses(): AllowedUse[] {
  return ["certSigning", "crlSigning", "digitalSignature"];
}

/**
 * An X.509-SVID is used on both ends of mTLS: serverAuth and clientAuth, key usage digitalSignature.
 * RSA keys also get keyEncipherment, which RSA key exchange needs; on ECDSA it is meaningless and some verifiers
 * reject it, so it is left out there.
 */
export function leafAllowedUses(keyAlgorithm: KeyAlgorithm): AllowedUse[] {
  const uses: AllowedUse[] = ["digitalSignature", "serverAuth", "clientAuth"];
  return isRsa(keyAlgorithm) ? [...uses, "keyEncipherment"] : uses;
}

/** Consul servers accept RPC (server) and dial each other (client), so they need the same uses as a leaf. */
export function consulServerAllowedUses(keyAlgorithm: KeyAlgorithm): AllowedUse[] {
  return leafAllowedUses(keyAlgorithm);
}
