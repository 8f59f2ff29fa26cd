/**
 * The tls provider's keys (terraform-provider-tls resource_private_key.go), made with node:crypto: `ecdsaCurve`
 * defaults to P224 and `rsaBits` to 2048; `privateKeyPem` is SEC1 (`EC PRIVATE KEY`) for ECDSA and PKCS#1
 * (`RSA PRIVATE KEY`) for RSA, `privateKeyPemPkcs8` the PKCS#8 form; the OpenSSH public key and its fingerprints
 * are empty for P-224, which OpenSSH has no name for. And the keys as signers: Envoy (BoringSSL) rejects P-224, so
 * signing with such a key FAILS with an error saying to set `ecdsaCurve`.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  sign,
  type JsonWebKey,
  type KeyObject,
} from "node:crypto";
import { promisify } from "node:util";
import * as asnX509 from "@peculiar/asn1-x509";
import { DER_NULL, pem, SIGNATURE_OIDS } from "../../pki/asn1";

const generateKeyPairAsync = promisify(generateKeyPair);

export interface PrivateKeyInputs {
  readonly algorithm: string;
  readonly ecdsaCurve?: string;
  readonly rsaBits?: number;
}

export type KeyAlgorithmName = "ECDSA" | "RSA" | "ED25519";

/**
 * The provider's curves. `signs: false` marks P-224: the provider makes it when ecdsaCurve is omitted, and Envoy
 * (BoringSSL) rejects P-224 certificates, so the models make such a key but refuse to sign with it.
 */
const CURVES: Record<string, { readonly openssl: string; readonly signs: boolean; readonly hash: string }> = {
  P224: { openssl: "secp224r1", signs: false, hash: "sha256" },
  P256: { openssl: "prime256v1", signs: true, hash: "sha256" },
  P384: { openssl: "secp384r1", signs: true, hash: "sha384" },
  P521: { openssl: "secp521r1", signs: true, hash: "sha512" },
};
const CURVE_BY_OPENSSL = new Map(Object.entries(CURVES).map(([name, c]) => [c.openssl, name]));

export interface GeneratedKey {
  readonly algorithm: KeyAlgorithmName;
  readonly ecdsaCurve: string;
  readonly rsaBits: number;
  readonly privateKeyPem: string;
  readonly privateKeyPemPkcs8: string;
  readonly publicKeyPem: string;
  readonly publicKeyOpenssh: string;
  readonly publicKeyFingerprintMd5: string;
  readonly publicKeyFingerprintSha256: string;
}

async function newKeyObject(inputs: PrivateKeyInputs): Promise<KeyObject> {
  switch (inputs.algorithm) {
    case "ECDSA": {
      const curve = CURVES[inputs.ecdsaCurve ?? "P224"];
      if (!curve) throw new Error(`tls model: unsupported ecdsaCurve "${inputs.ecdsaCurve}"`);
      return (await generateKeyPairAsync("ec", { namedCurve: curve.openssl })).privateKey;
    }
    case "RSA":
      return (await generateKeyPairAsync("rsa", { modulusLength: inputs.rsaBits ?? 2048, publicExponent: 65537 }))
        .privateKey;
    case "ED25519":
      return (await generateKeyPairAsync("ed25519")).privateKey;
    default:
      throw new Error(`tls model: unsupported algorithm "${inputs.algorithm}" (use RSA, ECDSA or ED25519)`);
  }
}

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === "string" ? Buffer.from(data) : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function sshMpint(base64url: string): Buffer {
  const raw = Buffer.from(base64url, "base64url");
  return sshString(raw[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), raw]) : raw);
}

