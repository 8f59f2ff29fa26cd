/**
 * The DER the tls provider's certificates are made of, as Go's crypto/x509 writes them for the provider: subject names in Go's pkix.Name order, basic constraints, key usage and extended
 * key usage from `allowed_uses` (internal/provider/common_cert.go), SANs, subject and authority key ids, the
 * certificate itself, and a CA certificate read back.
 */
import { createHash, randomBytes, X509Certificate } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asnX509 from "@peculiar/asn1-x509";
import { distinguishedName, EMAIL_ADDRESS_OID, extension, extensionOf, pem } from "../../pki/asn1";
import { bitString, derOf, TAG, tlv, type Der } from "../../pki/der";
import { signDer, type SigningKey } from "./keys";

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
  ["emailAddress", EMAIL_ADDRESS_OID],
];

/** The subject block as a Name: one RDN per field that has a value. */
export function subjectName(subject: SubjectInputs | undefined): asnX509.Name {
  return distinguishedName(
    SUBJECT_OIDS.map(([field, oid]) => {
      const value = subject?.[field];
      return [oid, typeof value === "string" ? [value] : value ? [...value] : []] as const;
    }),
  );
}

/** `allowed_uses` values that are key usage bits (common_cert.go keyUsages). */
const KEY_USAGES: Record<string, asnX509.KeyUsageFlags> = {
  digitalSignature: asnX509.KeyUsageFlags.digitalSignature,
  contentCommitment: asnX509.KeyUsageFlags.nonRepudiation,
  keyEncipherment: asnX509.KeyUsageFlags.keyEncipherment,
  dataEncipherment: asnX509.KeyUsageFlags.dataEncipherment,
  keyAgreement: asnX509.KeyUsageFlags.keyAgreement,
  certSigning: asnX509.KeyUsageFlags.keyCertSign,
  crlSigning: asnX509.KeyUsageFlags.cRLSign,
  encipherOnly: asnX509.KeyUsageFlags.encipherOnly,
  decipherOnly: asnX509.KeyUsageFlags.decipherOnly,
};

/** `allowed_uses` values that are extended key usages (common_cert.go extendedKeyUsages). */
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

/** Extensions every certificate of a kind shares (basic constraints, usages), built once: a big mesh issues thousands of leaves. */
const sharedExtensions = new Map<string, asnX509.Extension[]>();

function shared(key: string, build: () => asnX509.Extension[]): asnX509.Extension[] {
  let extensions = sharedExtensions.get(key);
  if (!extensions) {
    extensions = build();
    sharedExtensions.set(key, extensions);
  }
  return extensions;
}

/** Critical basic constraints; pathLen only when `pathLength` is set (Go omits a zero one). */
export function basicConstraintsExtensions(isCa: boolean, pathLength: number | undefined): asnX509.Extension[] {
  return shared(`basic:${isCa}:${pathLength}`, () => [
    extension(
      asnX509.id_ce_basicConstraints,
      true,
      new asnX509.BasicConstraints({
        cA: isCa,
        ...(pathLength !== undefined ? { pathLenConstraint: pathLength } : {}),
      }),
    ),
  ]);
}

/** Critical key usage and non-critical extended key usage from `allowedUses`; an unknown value fails. */
export function usageExtensions(allowedUses: readonly string[]): asnX509.Extension[] {
  return shared(`uses:${allowedUses.join(",")}`, () => {
    let keyUsage = 0;
    const extended: string[] = [];
    for (const use of allowedUses) {
      if (use in KEY_USAGES) keyUsage |= KEY_USAGES[use]!;
      else if (use in EXTENDED_KEY_USAGES) extended.push(EXTENDED_KEY_USAGES[use]!);
      else throw new Error(`tls model: unknown allowedUses value "${use}"`);
    }
    return [
      ...(keyUsage ? [extension(asnX509.id_ce_keyUsage, true, new asnX509.KeyUsage(keyUsage))] : []),
      ...(extended.length ? [extension(asnX509.id_ce_extKeyUsage, false, new asnX509.ExtendedKeyUsage(extended))] : []),
    ];
  });
}

