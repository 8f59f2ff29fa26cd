/**
 * Faithful models of the tls provider's resources, with real cryptography: keys and signatures from node:crypto,
 * CSRs and certificates encoded with @peculiar/asn1-x509 and asn1-csr (subject names and the shared extensions built
 * by @peculiar/x509).
 * Certificates they issue verify with OpenSSL, so tests can build chains and run real mTLS handshakes.
 *
 * What mirrors the provider (terraform-provider-tls, which @pulumi/tls wraps):
 * - `ecdsaCurve` defaults to P224 and `rsaBits` to 2048. An omitted curve gives a real P-224 key and reports
 *   `ecdsaCurve: "P224"`, as the provider would. Envoy (BoringSSL) rejects P-224,
 *   so signing anything with such a key (a CSR, or a certificate as its CA) FAILS with an error saying to set
 *   `ecdsaCurve`: the render stops at the first resource that would have produced an unusable certificate.
 * - `privateKeyPem` is SEC1 (`EC PRIVATE KEY`) for ECDSA and PKCS#1 (`RSA PRIVATE KEY`) for RSA; the PKCS#8 form
 *   is `privateKeyPemPkcs8`. Both are returned as secrets. `privateKeyOpenssh` is not modelled.
 * - Certificates: random positive 128-bit serial, notBefore = now, notAfter = now + validityPeriodHours,
 *   critical basicConstraints (pathLen only when `maxPathLength` > 0, as Go omits a zero one), critical key usage
 *   and extended key usage from `allowedUses`, SANs, a subject key id when asked for or on a CA (Go adds one
 *   to CA certificates), and the issuer's subject key id as authority key id.
 * - A locally signed certificate takes the subject and the DNS, IP and URI SANs from the CSR (the SAN extension
 *   rebuilt, critical when the subject is empty, as Go does), and the CA key must match the CA certificate. The CSR's
 *   signature is not checked; the provider does not check it either. A CSR this process did not make (the leaves'
 *   requests, which the program builds: pki/certRequest.ts) is parsed as the provider parses it
 *   (pki/readCertRequest.ts): PEM type CERTIFICATE REQUEST, SANs from the extensionRequest attribute.
 * - `readyForRenewal` = now ≥ notAfter − earlyRenewalHours, computed at creation as the provider does on plan.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  sign,
  webcrypto,
  type KeyObject,
} from "node:crypto";
import { promisify } from "node:util";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import * as asnCsr from "@peculiar/asn1-csr";
import * as asnX509 from "@peculiar/asn1-x509";
import type * as X509 from "@peculiar/x509";
import * as pulumi from "@pulumi/pulumi";
import { readCertRequest } from "../pki/readCertRequest";
import { isDueForRenewal } from "../pki/validity";
import type { ModelArgs, ProviderModel } from "./recorder";

/**
 * @peculiar/x509 needs a Reflect metadata polyfill (its DI container, tsyringe, refuses to load without one) and
 * none is installed. tsyringe only reads and writes class-level metadata, so a WeakMap per key covers it.
 */
function installReflectMetadata(): void {
  const reflect = Reflect as unknown as Record<string, unknown>;
  if (typeof reflect.getMetadata === "function") return;
  const store = new Map<string, WeakMap<object, unknown>>();
  const own = (key: string, target: object): unknown => store.get(key)?.get(target);
  reflect.getOwnMetadata = own;
  reflect.getMetadata = (key: string, target: object): unknown => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      const value = own(key, t);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  reflect.defineMetadata = (key: string, value: unknown, target: object): void => {
    if (!store.has(key)) store.set(key, new WeakMap());
    store.get(key)!.set(target, value);
  };
}

function loadX509(): typeof X509 {
  installReflectMetadata();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must load after the polyfill above
  const mod = require("@peculiar/x509") as typeof X509;
  // Library boundary: @peculiar/x509 types its provider as the DOM `Crypto`, which node's webcrypto implements.
  mod.cryptoProvider.set(webcrypto as unknown as ReturnType<X509.CryptoProvider["get"]>);
  return mod;
}

