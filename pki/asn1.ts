/**
 * ASN.1 pieces shared by the program's CSRs (certRequest.ts) and the tls provider's models (simulate/tls/): names,
 * extensions, the SAN extension, the PKCS #10 request and PEM armour. Each is a @peculiar/asn1-x509 object whose DER
 * is written here by Go's rules (pki/der.ts; derOf returns it), tested equal to @peculiar's serializer where the two
 * agree.
 */
import { isIPv4, isIPv6 } from "node:net";
import { AsnConvert, AsnObjectIdentifierConverter, OctetString } from "@peculiar/asn1-schema";
import * as asnX509 from "@peculiar/asn1-x509";
import { bitString, derOf, oidDer, TAG, tlv, withDer, type Der } from "./der";
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

/** The string type Go writes an attribute value as (see isPrintable); IA5 and Printable are ASCII by definition. */
function attributeStringTag(type: string, value: string): number {
  if (type === EMAIL_ADDRESS_OID) return TAG.ia5String;
  return isPrintable(value) ? TAG.printableString : TAG.utf8String;
}

/** @peculiar's value object for a string of that tag (only for the Name object; the DER is written here). */
function attributeValue(tag: number, value: string): asnX509.AttributeValue {
  if (tag === TAG.ia5String) return new asnX509.AttributeValue({ ia5String: value });
  if (tag === TAG.printableString) return new asnX509.AttributeValue({ printableString: value });
  return new asnX509.AttributeValue({ utf8String: value });
}

/**
 * One RDN per attribute type, holding all its values (Go's pkix.Name.ToRDNSequence, appendRDNs), written as DER
 * here (derOf returns it: @peculiar's serializer was most of a leaf's encoding cost). A string's bytes are its UTF-8
 * (the provider writes an email address as an IA5 RawValue of its UTF-8 bytes: common_cert.go), and an RDN of several
 * values is a SET OF whose encodings DER sorts (Go's encoding/asn1 setEncoder, X.690 §11.6), as @peculiar does not.
 */
export function distinguishedName(attributes: readonly (readonly [string, readonly string[]])[]): asnX509.Name {
  const rdns: asnX509.RelativeDistinguishedName[] = [];
  const rdnDers: Der[] = [];
  for (const [type, values] of attributes) {
    if (values.length === 0) continue;
    const members = values
      .map((value) => {
        const tag = attributeStringTag(type, value);
        return {
          der: tlv(TAG.sequence, [oidDer(type), tlv(tag, [Buffer.from(value, "utf8")])]),
          object: new asnX509.AttributeTypeAndValue({ type, value: attributeValue(tag, value) }),
        };
      })
      .sort((a, b) => Buffer.compare(a.der, b.der));
    rdns.push(new asnX509.RelativeDistinguishedName(members.map((m) => m.object)));
    rdnDers.push(
      tlv(
        TAG.set,
        members.map((m) => m.der),
      ),
    );
  }
  return withDer(new asnX509.Name(rdns), tlv(TAG.sequence, rdnDers));
}

const CRITICAL = new Uint8Array([TAG.boolean, 1, 0xff]);

/**
 * An Extension whose value is `valueDer`, its own DER written here (derOf returns it): critical only when true
 * (DEFAULT FALSE), the value in an OCTET STRING.
 */
export function extensionOf(extnID: string, critical: boolean, valueDer: Der): asnX509.Extension {
  const made = new asnX509.Extension({ extnID, critical, extnValue: new OctetString(valueDer) });
  const contents = critical
    ? [oidDer(extnID), CRITICAL, tlv(TAG.octetString, [valueDer])]
    : [oidDer(extnID), tlv(TAG.octetString, [valueDer])];
  return withDer(made, tlv(TAG.sequence, contents));
}

/** An extension whose value is `value`'s DER. */
export function extension(extnID: string, critical: boolean, value: object): asnX509.Extension {
  return extensionOf(extnID, critical, new Uint8Array(AsnConvert.serialize(value)));
}

export interface SanLists {
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly uris?: readonly string[];
}

/** GeneralName tags (RFC 5280 §4.2.1.6): [2] dNSName, [6] uniformResourceIdentifier, [7] iPAddress, IMPLICIT. */
const GENERAL_NAME_TAG = { dNSName: 0x82, uniformResourceIdentifier: 0x86, iPAddress: 0x87 } as const;

/** An IA5String's bytes, or Go's error for a name that is not one (crypto/x509 x509.go isIA5String). */
function ia5(name: string): Buffer {
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) > 0x7f) throw new Error(`x509: ${JSON.stringify(name)} cannot be encoded as an IA5String`);
  }
  return Buffer.from(name, "latin1");
}

/**
 * An IP address's bytes as Go's net.ParseIP and marshalSANs give them (`rawIP.To4()`): IPv4, and an IPv4-mapped IPv6
 * address, in 4 bytes, other IPv6 in 16. An IPv6 address is first normalized by the WHATWG URL parser, which writes
 * an embedded dotted quad as hex: @peculiar's converter misreads `::ffff:10.0.0.1` (as `…ffff:0010`).
 */
function ipAddressBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return new Uint8Array(ip.split(".").map(Number));
  const text = isIPv6(ip) ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
  // An asn1js OctetString: the converter's declared type is the union of all asn1js blocks.
  const bytes = (asnX509.AsnIpConverter.toASN(text) as unknown as { valueBlock: { valueHexView: Uint8Array } })
    .valueBlock.valueHexView;
  const v4Mapped =
    bytes.length === 16 && bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return v4Mapped ? bytes.subarray(12) : bytes;
}

/**
 * The subjectAltName extension as Go writes it (crypto/x509 marshalSANs, for certificates and requests alike): DNS
 * names, IP addresses, URIs in that order, `critical` as given; none without names. Its DER is written here and
 * kept with the object (derOf returns it). The one SAN writer: the program's requests and the tls model's
 * certificates both use it.
 */
export function subjectAltNameExtensions(sans: SanLists, critical: boolean): asnX509.Extension[] {
  const names = [
    ...(sans.dnsNames ?? []).map((name) => tlv(GENERAL_NAME_TAG.dNSName, [ia5(name)])),
    ...(sans.ipAddresses ?? []).map((ip) => tlv(GENERAL_NAME_TAG.iPAddress, [ipAddressBytes(ip)])),
    ...(sans.uris ?? []).map((uri) => tlv(GENERAL_NAME_TAG.uniformResourceIdentifier, [ia5(uri)])),
  ];
  return names.length === 0 ? [] : [extensionOf(asnX509.id_ce_subjectAltName, critical, tlv(TAG.sequence, names))];
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