/** The OpenSSH wire form of a public key (RFC 4253 §6.6, RFC 5656, RFC 8709) from its JWK. */
function sshPublicKey(jwk: JsonWebKey): { type: string; blob: Buffer } | undefined {
  if (jwk.kty === "RSA")
    return { type: "ssh-rsa", blob: Buffer.concat([sshString("ssh-rsa"), sshMpint(jwk.e!), sshMpint(jwk.n!)]) };
  if (jwk.kty === "OKP")
    return {
      type: "ssh-ed25519",
      blob: Buffer.concat([sshString("ssh-ed25519"), sshString(Buffer.from(jwk.x!, "base64url"))]),
    };
  const nist = { "P-256": "nistp256", "P-384": "nistp384", "P-521": "nistp521" }[jwk.crv ?? ""];
  if (!nist) return undefined;
  const type = `ecdsa-sha2-${nist}`;
  return { type, blob: Buffer.concat([sshString(type), sshString(nist), sshString(ecPoint(jwk))]) };
}

/** An EC key's public point, uncompressed (SEC 1 §2.3.3), from its JWK coordinates (fixed length, RFC 7518 §6.2.1.2). */
function ecPoint(jwk: JsonWebKey): Buffer {
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
}

/** The key's DER forms the provider returns: SEC 1 or PKCS #1 (`legacy`), PKCS #8, and the public key's SPKI. */
interface KeyDers {
  readonly legacy: Buffer;
  readonly pkcs8: Buffer;
  readonly spki: Buffer;
}

/** node's exports of the key (OpenSSL 3's encoders: ~0.1 ms each). */
function exportedDers(key: KeyObject, legacyType: "sec1" | "pkcs1" | "pkcs8"): KeyDers {
  return {
    legacy: key.export({ type: legacyType, format: "der" }),
    pkcs8: key.export({ type: "pkcs8", format: "der" }),
    spki: createPublicKey(key).export({ type: "spki", format: "der" }),
  };
}

/** `der` split around `parts` (found in order): the pieces before, between and after them; undefined if one is missing. */
function cutAround(der: Buffer, parts: readonly Buffer[]): Buffer[] | undefined {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const part of parts) {
    const found = der.indexOf(part, at);
    if (found < 0) return undefined;
    pieces.push(Buffer.from(der.subarray(at, found)));
    at = found + part.length;
  }
  pieces.push(Buffer.from(der.subarray(at)));
  return pieces;
}

/** `pieces` with `parts` between them: the inverse of cutAround. */
function fillIn(pieces: readonly Buffer[], parts: readonly Buffer[]): Buffer {
  return Buffer.concat(pieces.flatMap((piece, i) => (i < parts.length ? [piece, parts[i]!] : [piece])));
}

/** The variable parts of a key's DER forms (its secret, its public point), from its JWK, and which form holds which. */
interface KeyParts {
  /** A name for keys whose DER forms differ only in these parts: the algorithm and curve. */
  readonly shape: string;
  readonly legacy: readonly Buffer[];
  readonly pkcs8: readonly Buffer[];
  readonly spki: readonly Buffer[];
}

function keyParts(jwk: JsonWebKey): KeyParts | undefined {
  if (jwk.kty === "EC" && jwk.d) {
    const d = Buffer.from(jwk.d, "base64url");
    const point = ecPoint(jwk);
    return { shape: `EC ${jwk.crv}`, legacy: [d, point], pkcs8: [d, point], spki: [point] };
  }
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519" && jwk.d) {
    const seed = Buffer.from(jwk.d, "base64url");
    return { shape: "Ed25519", legacy: [seed], pkcs8: [seed], spki: [Buffer.from(jwk.x!, "base64url")] };
  }
  return undefined; // RSA: its lengths vary from key to key.
}

/**
 * Per key shape, node's DER forms of the first key cut around that key's parts. The lengths of an EC or Ed25519
 * key's parts are fixed by its curve (RFC 7518 §6.2.2.1, RFC 8037 §2), so every later key's forms are these pieces
 * around its own parts: one JWK export instead of three OpenSSL encodings (tests/pki/tlsModels.spec.ts holds them
 * equal to node's exports for every key).
 */
const derTemplates = new Map<string, { legacy: Buffer[]; pkcs8: Buffer[]; spki: Buffer[] }>();

