/**
 * Faithful models of the tls provider's resources, with real cryptography: keys from node:crypto, CSRs and
 * certificates from @peculiar/x509 over node's WebCrypto. Certificates they issue verify with OpenSSL, so tests
 * can build chains and run real mTLS handshakes.
 *
 * What mirrors the provider (terraform-provider-tls, which @pulumi/tls wraps):
 * - `ecdsaCurve` defaults to P224 and `rsaBits` to 2048. An omitted curve gives a real P-224 key and reports
 *   `ecdsaCurve: "P224"`, as the provider would. WebCrypto cannot use P-224, and Envoy (BoringSSL) rejects it,
 *   so any CSR or certificate made with such a key FAILS with an error saying to set `ecdsaCurve`: the render
 *   stops at the first resource that would have produced an unusable certificate.
 * - `privateKeyPem` is SEC1 (`EC PRIVATE KEY`) for ECDSA and PKCS#1 (`RSA PRIVATE KEY`) for RSA; the PKCS#8 form
 *   is `privateKeyPemPkcs8`. Both are returned as secrets. `privateKeyOpenssh` is not modelled.
 * - Certificates: random positive 128-bit serial, notBefore = now, notAfter = now + validityPeriodHours,
 *   critical basicConstraints (pathLen only when `maxPathLength` > 0, as Go omits a zero one), critical key usage
 *   and extended key usage from `allowedUses`, SANs, a subject key id when asked for or on a CA (Go adds one
 *   to CA certificates), and the issuer's subject key id as authority key id.
 * - A locally signed certificate takes subject and SANs from the CSR (whose signature is checked), and the CA key
 *   must match the CA certificate.
 * - `readyForRenewal` = now ≥ notAfter − earlyRenewalHours, computed at creation as the provider does on plan.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  webcrypto,
  type KeyObject,
} from "node:crypto";
import { promisify } from "node:util";
import type * as X509 from "@peculiar/x509";
import * as pulumi from "@pulumi/pulumi";
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

const CURVES: Record<string, { readonly openssl: string; readonly webcrypto?: string; readonly hash: string }> = {
  P224: { openssl: "secp224r1", hash: "SHA-256" },
  P256: { openssl: "prime256v1", webcrypto: "P-256", hash: "SHA-256" },
  P384: { openssl: "secp384r1", webcrypto: "P-384", hash: "SHA-384" },
  P521: { openssl: "secp521r1", webcrypto: "P-521", hash: "SHA-512" },
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

/** WebCrypto parameters for keys it can hold: generating through it avoids re-importing every key to sign. */
function webcryptoParams(
  inputs: PrivateKeyInputs,
): { generate: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams; signing: SigningAlgorithm } | undefined {
  if (inputs.algorithm === "ECDSA") {
    const curve = CURVES[inputs.ecdsaCurve ?? "P224"];
    if (!curve?.webcrypto) return undefined;
    return { generate: { name: "ECDSA", namedCurve: curve.webcrypto }, signing: { name: "ECDSA", hash: curve.hash } };
  }
  if (inputs.algorithm === "RSA") {
    const signing = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    const modulusLength = inputs.rsaBits ?? 2048;
    return { generate: { ...signing, modulusLength, publicExponent: new Uint8Array([1, 0, 1]) }, signing };
  }
  return undefined;
}