/** The length of a DER element's header and of its contents, at `offset`. */
function derElement(der: Uint8Array, offset: number): { readonly header: number; readonly length: number } {
  const first = der[offset + 1]!;
  if (first < 0x80) return { header: 2, length: first };
  let length = 0;
  for (let i = 0; i < (first & 0x7f); i++) length = length * 256 + der[offset + 2 + i]!;
  return { header: 2 + (first & 0x7f), length };
}

/** The DER of the Ed25519 AlgorithmIdentifier, SEQUENCE { OBJECT IDENTIFIER 1.3.101.112 } (RFC 8410). */
const ED25519_ALGORITHM = Buffer.from("300506032b6570", "hex");

/**
 * The subject key id the provider sets (hashicorp/terraform-provider-tls internal/provider/common_cert.go
 * generateSubjectKeyID, on CA certificates and with set_subject_key_id): SHA-1 of the public key as Go marshals it,
 * which for RSA (PKCS #1) and ECDSA (the uncompressed point) are the subjectPublicKey BIT STRING's bits, read
 * straight from the SPKI's DER, and for Ed25519 `asn1.Marshal` of the key bytes: an OCTET STRING around them.
 */
export function subjectKeyId(spkiDer: ArrayBuffer | Uint8Array): string {
  const der = spkiDer instanceof Uint8Array ? spkiDer : new Uint8Array(spkiDer);
  const outer = derElement(der, 0);
  const algorithmAt = outer.header;
  const algorithm = derElement(der, algorithmAt);
  const bitStringAt = algorithmAt + algorithm.header + algorithm.length;
  const bitString = derElement(der, bitStringAt);
  const bitsStart = bitStringAt + bitString.header + 1; // skip the unused-bits byte
  const key = der.subarray(bitsStart, bitStringAt + bitString.header + bitString.length);
  const ed25519 = Buffer.from(der.subarray(algorithmAt, bitStringAt)).equals(ED25519_ALGORITHM);
  return createHash("sha1")
    .update(ed25519 ? tlv(TAG.octetString, [key]) : key)
    .digest("hex");
}

/** The subject key id extension: its value a KeyIdentifier OCTET STRING, one per certificate. */
export function subjectKeyIdExtension(keyIdHex: string): asnX509.Extension {
  return extensionOf(asnX509.id_ce_subjectKeyIdentifier, false, tlv(TAG.octetString, [Buffer.from(keyIdHex, "hex")]));
}

/** The issuer's key id, as the provider (Go) writes it: the keyIdentifier field alone. */
export function authorityKeyIdExtension(keyIdHex: string): asnX509.Extension {
  const keyIdentifier = new asnX509.KeyIdentifier(Buffer.from(keyIdHex, "hex"));
  return extension(asnX509.id_ce_authorityKeyIdentifier, false, new asnX509.AuthorityKeyIdentifier({ keyIdentifier }));
}

/** A random positive 128-bit serial, hex (common_cert.go: rand.Int below 2^128). */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  // Positive and DER-minimal: the top bit clear and the first byte non-zero.
  bytes[0] = (bytes[0]! % 0x7f) + 1;
  return bytes.toString("hex");
}

export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export interface CertificateParts {
  readonly serial: string;
  readonly issuer: asnX509.Name;
  readonly subject: asnX509.Name;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The subject's public key, SPKI DER. */
  readonly spki: ArrayBuffer | Uint8Array;
  readonly extensions: readonly asnX509.Extension[];
  readonly signer: SigningKey;
}

const VERSION_3 = tlv(TAG.context0, [new Uint8Array([TAG.integer, 1, 2])]);