function keyDers(key: KeyObject, jwk: JsonWebKey | undefined, legacyType: "sec1" | "pkcs1" | "pkcs8"): KeyDers {
  const parts = jwk && keyParts(jwk);
  if (!parts) return exportedDers(key, legacyType);
  const template = derTemplates.get(parts.shape);
  if (template) {
    return {
      legacy: fillIn(template.legacy, parts.legacy),
      pkcs8: fillIn(template.pkcs8, parts.pkcs8),
      spki: fillIn(template.spki, parts.spki),
    };
  }
  const exported = exportedDers(key, legacyType);
  const legacy = cutAround(exported.legacy, parts.legacy);
  const pkcs8 = cutAround(exported.pkcs8, parts.pkcs8);
  const spki = cutAround(exported.spki, parts.spki);
  if (legacy && pkcs8 && spki) derTemplates.set(parts.shape, { legacy, pkcs8, spki });
  return exported;
}

const PEM_LABELS = { sec1: "EC PRIVATE KEY", pkcs1: "RSA PRIVATE KEY", pkcs8: "PRIVATE KEY" } as const;

/** PEM armour as node writes it. */
function pemOf(label: string, der: Buffer): string {
  return pem(label, new Uint8Array(der).buffer);
}

export async function generatePrivateKey(inputs: PrivateKeyInputs): Promise<GeneratedKey> {
  const key = await newKeyObject(inputs);
  const algorithm = inputs.algorithm as KeyAlgorithmName;
  const legacyType = algorithm === "ECDSA" ? "sec1" : algorithm === "RSA" ? "pkcs1" : "pkcs8";
  // The curve asked for, which newKeyObject made (asymmetricKeyDetails asks OpenSSL again on every read).
  const namedCurve = algorithm === "ECDSA" ? CURVES[inputs.ecdsaCurve ?? "P224"]!.openssl : undefined;
  // node has no JWK for P-224 (nor OpenSSH a name): such a key is exported by OpenSSL and has no OpenSSH form.
  const isP224 = namedCurve === CURVES.P224!.openssl;
  const jwk = isP224 ? undefined : key.export({ format: "jwk" });
  const ders = keyDers(key, jwk, legacyType);
  const ssh = jwk && sshPublicKey(jwk);
  const md5 = ssh ? createHash("md5").update(ssh.blob).digest("hex").match(/../g)!.join(":") : "";
  const privateKeyPem = pemOf(PEM_LABELS[legacyType], ders.legacy);
  // Seeded so that signing with this key does not decode its PEM again (OpenSSL 3 takes ~1 ms per decode).
  const signer = signingKeyOf(key, ders.spki, namedCurve);
  if (signer) signingKeys.set(privateKeyPem, Promise.resolve(signer));
  return {
    algorithm,
    ecdsaCurve: inputs.ecdsaCurve ?? "P224",
    rsaBits: inputs.rsaBits ?? 2048,
    privateKeyPem,
    privateKeyPemPkcs8: pemOf(PEM_LABELS.pkcs8, ders.pkcs8),
    publicKeyPem: pemOf("PUBLIC KEY", ders.spki),
    publicKeyOpenssh: ssh ? `${ssh.type} ${ssh.blob.toString("base64")}\n` : "",
    publicKeyFingerprintMd5: md5,
    publicKeyFingerprintSha256: ssh
      ? `SHA256:${createHash("sha256").update(ssh.blob).digest("base64").replace(/=+$/, "")}`
      : "",
  };
}

/** A key that signs CSRs and certificates with node's `sign`, and how X.509 names its signatures. */
export interface SigningKey {
  readonly algorithm: KeyAlgorithmName;
  readonly privateKey: KeyObject;
  /** The digest for `sign`: null for Ed25519, which hashes itself. */
  readonly digest: string | null;
  /** The signature's AlgorithmIdentifier (RFC 5758 for ECDSA, RFC 4055 for RSA, RFC 8410 for Ed25519). */
  readonly signatureAlgorithm: asnX509.AlgorithmIdentifier;
  /** SPKI DER, to match a key against a certificate. */
  readonly spki: Buffer;
}