/** @peculiar/x509, loaded with its polyfill and node's WebCrypto. Import it from here, not directly. */
export const x509 = loadX509();

const generateKeyPairAsync = promisify(generateKeyPair);

export const TLS_TYPES = {
  privateKey: "tls:index/privateKey:PrivateKey",
  selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
  certRequest: "tls:index/certRequest:CertRequest",
  locallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
} as const;

// ---- Inputs, in the provider's argument names ----

export interface SubjectInputs {
  readonly commonName?: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly country?: string;
  readonly province?: string;
  readonly locality?: string;
  readonly postalCode?: string;
  readonly streetAddresses?: readonly string[];
  readonly serialNumber?: string;
  readonly emailAddress?: string;
}

export interface PrivateKeyInputs {
  readonly algorithm: string;
  readonly ecdsaCurve?: string;
  readonly rsaBits?: number;
}

export interface SanInputs {
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly uris?: readonly string[];
}

export interface CertRequestInputs extends SanInputs {
  readonly privateKeyPem: string;
  readonly subject?: SubjectInputs;
}

interface CertificateCommonInputs {
  readonly allowedUses: readonly string[];
  readonly validityPeriodHours: number;
  readonly earlyRenewalHours?: number;
  readonly isCaCertificate?: boolean;
  readonly maxPathLength?: number;
  readonly setSubjectKeyId?: boolean;
}

export interface SelfSignedCertInputs extends CertificateCommonInputs, SanInputs {
  readonly privateKeyPem: string;
  readonly subject?: SubjectInputs;
  readonly setAuthorityKeyId?: boolean;
}

export interface LocallySignedCertInputs extends CertificateCommonInputs {
  readonly certRequestPem: string;
  readonly caCertPem: string;
  readonly caPrivateKeyPem: string;
}

/** Overrides for tests: the clock, and so certificates valid in the past or future. */
export interface IssueOptions {
  readonly now?: Date;
}

// ---- Keys ----

type KeyAlgorithmName = "ECDSA" | "RSA" | "ED25519";

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

/** The OpenSSH wire form of a public key; undefined for P-224, which OpenSSH has no name for (as the provider). */
function sshPublicKey(key: KeyObject): { type: string; blob: Buffer } | undefined {
  if (key.asymmetricKeyDetails?.namedCurve === CURVES.P224!.openssl) return undefined;
  const jwk = key.export({ format: "jwk" });
  if (jwk.kty === "RSA")
    return { type: "ssh-rsa", blob: Buffer.concat([sshString("ssh-rsa"), sshMpint(jwk.e!), sshMpint(jwk.n!)]) };
  if (jwk.kty === "OKP")
    return {
      type: "ssh-ed25519",
      blob: Buffer.concat([sshString("ssh-ed25519"), sshString(Buffer.from(jwk.x!, "base64url"))]),
    };
  const nist = { "P-256": "nistp256", "P-384": "nistp384", "P-521": "nistp521" }[jwk.crv ?? ""];
  if (!nist) return undefined;
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
  const type = `ecdsa-sha2-${nist}`;
  return { type, blob: Buffer.concat([sshString(type), sshString(nist), sshString(point)]) };
}

