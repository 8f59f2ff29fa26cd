/**
 * Faithful models of the tls provider's resources (terraform-provider-tls, which @pulumi/tls wraps), with real
 * cryptography (keys.ts, encoding.ts). Certificates they issue verify with OpenSSL, so tests can build chains and run
 * real mTLS handshakes.
 *
 * What mirrors the provider:
 * - Keys: see keys.ts (P224 by default, which the models refuse to sign with; SEC1/PKCS#1 and PKCS#8 PEMs, returned
 *   as secrets). `privateKeyOpenssh` is not modelled.
 * - Certificates: random positive 128-bit serial, notBefore = now, notAfter = now + validityPeriodHours,
 *   critical basicConstraints (pathLen only when `maxPathLength` > 0, as Go omits a zero one), critical key usage
 *   and extended key usage from `allowedUses`, SANs, a subject key id when asked for or on a CA (Go adds one
 *   to CA certificates), and the issuer's subject key id as authority key id.
 * - A locally signed certificate takes the subject and the DNS, IP and URI SANs from the CSR (the subject as Go's
 *   pkix.Name writes it back; the SAN extension rebuilt, critical when the subject is empty, as Go does), and the
 *   CA key must match the CA certificate. The CSR's signature is not checked; the provider does not check it
 *   either. Every CSR, the model's own included, is parsed as the provider parses it
 *   (pki/readCertRequest.ts): PEM type CERTIFICATE REQUEST, SANs from the extensionRequest attribute.
 * - `readyForRenewal` = now ≥ notAfter − earlyRenewalHours, computed at creation as the provider does on plan.
 */
import { createHash } from "node:crypto";
import type * as asnX509 from "@peculiar/asn1-x509";
import * as pulumi from "@pulumi/pulumi";
import { certificationRequest, distinguishedName, pem, subjectAltNameExtensions, type SanLists } from "../../pki/asn1";
import { readCertRequest } from "../../pki/readCertRequest";
import { isDueForRenewal } from "../../pki/validity";
import type { ModelArgs, ProviderModel } from "../recorder";
import {
  authorityKeyIdExtension,
  basicConstraintsExtensions,
  readCaCertificate,
  rfc3339,
  randomSerial,
  signCertificate,
  subjectKeyId,
  subjectKeyIdExtension,
  subjectName,
  usageExtensions,
  type SubjectInputs,
} from "./encoding";
import {
  generatePrivateKey,
  signDer,
  signingKey,
  type KeyAlgorithmName,
  type PrivateKeyInputs,
  type SigningKey,
} from "./keys";

export const TLS_TYPES = {
  privateKey: "tls:index/privateKey:PrivateKey",
  selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
  certRequest: "tls:index/certRequest:CertRequest",
  locallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
} as const;

// ---- Inputs, in the provider's argument names ----

export type SanInputs = SanLists;

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

/** RFC 5280 §4.2.1.6: with an empty subject the SAN extension must be critical (Go: `subjectIsEmpty`). */
function sanExtensions(sans: SanInputs, subject: asnX509.Name): asnX509.Extension[] {
  return subjectAltNameExtensions(sans, subject.length === 0);
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

function issue(req: IssueRequest): IssuedCertificate {
  const { common } = req;
  const isCa = common.isCaCertificate ?? false;
  const pathLength = isCa && (common.maxPathLength ?? 0) > 0 ? common.maxPathLength : undefined;
  // In Go's order (crypto/x509 buildCertExtensions): key usage, extended key usage, basic constraints, subject key
  // id, authority key id, subject alternative names.
  const extensions: asnX509.Extension[] = [
    ...usageExtensions(common.allowedUses),
    ...basicConstraintsExtensions(isCa, pathLength),
    ...(common.setSubjectKeyId || isCa ? [subjectKeyIdExtension(subjectKeyId(req.spki))] : []),
    ...req.authorityKeyId,
    ...req.sanExtensions,
  ];
  const notBefore = new Date(Math.floor(req.now.getTime() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + common.validityPeriodHours * 3_600_000);
  const serial = randomSerial();
  const certPem = signCertificate({
    serial,
    issuer: req.issuer,
    subject: req.subject,
    notBefore,
    notAfter,
    spki: req.spki,
    extensions,
    signer: req.signer,
  });
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
  const subject = subjectName(inputs.subject);
  // For a self-signed certificate the authority key id is its own subject key id.
  const authorityKeyId = inputs.setAuthorityKeyId ? [authorityKeyIdExtension(subjectKeyId(signer.spki))] : [];
  return issue({
    common: inputs,
    subject,
    issuer: subject,
    spki: signer.spki,
    signer,
    sanExtensions: sanExtensions(inputs, subject),
    authorityKeyId,
    now: options.now ?? new Date(),
  });
}

/** What a LocallySignedCert takes from a CSR. */
interface CertRequest {
  readonly subject: asnX509.Name;
  readonly spki: ArrayBuffer | Uint8Array;
  readonly sanExtensions: readonly asnX509.Extension[];
}

export async function createCertRequest(
  inputs: CertRequestInputs,
  resource = "CertRequest",
): Promise<{ certRequestPem: string; keyAlgorithm: KeyAlgorithmName }> {
  const signer = await signingKey(inputs.privateKeyPem, resource);
  const subject = subjectName(inputs.subject);
  // Never critical in a request: Go's buildCSRExtensions writes the SAN extension without Critical (x509.go).
  const requested = subjectAltNameExtensions(inputs, false);
  const der = certificationRequest({
    subject,
    spki: signer.spki,
    extensions: requested,
    signatureAlgorithm: signer.signatureAlgorithm,
    sign: (tbs) => new Uint8Array(signDer(signer, tbs)),
  });
  return { certRequestPem: pem("CERTIFICATE REQUEST", der), keyAlgorithm: signer.algorithm };
}

/** The public key types Go's CreateCertificate signs for (x509.go marshalPublicKey); any other fails it. */
const CERTIFIABLE_KEY_TYPES = new Set(["*rsa.PublicKey", "*ecdsa.PublicKey", "ed25519.PublicKey"]);

/**
 * Every CSR, the model's own CertRequests' included, read as the provider's x509.ParseCertificateRequest reads it:
 * the subject as Go's pkix.Name writes it back (only its nine fields, in its order), the public key, and the DNS, IP
 * and URI names.
 */

function parseCertRequest(certRequestPem: string, resource: string): CertRequest {
  const csr = readCertRequest(certRequestPem);
  if (!CERTIFIABLE_KEY_TYPES.has(csr.publicKeyType)) {
    // common_cert.go createCertificate: diags.AddError("Failed to create certificate", err.Error()).
    throw new Error(
      `tls model: ${resource}: Failed to create certificate: x509: unsupported public key type: ${csr.publicKeyType}`,
    );
  }
  const subject = distinguishedName(csr.subjectAttributes);
  return { subject, spki: csr.spki, sanExtensions: sanExtensions(csr.sans, subject) };
}

export async function createLocallySignedCert(
  inputs: LocallySignedCertInputs,
  options: IssueOptions = {},
  resource = "LocallySignedCert",
): Promise<IssuedCertificate & { caKeyAlgorithm: KeyAlgorithmName }> {
  const signer = await signingKey(inputs.caPrivateKeyPem, resource);
  const ca = readCaCertificate(inputs.caCertPem);
  if (!ca.spki.equals(signer.spki)) {
    throw new Error(`tls model: ${resource}: caPrivateKeyPem does not match the public key of caCertPem`);
  }
  const csr = parseCertRequest(inputs.certRequestPem, resource);
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
