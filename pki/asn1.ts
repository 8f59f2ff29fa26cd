/**
 * ASN.1 pieces shared by the program's CSRs (certRequest.ts) and the tls provider's models (simulate/tls/): names,
 * the SAN extension, the PKCS #10 request and PEM armour, all with @peculiar/asn1-x509 and asn1-csr.
 */
import { AsnConvert, AsnObjectIdentifierConverter, OctetString } from "@peculiar/asn1-schema";
import * as asnX509 from "@peculiar/asn1-x509";
import { bitString, derOf, TAG, tlv } from "./der";
import { EXTENSION_REQUEST_OID } from "./readCertRequest";

/** Signature AlgorithmIdentifier OIDs: RFC 5758 §3.2 (ECDSA), RFC 4055 §5 (RSA), RFC 8410 §3 (Ed25519). */
export const SIGNATURE_OIDS = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  ecdsaWithSha384: "1.2.840.10045.4.3.3",
  ecdsaWithSha512: "1.2.840.10045.4.3.4",
  sha256WithRsa: "1.2.840.113549.1.1.11",
  ed25519: "1.3.101.112",
} as const;

/** RSA's AlgorithmIdentifier carries an explicit NULL parameter (RFC 4055 §5); ECDSA's and Ed25519's none. */
export const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

export const EMAIL_ADDRESS_OID = "1.2.840.113549.1.9.1";

/**
 * Go's encoding/asn1 writes an untagged string as PrintableString when every character is in that set, else as
 * UTF8String (marshal.go, makeField); an email address is an IA5String.
 */
export function isPrintable(value: string): boolean {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value);
}

/** One RDN per attribute type, holding all its values (Go's pkix.Name.ToRDNSequence, appendRDNs). */
export function distinguishedName(attributes: readonly (readonly [string, readonly string[]])[]): asnX509.Name {
  const rdns: asnX509.RelativeDistinguishedName[] = [];
  for (const [type, values] of attributes) {
    if (values.length === 0) continue;
    rdns.push(
      new asnX509.RelativeDistinguishedName(
        values.map((value) => {
          const attributeValue = new asnX509.AttributeValue(
            type === EMAIL_ADDRESS_OID
              ? { ia5String: value }
              : isPrintable(value)
                ? { printableString: value }
                : { utf8String: value },
          );
          return new asnX509.AttributeTypeAndValue({ type, value: attributeValue });
        }),
      ),
    );
  }
  return new asnX509.Name(rdns);
}

/** An extension whose value is `value`'s DER. */
export function extension(extnID: string, critical: boolean, value: object): asnX509.Extension {
  return new asnX509.Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

export interface SanLists {
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly uris?: readonly string[];
}

/** The subjectAltName extension in Go's marshalSANs order (DNS names, IP addresses, URIs); none without names. */
export function subjectAltNameExtensions(sans: SanLists, critical: boolean): asnX509.Extension[] {
  const names = [
    ...(sans.dnsNames ?? []).map((dNSName) => new asnX509.GeneralName({ dNSName })),
    ...(sans.ipAddresses ?? []).map((iPAddress) => new asnX509.GeneralName({ iPAddress })),
    ...(sans.uris ?? []).map((uniformResourceIdentifier) => new asnX509.GeneralName({ uniformResourceIdentifier })),
  ];
  return names.length
    ? [extension(asnX509.id_ce_subjectAltName, critical, new asnX509.SubjectAlternativeName(names))]
    : [];
}

export interface CertRequestParts {
  readonly subject: asnX509.Name;
  /** SubjectPublicKeyInfo, DER. */
  readonly spki: ArrayBuffer | Uint8Array;
  /** Asked for in one PKCS #9 extensionRequest attribute, as Go's x509.CreateCertificateRequest writes them. */
  readonly extensions: readonly asnX509.Extension[];
  readonly signatureAlgorithm: asnX509.AlgorithmIdentifier;
  /** Signs the DER of the CertificationRequestInfo. */
  readonly sign: (tbs: Uint8Array) => Uint8Array;
}

/** The DER of the PKCS #9 extensionRequest attribute's type, OBJECT IDENTIFIER 1.2.840.113549.1.9.14. */
const EXTENSION_REQUEST_TYPE = new Uint8Array(AsnObjectIdentifierConverter.toASN(EXTENSION_REQUEST_OID).toBER());
const VERSION_1 = new Uint8Array([TAG.integer, 1, 0]);

/** A PKCS #10 certification request (RFC 2986), DER. */
export function certificationRequest(parts: CertRequestParts): ArrayBuffer {
  // Attributes ::= [0] IMPLICIT SET OF Attribute; Attribute ::= SEQUENCE { type, values SET OF ANY }.
  const attributes = parts.extensions.length
    ? [
        tlv(TAG.sequence, [
          EXTENSION_REQUEST_TYPE,
          tlv(TAG.set, [
            tlv(
              TAG.sequence,
              parts.extensions.map((extension) => derOf(extension)),
            ),
          ]),
        ]),
      ]
    : [];
  const certificationRequestInfo = tlv(TAG.sequence, [
    VERSION_1,
    derOf(parts.subject),
    parts.spki instanceof Uint8Array ? parts.spki : new Uint8Array(parts.spki),
    tlv(TAG.context0, attributes),
  ]);
  const signature = parts.sign(certificationRequestInfo);
  const request = tlv(TAG.sequence, [certificationRequestInfo, derOf(parts.signatureAlgorithm), bitString(signature)]);
  return new Uint8Array(request).buffer;
}

/** PEM armour (RFC 7468): base64 in lines of 64. */
export function pem(label: string, der: ArrayBuffer): string {
  const lines =
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