export async function generatePrivateKey(inputs: PrivateKeyInputs): Promise<GeneratedKey> {
  const key = await newKeyObject(inputs);
  const pub = createPublicKey(key);
  const algorithm = inputs.algorithm as KeyAlgorithmName;
  const legacyType = algorithm === "ECDSA" ? "sec1" : algorithm === "RSA" ? "pkcs1" : "pkcs8";
  const ssh = sshPublicKey(pub);
  const md5 = ssh ? createHash("md5").update(ssh.blob).digest("hex").match(/../g)!.join(":") : "";
  const privateKeyPem = key.export({ type: legacyType, format: "pem" }) as string;
  // Seeded so that signing with this key does not decode its PEM again (OpenSSL 3 takes ~1 ms per decode).
  const signer = signingKeyOf(key, pub);
  if (signer) signingKeys.set(privateKeyPem, Promise.resolve(signer));
  return {
    algorithm,
    ecdsaCurve: inputs.ecdsaCurve ?? "P224",
    rsaBits: inputs.rsaBits ?? 2048,
    privateKeyPem,
    privateKeyPemPkcs8: key.export({ type: "pkcs8", format: "pem" }) as string,
    publicKeyPem: pub.export({ type: "spki", format: "pem" }) as string,
    publicKeyOpenssh: ssh ? `${ssh.type} ${ssh.blob.toString("base64")}\n` : "",
    publicKeyFingerprintMd5: md5,
    publicKeyFingerprintSha256: ssh
      ? `SHA256:${createHash("sha256").update(ssh.blob).digest("base64").replace(/=+$/, "")}`
      : "",
  };
}

/** A key that signs CSRs and certificates with node's `sign`, and how X.509 names its signatures. */
interface SigningKey {
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
  sha256: "1.2.840.10045.4.3.2",
  sha384: "1.2.840.10045.4.3.3",
  sha512: "1.2.840.10045.4.3.4",
};
const SHA256_WITH_RSA = "1.2.840.113549.1.1.11";
const ED25519 = "1.3.101.112";
/** RSA's AlgorithmIdentifier carries an explicit NULL parameter (RFC 4055 §5); the others none. */
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

/** The key as a signer, or undefined for a P-224 key, which the models refuse to sign with (see CURVES). */
function signingKeyOf(key: KeyObject, pub: KeyObject): SigningKey | undefined {
  const spki = pub.export({ type: "spki", format: "der" });
  const signer = (algorithm: KeyAlgorithmName, digest: string | null, oid: string, parameters?: ArrayBuffer) => ({
    algorithm,
    privateKey: key,
    digest,
    signatureAlgorithm: new asnX509.AlgorithmIdentifier({ algorithm: oid, ...(parameters ? { parameters } : {}) }),
    spki,
  });
  switch (key.asymmetricKeyType) {
    case "ec": {
      const curve = CURVES[CURVE_BY_OPENSSL.get(key.asymmetricKeyDetails?.namedCurve ?? "") ?? ""];
      return curve?.signs ? signer("ECDSA", curve.hash, ECDSA_SIGNATURE_OIDS[curve.hash]!) : undefined;
    }
    case "rsa":
      return signer("RSA", "sha256", SHA256_WITH_RSA, DER_NULL);
    case "ed25519":
      return signer("ED25519", null, ED25519);
    default:
      return undefined;
  }
}

/** Keys ready to sign, by PEM: seeded when generated, imported once otherwise (an intermediate signs many leaves). */
const signingKeys = new Map<string, Promise<SigningKey>>();