const ECDSA_SIGNATURE_OIDS: Record<string, string> = {
  sha256: SIGNATURE_OIDS.ecdsaWithSha256,
  sha384: SIGNATURE_OIDS.ecdsaWithSha384,
  sha512: SIGNATURE_OIDS.ecdsaWithSha512,
};

/** One AlgorithmIdentifier object per signature algorithm, shared by every key (pki/der.ts keeps its DER per object). */
const algorithmIdentifiers = new Map<string, asnX509.AlgorithmIdentifier>();

function algorithmIdentifier(oid: string, parameters?: ArrayBuffer): asnX509.AlgorithmIdentifier {
  let found = algorithmIdentifiers.get(oid);
  if (!found) {
    found = new asnX509.AlgorithmIdentifier({ algorithm: oid, ...(parameters ? { parameters } : {}) });
    algorithmIdentifiers.set(oid, found);
  }
  return found;
}

/** The key as a signer, or undefined for a P-224 key, which the models refuse to sign with (see CURVES). */
function signingKeyOf(
  key: KeyObject,
  spki: Buffer,
  namedCurve = key.asymmetricKeyDetails?.namedCurve,
): SigningKey | undefined {
  const signer = (algorithm: KeyAlgorithmName, digest: string | null, oid: string, parameters?: ArrayBuffer) => ({
    algorithm,
    privateKey: key,
    digest,
    signatureAlgorithm: algorithmIdentifier(oid, parameters),
    spki,
  });
  switch (key.asymmetricKeyType) {
    case "ec": {
      const curve = CURVES[CURVE_BY_OPENSSL.get(namedCurve ?? "") ?? ""];
      return curve?.signs ? signer("ECDSA", curve.hash, ECDSA_SIGNATURE_OIDS[curve.hash]!) : undefined;
    }
    case "rsa":
      return signer("RSA", "sha256", SIGNATURE_OIDS.sha256WithRsa, DER_NULL);
    case "ed25519":
      return signer("ED25519", null, SIGNATURE_OIDS.ed25519);
    default:
      return undefined;
  }
}

/** Keys ready to sign, by PEM: seeded when generated, imported once otherwise (an intermediate signs many leaves). */
const signingKeys = new Map<string, Promise<SigningKey>>();

/** The key `pem` as a signer; `resource` names the resource in the error for a key it refuses. */
export function signingKey(pem: string, resource: string): Promise<SigningKey> {
  let found = signingKeys.get(pem);
  if (!found) {
    found = Promise.resolve().then(() => importSigningKey(pem, resource));
    signingKeys.set(pem, found);
    found.catch(() => signingKeys.delete(pem));
  }
  return found;
}

function importSigningKey(pem: string, resource: string): SigningKey {
  const key = createPrivateKey(pem);
  const signer = signingKeyOf(key, createPublicKey(key).export({ type: "spki", format: "der" }));
  if (signer) return signer;
  if (key.asymmetricKeyType === "ec") {
    const curveName = CURVE_BY_OPENSSL.get(key.asymmetricKeyDetails?.namedCurve ?? "") ?? "unknown";
    throw new Error(
      `tls model: ${resource} uses an ECDSA ${curveName} key. The tls provider makes P224 when ecdsaCurve is ` +
        `omitted, and Envoy (BoringSSL) rejects P-224 certificates: set ecdsaCurve to "P256" or "P384" on the PrivateKey.`,
    );
  }
  throw new Error(`tls model: ${resource}: unsupported key type ${key.asymmetricKeyType}`);
}

/** `tbs` signed with `signer`; ECDSA signatures DER-encoded (Ecdsa-Sig-Value), as X.509 wants them. */
export function signDer(signer: SigningKey, tbs: Uint8Array): ArrayBuffer {
  return new Uint8Array(sign(signer.digest, tbs, { key: signer.privateKey, dsaEncoding: "der" })).buffer;
}