/**
 * A validity time to the second (RFC 5280 §4.1.2.5): UTCTime (YYMMDDHHMMSSZ) from 1950 through 2049,
 * GeneralizedTime (YYYYMMDDHHMMSSZ) otherwise, as Go's encoding/asn1 writes a time.Time (outsideUTCRange);
 * tests/pki/der.spec.ts holds the bytes equal to @peculiar's, which chooses the same from 1950 on.
 */
function timeDer(date: Date): Der {
  const iso = date.toISOString();
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  // Go's encoding/asn1 outsideUTCRange: GeneralizedTime before 1950 and from 2050 on.
  return year < 1950 || year >= 2050 ? tlv(0x18, [Buffer.from(digits)]) : tlv(0x17, [Buffer.from(digits.slice(2))]);
}

/**
 * The certificate's DER, its TBSCertificate signed by `sign` (RFC 5280 §4.1), written by pki/der.ts: names and
 * extensions as pki/asn1.ts wrote them (or @peculiar's serializer, for the objects it built), validity times here.
 * (@peculiar/x509's generator goes through WebCrypto and parses its own output back into an object, which a big
 * mesh's thousands of leaves do not need.)
 */
export function certificateDer(
  parts: Omit<CertificateParts, "signer">,
  signatureAlgorithm: asnX509.AlgorithmIdentifier,
  sign: (tbs: Uint8Array) => Uint8Array,
): Buffer {
  const algorithm = derOf(signatureAlgorithm);
  const tbsCertificate = tlv(TAG.sequence, [
    VERSION_3,
    tlv(TAG.integer, [Buffer.from(parts.serial, "hex")]),
    algorithm,
    derOf(parts.issuer),
    tlv(TAG.sequence, [timeDer(parts.notBefore), timeDer(parts.notAfter)]),
    derOf(parts.subject),
    parts.spki instanceof Uint8Array ? parts.spki : new Uint8Array(parts.spki),
    ...(parts.extensions.length
      ? [
          tlv(TAG.context3, [
            tlv(
              TAG.sequence,
              parts.extensions.map((extension) => derOf(extension)),
            ),
          ]),
        ]
      : []),
  ]);
  return tlv(TAG.sequence, [tbsCertificate, algorithm, bitString(sign(tbsCertificate))]);
}

/** The certificate signed by node's `sign`, as PEM. */
export function signCertificate(parts: CertificateParts): string {
  const der = certificateDer(
    parts,
    parts.signer.signatureAlgorithm,
    (tbs) => new Uint8Array(signDer(parts.signer, tbs)),
  );
  return pem("CERTIFICATE", new Uint8Array(der).buffer);
}

/** What signing with a CA certificate takes from it. */
export interface CaCertificate {
  /** Its public key, SPKI DER: the CA key must match it. */
  readonly spki: Buffer;
  /** Its subject, the issuer of every certificate it signs. */
  readonly subject: asnX509.Name;
  /** The authority key id of every certificate it signs: its subject key id, when it has one. */
  readonly authorityKeyId: asnX509.Extension[];
}

const caCertificates = new Map<string, CaCertificate>();

/** A PEM CA certificate, read once per PEM (one CA signs many certificates). */
export function readCaCertificate(certPem: string): CaCertificate {
  let ca = caCertificates.get(certPem);
  if (!ca) {
    const cert = new X509Certificate(certPem);
    const tbs = AsnConvert.parse(cert.raw, asnX509.Certificate).tbsCertificate;
    const ski = tbs.extensions?.find((e) => e.extnID === asnX509.id_ce_subjectKeyIdentifier);
    const keyId = ski && AsnConvert.parse(ski.extnValue, asnX509.SubjectKeyIdentifier);
    ca = {
      spki: cert.publicKey.export({ type: "spki", format: "der" }),
      subject: tbs.subject,
      authorityKeyId: keyId ? [authorityKeyIdExtension(Buffer.from(keyId.buffer).toString("hex"))] : [],
    };
    caCertificates.set(certPem, ca);
  }
  return ca;
}