function signingKey(pem: string, resource: string): Promise<SigningKey> {
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
  const signer = signingKeyOf(key, createPublicKey(key));
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

/** `der` signed with `signer`; ECDSA signatures DER-encoded (Ecdsa-Sig-Value), as X.509 wants them. */
function signDer(signer: SigningKey, der: ArrayBuffer): ArrayBuffer {
  const signature = sign(signer.digest, Buffer.from(der), { key: signer.privateKey, dsaEncoding: "der" });
  return new Uint8Array(signature).buffer;
}

// ---- Names, uses and extensions ----

/** Go's pkix.Name order, so subjects read as the provider's do. */
const SUBJECT_OIDS: readonly [keyof SubjectInputs, string][] = [
  ["country", "2.5.4.6"],
  ["province", "2.5.4.8"],
  ["locality", "2.5.4.7"],
  ["streetAddresses", "2.5.4.9"],
  ["postalCode", "2.5.4.17"],
  ["organization", "2.5.4.10"],
  ["organizationalUnit", "2.5.4.11"],
  ["commonName", "2.5.4.3"],
  ["serialNumber", "2.5.4.5"],
  ["emailAddress", "1.2.840.113549.1.9.1"],
];

function subjectName(subject: SubjectInputs | undefined): X509.JsonName {
  const name: X509.JsonName = [];
  for (const [field, oid] of SUBJECT_OIDS) {
    const value = subject?.[field];
    const values = typeof value === "string" ? [value] : value ? [...value] : [];
    if (values.length > 0) name.push({ [oid]: values });
  }
  return name;
}

const KEY_USAGES: Record<string, X509.KeyUsageFlags> = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  contentCommitment: x509.KeyUsageFlags.nonRepudiation,
  keyEncipherment: x509.KeyUsageFlags.keyEncipherment,
  dataEncipherment: x509.KeyUsageFlags.dataEncipherment,
  keyAgreement: x509.KeyUsageFlags.keyAgreement,
  certSigning: x509.KeyUsageFlags.keyCertSign,
  crlSigning: x509.KeyUsageFlags.cRLSign,
  encipherOnly: x509.KeyUsageFlags.encipherOnly,
  decipherOnly: x509.KeyUsageFlags.decipherOnly,
};

const EXTENDED_KEY_USAGES: Record<string, string> = {
  anyExtended: "2.5.29.37.0",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  codeSigning: "1.3.6.1.5.5.7.3.3",
  emailProtection: "1.3.6.1.5.5.7.3.4",
  ipsecEndSystem: "1.3.6.1.5.5.7.3.5",
  ipsecTunnel: "1.3.6.1.5.5.7.3.6",
  ipsecUser: "1.3.6.1.5.5.7.3.7",
  timestamping: "1.3.6.1.5.5.7.3.8",
  ocspSigning: "1.3.6.1.5.5.7.3.9",
  microsoftServerGatedCrypto: "1.3.6.1.4.1.311.10.3.3",
  netscapeServerGatedCrypto: "2.16.840.1.113730.4.1",
  microsoftCommercialCodeSigning: "1.3.6.1.4.1.311.2.1.22",
  microsoftKernelCodeSigning: "1.3.6.1.4.1.311.61.1.1",
};

/**
 * Extensions every certificate of a kind shares (basic constraints, usages), built once:
 * each @peculiar/x509 extension encodes itself on construction, and a big mesh issues thousands of leaves.
 */
const sharedExtensions = new Map<string, asnX509.Extension[]>();

function shared(key: string, build: () => X509.Extension[]): asnX509.Extension[] {
  let extensions = sharedExtensions.get(key);
  if (!extensions) {
    extensions = build().map(asnExtension);
    sharedExtensions.set(key, extensions);
  }
  return extensions;
}

/** An @peculiar/x509 extension in its ASN.1 form, the form certificates and CSRs are encoded from. */
function asnExtension(extension: X509.Extension): asnX509.Extension {
  return AsnConvert.parse(extension.rawData, asnX509.Extension);
}