/** Keys WebCrypto cannot generate: P-224 (the provider default, reproduced on purpose) and Ed25519. */
async function newKeyObject(inputs: PrivateKeyInputs): Promise<KeyObject> {
  switch (inputs.algorithm) {
    case "ECDSA": {
      const curve = CURVES[inputs.ecdsaCurve ?? "P224"];
      if (!curve) throw new Error(`tls model: unsupported ecdsaCurve "${inputs.ecdsaCurve}"`);
      return (await generateKeyPairAsync("ec", { namedCurve: curve.openssl })).privateKey;
    }
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
  const params = webcryptoParams(inputs);
  let key: KeyObject;
  let pair: webcrypto.CryptoKeyPair | undefined;
  if (params) {
    pair = (await webcrypto.subtle.generateKey(params.generate, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", pair.privateKey));
    key = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  } else {
    key = await newKeyObject(inputs);
  }
  const pub = createPublicKey(key);
  const algorithm = inputs.algorithm as KeyAlgorithmName;
  const legacyType = algorithm === "ECDSA" ? "sec1" : algorithm === "RSA" ? "pkcs1" : "pkcs8";
  const ssh = sshPublicKey(pub);
  const md5 = ssh ? createHash("md5").update(ssh.blob).digest("hex").match(/../g)!.join(":") : "";
  const privateKeyPem = key.export({ type: legacyType, format: "pem" }) as string;
  if (pair && params) {
    const spki = pub.export({ type: "spki", format: "der" });
    signingKeys.set(privateKeyPem, Promise.resolve({ algorithm, keys: pair, signingAlgorithm: params.signing, spki }));
  }
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

interface SigningAlgorithm {
  readonly name: string;
  readonly hash?: string;
}

interface SigningKey {
  readonly algorithm: KeyAlgorithmName;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly signingAlgorithm: SigningAlgorithm;
  /** SPKI DER, to match a key against a certificate. */
  readonly spki: Buffer;
}

/** Keys ready to sign, by PEM: seeded when generated, imported once otherwise (an intermediate signs many leaves). */
const signingKeys = new Map<string, Promise<SigningKey>>();

function signingKey(pem: string, resource: string): Promise<SigningKey> {
  let found = signingKeys.get(pem);
  if (!found) {
    found = importSigningKey(pem, resource);
    signingKeys.set(pem, found);
    found.catch(() => signingKeys.delete(pem));
  }
  return found;
}

async function importSigningKey(pem: string, resource: string): Promise<SigningKey> {
  const key = createPrivateKey(pem);
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  const pkcs8 = key.export({ type: "pkcs8", format: "der" });
  const subtle = webcrypto.subtle;
  const importPair = async (
    params: webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams | webcrypto.Algorithm,
  ) => ({
    privateKey: await subtle.importKey("pkcs8", pkcs8, params, false, ["sign"]),
    publicKey: await subtle.importKey("spki", spki, params, true, ["verify"]),
  });
  if (key.asymmetricKeyType === "ec") {
    const curveName = CURVE_BY_OPENSSL.get(key.asymmetricKeyDetails?.namedCurve ?? "") ?? "unknown";
    const curve = CURVES[curveName];
    if (!curve?.webcrypto) {
      throw new Error(
        `tls model: ${resource} uses an ECDSA ${curveName} key. The tls provider makes P224 when ecdsaCurve is ` +
          `omitted, and Envoy (BoringSSL) rejects P-224 certificates: set ecdsaCurve to "P256" or "P384" on the PrivateKey.`,
      );
    }
    const keys = await importPair({ name: "ECDSA", namedCurve: curve.webcrypto });
    return { algorithm: "ECDSA", keys, signingAlgorithm: { name: "ECDSA", hash: curve.hash }, spki };
  }
  if (key.asymmetricKeyType === "rsa") {
    const params = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    return { algorithm: "RSA", keys: await importPair(params), signingAlgorithm: params, spki };
  }
  if (key.asymmetricKeyType === "ed25519") {
    const params = { name: "Ed25519" };
    return { algorithm: "ED25519", keys: await importPair(params), signingAlgorithm: params, spki };
  }
  throw new Error(`tls model: ${resource}: unsupported key type ${key.asymmetricKeyType}`);
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

function usageExtensions(allowedUses: readonly string[]): X509.Extension[] {
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

function sanExtension(sans: SanInputs, subjectEmpty: boolean): X509.Extension[] {
  const names: X509.JsonGeneralName[] = [
    ...(sans.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(sans.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
    ...(sans.uris ?? []).map((value) => ({ type: "url" as const, value })),
  ];
  // RFC 5280 §4.2.1.6: with an empty subject the SAN extension must be critical.
  return names.length ? [new x509.SubjectAlternativeNameExtension(names, subjectEmpty)] : [];
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

const SUBJECT_ALT_NAME_OID = "2.5.29.17";

function randomSerial(): string {
  const bytes = randomBytes(16);
  // Positive and DER-minimal: the top bit clear and the first byte non-zero.
  bytes[0] = (bytes[0]! % 0x7f) + 1;
  return bytes.toString("hex");
}

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function withNewline(pem: string): string {
  return pem.endsWith("\n") ? pem : `${pem}\n`;
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
  readonly subject: X509.Name | X509.JsonName;
  readonly issuer: X509.Name | X509.JsonName;
  readonly publicKey: X509.PublicKey;
  readonly signer: SigningKey;
  readonly sanExtensions: X509.Extension[];
  readonly authorityKeyId?: X509.Extension;
  readonly now: Date;
}

async function issue(req: IssueRequest): Promise<IssuedCertificate> {
  const { common } = req;
  const isCa = common.isCaCertificate ?? false;
  const pathLength = isCa && (common.maxPathLength ?? 0) > 0 ? common.maxPathLength : undefined;
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(isCa, pathLength, true),
    ...usageExtensions(common.allowedUses),
    ...req.sanExtensions,
  ];
  if (common.setSubjectKeyId || isCa) {
    extensions.push(new x509.SubjectKeyIdentifierExtension(subjectKeyId(req.publicKey.rawData)));
  }
  if (req.authorityKeyId) extensions.push(req.authorityKeyId);
  const notBefore = new Date(Math.floor(req.now.getTime() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + common.validityPeriodHours * 3_600_000);
  const serial = randomSerial();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: req.subject,
    issuer: req.issuer,
    notBefore,
    notAfter,
    publicKey: req.publicKey,
    signingKey: req.signer.keys.privateKey,
    signingAlgorithm: req.signer.signingAlgorithm,
    extensions,
  });
  return {
    certPem: withNewline(cert.toString("pem")),
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
  const authorityKeyId = inputs.setAuthorityKeyId
    ? new x509.AuthorityKeyIdentifierExtension(subjectKeyId(signer.spki))
    : undefined;
  return issue({
    common: inputs,
    subject: name,
    issuer: name,
    publicKey: new x509.PublicKey(signer.spki),
    signer,
    sanExtensions: sanExtension(inputs, name.length === 0),
    ...(authorityKeyId ? { authorityKeyId } : {}),
    now: options.now ?? new Date(),
  });
}

export async function createCertRequest(
  inputs: CertRequestInputs,
  resource = "CertRequest",
): Promise<{ certRequestPem: string; keyAlgorithm: KeyAlgorithmName }> {
  const signer = await signingKey(inputs.privateKeyPem, resource);
  const name = subjectName(inputs.subject);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys: signer.keys,
    signingAlgorithm: signer.signingAlgorithm,
    extensions: sanExtension(inputs, name.length === 0),
  });
  const certRequestPem = withNewline(csr.toString("pem"));
  certRequests.set(certRequestPem, csr);
  return { certRequestPem, keyAlgorithm: signer.algorithm };
}

/**
 * CSRs this process generated, by PEM: a LocallySignedCert signs the CSR its CertRequest just made, and parsing it
 * back (ASN.1) was a fifth of a big mesh's crypto. Taken out when used, so the map does not grow with the mesh.
 */
const certRequests = new Map<string, X509.Pkcs10CertificateRequest>();

function parseCertRequest(pem: string): X509.Pkcs10CertificateRequest {
  const generated = certRequests.get(pem);
  if (generated) {
    certRequests.delete(pem);
    return generated;
  }
  return new x509.Pkcs10CertificateRequest(pem);
}

const caCertificates = new Map<string, X509.X509Certificate>();

function parseCaCertificate(pem: string): X509.X509Certificate {
  let cert = caCertificates.get(pem);
  if (!cert) {
    cert = new x509.X509Certificate(pem);
    caCertificates.set(pem, cert);
  }
  return cert;
}

export async function createLocallySignedCert(
  inputs: LocallySignedCertInputs,
  options: IssueOptions = {},
  resource = "LocallySignedCert",
): Promise<IssuedCertificate & { caKeyAlgorithm: KeyAlgorithmName }> {
  const signer = await signingKey(inputs.caPrivateKeyPem, resource);
  const ca = parseCaCertificate(inputs.caCertPem);
  if (!Buffer.from(ca.publicKey.rawData).equals(signer.spki)) {
    throw new Error(`tls model: ${resource}: caPrivateKeyPem does not match the public key of caCertPem`);
  }
  // The CSR's signature is not re-checked: it comes from the CertRequest model, and checking doubles the cost.
  const csr = parseCertRequest(inputs.certRequestPem);
  const caSki = ca.getExtension(x509.SubjectKeyIdentifierExtension);
  const san = csr.getExtension(SUBJECT_ALT_NAME_OID);
  const issued = await issue({
    common: inputs,
    subject: csr.subjectName,
    issuer: ca.subjectName,
    publicKey: csr.publicKey,
    signer,
    sanExtensions: san ? [san] : [],
    ...(caSki ? { authorityKeyId: new x509.AuthorityKeyIdentifierExtension(caSki.keyId) } : {}),
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
