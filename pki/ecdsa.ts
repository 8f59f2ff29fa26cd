/**
 * ECDSA with RFC 6979 deterministic nonces, its one costly step done by OpenSSL.
 *
 * @noble/curves signs RFC 6979 exactly, but its k·G in JavaScript BigInts takes about 0.8 ms; OpenSSL (node's ECDH,
 * which computes a private key's public point) takes about 0.04 ms, and a big mesh signs a request per leaf. So the
 * nonce comes from noble's own HMAC-DRBG (RFC 6979 §3.2) with node's HMAC, k·G from OpenSSL, and r and s from the
 * textbook formulas (FIPS 186-5 §6.4.1) in noble's modular arithmetic. tests/pki/ecdsa.spec.ts holds it to the
 * RFC 6979 §A.2.5 and §A.2.6 vectors and to noble's signature, byte for byte, over many keys and messages: the
 * bytes must not change, because every leaf's CSR (and so its certificate) depends on them.
 */
import { createECDH, createHash, createHmac } from "node:crypto";
import { invert, mod } from "@noble/curves/abstract/modular";
import { p256, p384 } from "@noble/curves/nist";
import { bytesToNumberBE, createHmacDrbg, numberToBytesBE } from "@noble/curves/utils";

/** The curves the program signs requests with: hash and curve sizes equal, so bits2int is a plain conversion. */
const CURVES = {
  "P-256": { openssl: "prime256v1", hash: "sha256", bytes: 32, order: p256.CURVE.n, Signature: p256.Signature },
  "P-384": { openssl: "secp384r1", hash: "sha384", bytes: 48, order: p384.CURVE.n, Signature: p384.Signature },
} as const;

export type DeterministicEcdsaCurve = keyof typeof CURVES;

export function isDeterministicEcdsaCurve(name: string): name is DeterministicEcdsaCurve {
  return Object.hasOwn(CURVES, name);
}

/**
 * The DER ECDSA signature of `message` (hashed with the curve's hash: SHA-256 for P-256, SHA-384 for P-384) by the
 * private scalar `privateKey` (big-endian bytes), with the nonce of RFC 6979 §3.2 and s as computed (not lowered).
 */
export function signDeterministicEcdsa(
  curveName: DeterministicEcdsaCurve,
  privateKey: Uint8Array,
  message: Uint8Array,
): Uint8Array {
  const curve = CURVES[curveName];
  const n = curve.order;
  const d = bytesToNumberBE(privateKey);
  if (d <= 0n || d >= n) throw new Error(`signDeterministicEcdsa: the ${curveName} private key is out of range`);
  const h = mod(bytesToNumberBE(createHash(curve.hash).update(message).digest()), n);
  const seed = new Uint8Array(2 * curve.bytes);
  seed.set(numberToBytesBE(d, curve.bytes), 0);
  seed.set(numberToBytesBE(h, curve.bytes), curve.bytes);
  const hmac = (key: Uint8Array, ...messages: Uint8Array[]): Uint8Array => {
    const mac = createHmac(curve.hash, key);
    for (const m of messages) mac.update(m);
    return mac.digest();
  };
  const drbg = createHmacDrbg<Uint8Array>(curve.bytes, curve.bytes, hmac);
  return drbg(seed, (candidate) => {
    const k = bytesToNumberBE(candidate);
    if (k <= 0n || k >= n) return undefined;
    const ecdh = createECDH(curve.openssl);
    ecdh.setPrivateKey(candidate);
    const point = ecdh.getPublicKey(); // 0x04 ‖ x ‖ y
    const r = mod(bytesToNumberBE(point.subarray(1, 1 + curve.bytes)), n);
    if (r === 0n) return undefined;
    const s = mod(invert(k, n) * (h + r * d), n);
    if (s === 0n) return undefined;
    return new curve.Signature(r, s).toBytes("der");
  });
}