/** An extension built directly in ASN.1: the per-certificate ones (SANs, key ids), skipping x509's encode-and-parse. */
function extension(extnID: string, critical: boolean, value: object): asnX509.Extension {
  return new asnX509.Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

function usageExtensions(allowedUses: readonly string[]): asnX509.Extension[] {
  return shared(`uses:${allowedUses.join(",")}`, () => buildUsageExtensions(allowedUses));
}

function buildUsageExtensions(allowedUses: readonly string[]): X509.Extension[] {
  let keyUsage = 0;
  const extended: string[] = [];
  for (const use of allowedUses) {
    if (use in KEY_USAGES) keyUsage |= KEY_USAGES[use]!;
    else if (use in EXTENDED_KEY_USAGES) extended.push(EXTENDED_KEY_USAGES[use]!);
    else throw new Error(`tls model: unknown allowedUses value "${use}"`);
  }
  return [
    ...(keyUsage ? [new x509.KeyUsagesExtension(keyUsage, true)] : []),
    ...(extended.length ? [new x509.ExtendedKeyUsageExtension(extended, false)] : []),
  ];
}

function sanExtension(sans: SanInputs, subjectEmpty: boolean): asnX509.Extension[] {
  const names = [
    ...(sans.dnsNames ?? []).map((dNSName) => new asnX509.GeneralName({ dNSName })),
    ...(sans.ipAddresses ?? []).map((iPAddress) => new asnX509.GeneralName({ iPAddress })),
    ...(sans.uris ?? []).map((uniformResourceIdentifier) => new asnX509.GeneralName({ uniformResourceIdentifier })),
  ];
  // RFC 5280 §4.2.1.6: with an empty subject the SAN extension must be critical.
  return names.length
    ? [extension(asnX509.id_ce_subjectAltName, subjectEmpty, new asnX509.SubjectAlternativeName(names))]
    : [];
}

/** The length of a DER element's header and of its contents, at `offset`. */
function derElement(der: Uint8Array, offset: number): { readonly header: number; readonly length: number } {
  const first = der[offset + 1]!;
  if (first < 0x80) return { header: 2, length: first };
  let length = 0;
  for (let i = 0; i < (first & 0x7f); i++) length = length * 256 + der[offset + 2 + i]!;
  return { header: 2 + (first & 0x7f), length };
}

/**
 * RFC 5280 §4.2.1.2 method 1, as Go computes it: SHA-1 of the subjectPublicKey BIT STRING's bits. Done here
 * because the library's version goes through a WebCrypto key export for every certificate.
 */
function subjectKeyId(spkiDer: ArrayBuffer | Uint8Array): string {
  const der = spkiDer instanceof Uint8Array ? spkiDer : new Uint8Array(spkiDer);
  const outer = derElement(der, 0);
  const algorithmAt = outer.header;
  const algorithm = derElement(der, algorithmAt);
  const bitStringAt = algorithmAt + algorithm.header + algorithm.length;
  const bitString = derElement(der, bitStringAt);
  const bitsStart = bitStringAt + bitString.header + 1; // skip the unused-bits byte
  return createHash("sha1")
    .update(der.subarray(bitsStart, bitStringAt + bitString.header + bitString.length))
    .digest("hex");
}

function subjectKeyIdExtension(keyIdHex: string): asnX509.Extension {
  const keyId = new asnX509.SubjectKeyIdentifier(Buffer.from(keyIdHex, "hex"));
  return extension(asnX509.id_ce_subjectKeyIdentifier, false, keyId);
}

/** The issuer's key id, as the provider (Go) writes it: the keyIdentifier field alone. */
function authorityKeyIdExtension(keyIdHex: string): asnX509.Extension {
  const keyIdentifier = new asnX509.KeyIdentifier(Buffer.from(keyIdHex, "hex"));
  return extension(asnX509.id_ce_authorityKeyIdentifier, false, new asnX509.AuthorityKeyIdentifier({ keyIdentifier }));
}

function randomSerial(): string {
  const bytes = randomBytes(16);
  // Positive and DER-minimal: the top bit clear and the first byte non-zero.
  bytes[0] = (bytes[0]! % 0x7f) + 1;
  return bytes.toString("hex");
}

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The provider's `readyForRenewal`: it recomputes this on every refresh and plan, and a `true` makes the next
 * `pulumi up` replace the certificate. The models use it at creation; tests call it with a later clock.
 */
export function readyForRenewal(
  state: { readonly validityEndTime: string; readonly earlyRenewalHours?: number | undefined },
  now: Date,
): boolean {
  return isDueForRenewal(new Date(state.validityEndTime), state.earlyRenewalHours ?? 0, now);
}

export interface IssuedCertificate {
  readonly certPem: string;
  readonly serial: string;
  readonly validityStartTime: string;
  readonly validityEndTime: string;
  readonly readyForRenewal: boolean;
  readonly keyAlgorithm: KeyAlgorithmName;
}

interface IssueRequest {
  readonly common: CertificateCommonInputs;
  readonly subject: asnX509.Name;
  readonly issuer: asnX509.Name;
  /** The subject's public key, SPKI DER. */
  readonly spki: ArrayBuffer | Uint8Array;
  readonly signer: SigningKey;
  readonly sanExtensions: readonly asnX509.Extension[];
  /** Empty or one extension. */
  readonly authorityKeyId: readonly asnX509.Extension[];
  readonly now: Date;
}

function asnName(name: X509.Name | X509.JsonName): asnX509.Name {
  return AsnConvert.parse((name instanceof x509.Name ? name : new x509.Name(name)).toArrayBuffer(), asnX509.Name);
}

function pem(label: string, der: ArrayBuffer): string {
  const lines =
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/**
 * The certificate, encoded with @peculiar/asn1-x509 and signed by node's `sign`, as PEM. @peculiar/x509's
 * generator does the same through WebCrypto and then parses its own output back into an object, which a big
 * mesh's thousands of leaves do not need.
 */
function signCertificate(
  req: IssueRequest,
  extensions: readonly asnX509.Extension[],
  serial: string,
  notBefore: Date,
  notAfter: Date,
): string {
  const { signatureAlgorithm } = req.signer;
  const tbsCertificate = new asnX509.TBSCertificate({
    version: asnX509.Version.v3,
    serialNumber: new Uint8Array(Buffer.from(serial, "hex")).buffer,
    signature: signatureAlgorithm,
    issuer: req.issuer,
    validity: new asnX509.Validity({ notBefore, notAfter }),
    subject: req.subject,
    subjectPublicKeyInfo: AsnConvert.parse(req.spki, asnX509.SubjectPublicKeyInfo),
    extensions: new asnX509.Extensions([...extensions]),
  });
  const certificate = new asnX509.Certificate({
    tbsCertificate,
    signatureAlgorithm,
    signatureValue: signDer(req.signer, AsnConvert.serialize(tbsCertificate)),
  });
  return pem("CERTIFICATE", AsnConvert.serialize(certificate));
}

function issue(req: IssueRequest): IssuedCertificate {
  const { common } = req;
  const isCa = common.isCaCertificate ?? false;
  const pathLength = isCa && (common.maxPathLength ?? 0) > 0 ? common.maxPathLength : undefined;
  const extensions: asnX509.Extension[] = [
    ...shared(`basic:${isCa}:${pathLength}`, () => [new x509.BasicConstraintsExtension(isCa, pathLength, true)]),
    ...usageExtensions(common.allowedUses),
    ...req.sanExtensions,
  ];
  if (common.setSubjectKeyId || isCa) {
    extensions.push(subjectKeyIdExtension(subjectKeyId(req.spki)));
  }
  extensions.push(...req.authorityKeyId);
  const notBefore = new Date(Math.floor(req.now.getTime() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + common.validityPeriodHours * 3_600_000);
  const serial = randomSerial();
  const certPem = signCertificate(req, extensions, serial, notBefore, notAfter);
  return {
    certPem,
    serial,
    validityStartTime: rfc3339(notBefore),
    validityEndTime: rfc3339(notAfter),
    readyForRenewal: readyForRenewal(
      { validityEndTime: rfc3339(notAfter), earlyRenewalHours: common.earlyRenewalHours },
      req.now,
    ),
    keyAlgorithm: req.signer.algorithm,
  };
}

export async function createSelfSignedCert(
  inputs: SelfSignedCertInputs,
  options: IssueOptions = {},
  resource = "SelfSignedCert",
): Promise<IssuedCertificate> {
  const signer = await signingKey(inputs.privateKeyPem, resource);
  const name = subjectName(inputs.subject);
  // For a self-signed certificate the authority key id is its own subject key id.
  const authorityKeyId = inputs.setAuthorityKeyId ? authorityKeyIdExtension(subjectKeyId(signer.spki)) : undefined;
  const asnSubject = asnName(name);
  return issue({
    common: inputs,
    subject: asnSubject,
    issuer: asnSubject,
    spki: signer.spki,
    signer,
    sanExtensions: sanExtension(inputs, name.length === 0),
    authorityKeyId: authorityKeyId ? [authorityKeyId] : [],
    now: options.now ?? new Date(),
  });
}

export async function createCertRequest(
  inputs: CertRequestInputs,
  resource = "CertRequest",
): Promise<{ certRequestPem: string; keyAlgorithm: KeyAlgorithmName }> {
  const signer = await signingKey(inputs.privateKeyPem, resource);
  const name = subjectName(inputs.subject);
  const sanExtensions = sanExtension(inputs, name.length === 0);
  const subject = asnName(name);
  // As @peculiar/x509's generator writes it: the SANs in one extensionRequest attribute (PKCS#9).
  const attributes = new asnCsr.Attributes(
    sanExtensions.length === 0
      ? []
      : [
          new asnX509.Attribute({
            type: EXTENSION_REQUEST_OID,
            values: [AsnConvert.serialize(new asnX509.Extensions([...sanExtensions]))],
          }),
        ],
  );
  const certificationRequestInfo = new asnCsr.CertificationRequestInfo({
    version: 0,
    subject,
    subjectPKInfo: AsnConvert.parse(signer.spki, asnX509.SubjectPublicKeyInfo),
    attributes,
  });
  const request = new asnCsr.CertificationRequest({
    certificationRequestInfo,
    signatureAlgorithm: signer.signatureAlgorithm,
    signature: signDer(signer, AsnConvert.serialize(certificationRequestInfo)),
  });
  const certRequestPem = pem("CERTIFICATE REQUEST", AsnConvert.serialize(request));
  certRequests.set(certRequestPem, { subject, spki: signer.spki, sanExtensions });
  return { certRequestPem, keyAlgorithm: signer.algorithm };
}

const EXTENSION_REQUEST_OID = "1.2.840.113549.1.9.14";

/** What a LocallySignedCert takes from a CSR. */
interface CertRequest {
  readonly subject: asnX509.Name;
  readonly spki: ArrayBuffer | Uint8Array;
  readonly sanExtensions: readonly asnX509.Extension[];
}

/**
 * CSRs this process generated, by PEM, with the SAN extension they were made with: a LocallySignedCert signs the
 * CSR its CertRequest just made, and parsing it back (ASN.1) was a fifth of a big mesh's crypto. Taken out when
 * used, so the map does not grow with the mesh.
 */
const certRequests = new Map<string, CertRequest>();

function parseCertRequest(pem: string): CertRequest {
  const generated = certRequests.get(pem);
  if (generated) {
    certRequests.delete(pem);
    return generated;
  }
  // A CSR made elsewhere (the program builds the leaves' requests: pki/certRequest.ts): read as the provider's
  // x509.ParseCertificateRequest does, keeping only the subject, the public key and the DNS, IP and URI names.
  const csr = readCertRequest(pem);
  return { subject: csr.subject, spki: csr.spki, sanExtensions: sanExtension(csr.sans, csr.subject.length === 0) };
}

interface CaCertificate {
  readonly cert: X509.X509Certificate;
  /** Its subject, the issuer of every certificate it signs. */
  readonly subject: asnX509.Name;
  /** The authority key id of every certificate it signs: its subject key id, when it has one. */
  readonly authorityKeyId: asnX509.Extension[];
}

const caCertificates = new Map<string, CaCertificate>();

function parseCaCertificate(pem: string): CaCertificate {
  let ca = caCertificates.get(pem);
  if (!ca) {
    const cert = new x509.X509Certificate(pem);
    const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
    ca = {
      cert,
      subject: asnName(cert.subjectName),
      authorityKeyId: ski ? [authorityKeyIdExtension(ski.keyId)] : [],
    };
    caCertificates.set(pem, ca);
  }
  return ca;
}

export async function createLocallySignedCert(
  inputs: LocallySignedCertInputs,
  options: IssueOptions = {},
  resource = "LocallySignedCert",
): Promise<IssuedCertificate & { caKeyAlgorithm: KeyAlgorithmName }> {
  const signer = await signingKey(inputs.caPrivateKeyPem, resource);
  const ca = parseCaCertificate(inputs.caCertPem);
  if (!Buffer.from(ca.cert.publicKey.rawData).equals(signer.spki)) {
    throw new Error(`tls model: ${resource}: caPrivateKeyPem does not match the public key of caCertPem`);
  }
  const csr = parseCertRequest(inputs.certRequestPem);
  const issued = issue({
    common: inputs,
    subject: csr.subject,
    issuer: ca.subject,
    spki: csr.spki,
    signer,
    sanExtensions: csr.sanExtensions,
    authorityKeyId: ca.authorityKeyId,
    now: options.now ?? new Date(),
  });
  return { ...issued, caKeyAlgorithm: signer.algorithm };
}

// ---- The models ----

export interface TlsModelOptions {
  /** The clock certificates are issued by. @default the real clock. */
  readonly now?: () => Date;
}

function idOf(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

/** Models for the four tls resource types, with an injectable clock (tests issue expired or aged certificates). */
export function createTlsModels(options: TlsModelOptions = {}): Record<string, ProviderModel> {
  const now = options.now ?? ((): Date => new Date());
  const certOutputs = (c: IssuedCertificate): Record<string, unknown> => ({
    certPem: c.certPem,
    validityStartTime: c.validityStartTime,
    validityEndTime: c.validityEndTime,
    readyForRenewal: c.readyForRenewal,
  });
  return {
    [TLS_TYPES.privateKey]: async ({ inputs }: ModelArgs) => {
      const key = await generatePrivateKey(inputs as unknown as PrivateKeyInputs);
      return {
        id: idOf(key.publicKeyPem),
        outputs: {
          ...key,
          privateKeyPem: pulumi.secret(key.privateKeyPem),
          privateKeyPemPkcs8: pulumi.secret(key.privateKeyPemPkcs8),
        },
      };
    },
    [TLS_TYPES.selfSignedCert]: async ({ name, inputs }: ModelArgs) => {
      const cert = await createSelfSignedCert(inputs as unknown as SelfSignedCertInputs, { now: now() }, name);
      return {
        id: BigInt(`0x${cert.serial}`).toString(),
        outputs: { ...certOutputs(cert), keyAlgorithm: cert.keyAlgorithm },
      };
    },
    [TLS_TYPES.certRequest]: async ({ name, inputs }: ModelArgs) => {
      const csr = await createCertRequest(inputs as unknown as CertRequestInputs, name);
      return { id: idOf(csr.certRequestPem), outputs: csr };
    },
    [TLS_TYPES.locallySignedCert]: async ({ name, inputs }: ModelArgs) => {
      const cert = await createLocallySignedCert(inputs as unknown as LocallySignedCertInputs, { now: now() }, name);
      return {
        id: BigInt(`0x${cert.serial}`).toString(),
        outputs: { ...certOutputs(cert), caKeyAlgorithm: cert.caKeyAlgorithm },
      };
    },
  };
}

/** The models on the real clock: what `startSimulation({ models: tlsModels })` takes. */
export const tlsModels: Record<string, ProviderModel> = createTlsModels();
