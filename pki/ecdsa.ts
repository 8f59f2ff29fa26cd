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

/**
 * The curves the program signs requests with: hash and curve sizes equal, so bits2int is a plain conversion. The
 * DER around the scalar and the point of a SEC1 ECPrivateKey as Go's x509.MarshalECPrivateKey and OpenSSL write it
 * (RFC 5915 §3: version 1, the scalar padded to the curve's size, the named curve, the uncompressed public key),
 * and of the SubjectPublicKeyInfo before the point (RFC 5480 §2).
 */
const CURVES = {
  "P-256": {
    openssl: "prime256v1",
    hash: "sha256",
    bytes: 32,
    order: p256.CURVE.n,
    Signature: p256.Signature,
    sec1BeforeScalar: Buffer.from("30770201010420", "hex"),
    sec1BeforePoint: Buffer.from("a00a06082a8648ce3d030107a144034200", "hex"),
    spkiBeforePoint: Buffer.from("3059301306072a8648ce3d020106082a8648ce3d030107034200", "hex"),
  },
  "P-384": {
    openssl: "secp384r1",
    hash: "sha384",
    bytes: 48,
    order: p384.CURVE.n,
    Signature: p384.Signature,
    sec1BeforeScalar: Buffer.from("3081a40201010430", "hex"),
    sec1BeforePoint: Buffer.from("a00706052b81040022a164036200", "hex"),
    spkiBeforePoint: Buffer.from("3076301006072a8648ce3d020106052b81040022036200", "hex"),
  },
} as const;

export type DeterministicEcdsaCurve = keyof typeof CURVES;

export function isDeterministicEcdsaCurve(name: string): name is DeterministicEcdsaCurve {
  return Object.hasOwn(CURVES, name);
}

/** The SubjectPublicKeyInfo DER of an uncompressed point (0x04 ‖ x ‖ y) on the curve. */
export function ecdsaSpki(curveName: DeterministicEcdsaCurve, point: Uint8Array): Buffer {
  return Buffer.concat([CURVES[curveName].spkiBeforePoint, point]);
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

/** An EC private key read from its SEC1 DER: the curve, the scalar, and the public key as SubjectPublicKeyInfo. */
export interface Sec1Key {
  readonly curve: DeterministicEcdsaCurve;
  readonly privateKey: Buffer;
  readonly spki: Buffer;
}

/**
 * The key of a SEC1 DER in the one layout Go and OpenSSL write for P-256 and P-384, every byte accounted for and
 * the public key checked against the scalar (by OpenSSL: node's ECDH); undefined for anything else, which the caller
 * hands to node's general key decoder. Importing a key through OpenSSL 3's decoders costs ~0.25 ms; this ~0.05 ms.
 */
export function canonicalSec1Key(der: Buffer): Sec1Key | undefined {
  for (const name of ["P-256", "P-384"] as const) {
    const curve = CURVES[name];
    const scalarAt = curve.sec1BeforeScalar.length;
    const pointAt = scalarAt + curve.bytes + curve.sec1BeforePoint.length;
    if (der.length !== pointAt + 1 + 2 * curve.bytes) continue;
    if (!der.subarray(0, scalarAt).equals(curve.sec1BeforeScalar)) continue;
    if (!der.subarray(scalarAt + curve.bytes, pointAt).equals(curve.sec1BeforePoint)) return undefined;
    const privateKey = Buffer.from(der.subarray(scalarAt, scalarAt + curve.bytes));
    const d = bytesToNumberBE(privateKey);
    if (d <= 0n || d >= curve.order) return undefined;
    const ecdh = createECDH(curve.openssl);
    ecdh.setPrivateKey(privateKey);
    const point = ecdh.getPublicKey();
    if (!point.equals(der.subarray(pointAt))) return undefined;
    return { curve: name, privateKey, spki: ecdsaSpki(name, point) };
  }
  return undefined;
}
