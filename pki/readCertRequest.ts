/**
 * Reads a PEM certificate signing request the way the tls provider does. Only ASN.1 libraries: the policy pack
 * imports it to see a leaf's SANs in a LocallySignedCert's `certRequestPem`.
 *
 * The DER is decoded once by asn1js (no schema comparison: @peculiar's AsnConvert.parse matched every node against
 * the CertificationRequest schema, ~1 ms a request) and the tree is walked as Go's encoding/asn1 unmarshals it into
 * crypto/x509's certificateRequest (golang/go src/crypto/x509/x509.go ParseCertificateRequest,
 * parseCertificateRequest, parseCSRExtensions; parser.go parseSANExtension, forEachSAN). DER only: an indefinite or
 * non-minimal length, trailing data or a wrong tag is refused with encoding/asn1's message.
 */
import { createPublicKey } from "node:crypto";
import * as asn1js from "asn1js";
import { AsnIpConverter } from "@peculiar/asn1-x509";

/** The SANs a CSR asks for (the shape of identity.ts SubjectAltNames; this file imports nothing of the repo, as the pack vendors it). */
export interface CertRequestSans {
  readonly dnsNames: string[];
  readonly ipAddresses: string[];
  readonly uris: string[];
}

/** PKCS #9 extensionRequest: the attribute a CSR asks for extensions in. */
export const EXTENSION_REQUEST_OID = "1.2.840.113549.1.9.14";
const SUBJECT_ALT_NAME_OID = "2.5.29.17";

/** What a LocallySignedCert takes from a CSR (resource_locally_signed_cert.go Create, the certificate template). */
export interface ReadCertRequest {
  /** The subject Name, DER: the bytes of the request. */
  readonly subject: Uint8Array;
  /**
   * The subject as the provider's certificate carries it: Go reads the request's subject into a pkix.Name
   * (FillFromRDNSequence: country, province, locality, street, postal code, organization and unit as lists, common
   * name and serial number the last one given, every other type dropped) and the template's Name is written back by
   * ToRDNSequence in that order, each type's values in one RDN (golang/go src/crypto/x509/pkix/pkix.go). As
   * (type, values) pairs in that order, empty types left out.
   */
  readonly subjectAttributes: readonly (readonly [string, readonly string[]])[];
  /** SubjectPublicKeyInfo, DER: the bytes of the request. */
  readonly spki: Uint8Array;
  /**
   * The Go type the request's public key parses to (x509.go parsePublicKey), as CreateCertificate's
   * "unsupported public key type: %T" names it: it signs only `*rsa.PublicKey`, `*ecdsa.PublicKey` and
   * `ed25519.PublicKey`; `<nil>` for an algorithm Go does not know.
   */
  readonly publicKeyType: string;
  readonly sans: CertRequestSans;
}

/** An error as the provider reports it: resource_locally_signed_cert.go parseCertificateRequest wraps Go's. */
function refused(message: string): Error {
  return new Error(`failed to parse certificate request: ${message}`);
}
const syntaxError = (message: string): Error => refused(`asn1: syntax error: ${message}`);
const structuralError = (message: string): Error => refused(`asn1: structure error: ${message}`);

type Node = asn1js.AsnType;

const UNIVERSAL = 1;
const CONTEXT = 3;
const TAG = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  oid: 6,
  utf8String: 12,
  sequence: 16,
  set: 17,
  numericString: 18,
  printableString: 19,
  t61String: 20,
  ia5String: 22,
  bmpString: 30,
} as const;

/** The number of length octets DER allows for `length` (X.690 §10.1: the shortest form). */
function minimalLengthOctets(length: number): number {
  if (length < 0x80) return 1;
  let octets = 1;
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets++;
  return octets;
}

/** Refuses what encoding/asn1 refuses in every element's header (asn1.go parseTagAndLength), depth first. */
function checkDer(node: Node): void {
  const { idBlock, lenBlock } = node;
  if (idBlock.tagNumber < 31 && idBlock.blockLength !== 1) throw syntaxError("non-minimal tag");
  if (lenBlock.isIndefiniteForm) throw syntaxError("indefinite length found (not DER)");
  if (lenBlock.longFormUsed) {
    if (lenBlock.length < 0x80) throw structuralError("non-minimal length");
    if (lenBlock.blockLength !== minimalLengthOctets(lenBlock.length)) {
      throw structuralError("superfluous leading zeros in length");
    }
  }
  if (idBlock.isConstructed) {
    for (const child of children(node)) checkDer(child);
  }
}

/** One DER element filling `bytes` exactly (asn1.Unmarshal, then Go's `len(rest) != 0` check). */
function decodeDer(bytes: Uint8Array): Node {
  const decoded = asn1js.fromBER(bytes);
  if (decoded.offset === -1) {
    const error = decoded.result.error;
    throw syntaxError(/End of input|Zero buffer length/.test(error) ? "data truncated" : error);
  }
  if (decoded.offset !== bytes.length) throw syntaxError("trailing data");
  checkDer(decoded.result);
  return decoded.result;
}

function children(node: Node): Node[] {
  const value = (node.valueBlock as { value?: unknown }).value;
  return Array.isArray(value) ? (value as Node[]) : [];
}

/** The element's own bytes, header included (asn1.RawValue.FullBytes). */
function fullBytes(node: Node): Uint8Array {
  return node.valueBeforeDecodeView;
}

/** The contents octets of a primitive element. */
function contents(node: Node): Uint8Array {
  const full = fullBytes(node);
  return full.subarray(node.idBlock.blockLength + node.lenBlock.blockLength);
}

function is(node: Node, tagClass: number, tagNumber: number, constructed: boolean): boolean {
  const { idBlock } = node;
  return idBlock.tagClass === tagClass && idBlock.tagNumber === tagNumber && idBlock.isConstructed === constructed;
}

/** The element, when it has the universal tag Go's field type expects; else encoding/asn1's structure error. */
function expect(node: Node | undefined, tagNumber: number, constructed: boolean, what: string): Node {
  if (!node) throw syntaxError("sequence truncated");
  if (!is(node, UNIVERSAL, tagNumber, constructed)) {
    throw structuralError(`tags don't match (${tagNumber} vs tag ${node.idBlock.tagNumber}) ${what}`);
  }
  return node;
}

/** An INTEGER Go reads into an `int` (asn1.go parseInt64, checkInteger). */
function checkInt(node: Node): void {
  const bytes = contents(node);
  if (bytes.length === 0) throw structuralError("empty integer");
  if (bytes.length > 1 && ((bytes[0] === 0 && bytes[1]! < 0x80) || (bytes[0] === 0xff && bytes[1]! >= 0x80))) {
    throw structuralError("integer not minimally-encoded");
  }
  if (bytes.length > 8) throw structuralError("integer too large");
}

/** A BIT STRING as asn1.go parseBitString accepts it. */
function checkBitString(node: Node): void {
  const bytes = contents(node);
  if (bytes.length === 0) throw syntaxError("zero length BIT STRING");
  const padding = bytes[0]!;
  if (padding > 7 || (bytes.length === 1 && padding > 0) || (bytes[bytes.length - 1]! & ((1 << padding) - 1)) !== 0) {
    throw syntaxError("invalid padding bits in BIT STRING");
  }
}

/** An OBJECT IDENTIFIER as asn1.go parseObjectIdentifier accepts it, in dotted form. */
function objectIdentifier(node: Node | undefined, what: string): string {
  const oid = expect(node, TAG.oid, false, what);
  const bytes = contents(oid);
  if (bytes.length === 0) throw syntaxError("zero length OBJECT IDENTIFIER");
  // parseBase128Int, sub-identifier by sub-identifier: minimal, at most 5 octets, and no more than MaxInt32.
  let octets = 0;
  let value = 0;
  for (const b of bytes) {
    if (octets === 5) throw structuralError("base 128 integer too large");
    if (octets === 0 && b === 0x80) throw syntaxError("integer is not minimally encoded");
    value = value * 128 + (b & 0x7f);
    octets++;
    if ((b & 0x80) === 0) {
      if (value > 0x7fffffff) throw structuralError("base 128 integer too large");
      octets = 0;
      value = 0;
    }
  }
  if (octets !== 0) throw syntaxError("truncated base 128 integer");
  return (oid as asn1js.ObjectIdentifier).valueBlock.toString();
}

/** Named curves Go's parsePublicKey knows (x509.go namedCurveFromOID), by OID, with their coordinate size. */
const NAMED_CURVES: Record<string, number> = {
  "1.3.132.0.33": 28, // P-224
  "1.2.840.10045.3.1.7": 32, // P-256
  "1.3.132.0.34": 48, // P-384
  "1.3.132.0.35": 66, // P-521
};

/**
 * The public key checked as Go's parsePublicKey checks it (golang/go src/crypto/x509/parser.go), with OpenSSL
 * (node's createPublicKey) standing in for Go's own decoders: RSA with NULL parameters, ECDSA on a named curve
 * Go knows with an uncompressed point on the curve, Ed25519 with no parameters and 32 bytes. Returns the Go type it
 * parses to (an algorithm Go does not know parses to no key at all).
 */
function checkPublicKey(spki: Node, algorithm: Node[], key: Uint8Array): string {
  const oid = objectIdentifier(algorithm[0], "publicKeyInfo Algorithm algorithm");
  const parameters = algorithm[1];
  const valid = (): boolean => {
    try {
      createPublicKey({ key: Buffer.from(fullBytes(spki)), format: "der", type: "spki" });
      return true;
    } catch {
      return false;
    }
  };
  switch (oid) {
    case "1.2.840.113549.1.1.1":
      if (!parameters || !is(parameters, UNIVERSAL, 5, false) || contents(parameters).length !== 0) {
        throw refused("x509: RSA key missing NULL parameters");
      }
      if (!valid()) throw refused("x509: invalid RSA public key");
      return "*rsa.PublicKey";
    case "1.2.840.10045.2.1": {
      if (!parameters || !is(parameters, UNIVERSAL, TAG.oid, false)) {
        throw refused("x509: failed to parse ECDSA parameters as named curve");
      }
      const size = NAMED_CURVES[objectIdentifier(parameters, "namedCurve")];
      if (size === undefined) throw refused("x509: unsupported elliptic curve");
      if (key.length !== 1 + 2 * size || key[0] !== 4 || !valid()) {
        throw refused("x509: failed to unmarshal elliptic curve point");
      }
      return "*ecdsa.PublicKey";
    }
    case "1.3.101.112":
      if (parameters) throw refused("x509: Ed25519 key encoded with illegal parameters");
      if (key.length !== 32) throw refused("x509: wrong Ed25519 public key size");
      return "ed25519.PublicKey";
    case "1.3.101.110":
      return "*ecdh.PublicKey";
    case "1.2.840.10040.4.1":
      return "*dsa.PublicKey";
    default:
      return "<nil>";
  }
}

/** pkix.AlgorithmIdentifier: SEQUENCE { OBJECT IDENTIFIER, parameters ANY OPTIONAL }, more elements allowed. */
function checkAlgorithmIdentifier(node: Node | undefined, what: string): void {
  objectIdentifier(children(expect(node, TAG.sequence, true, what))[0], `${what} algorithm`);
}

/** Printable characters as asn1.go parsePrintableString takes them (with '*' and '&', which it allows when parsing). */
function isPrintable(bytes: Uint8Array): boolean {
  for (const b of bytes) {
    const letterOrDigit = (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39);
    if (!letterOrDigit && !" '()+,-./:=?*&".includes(String.fromCharCode(b))) return false;
  }
  return true;
}

function isAscii(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b >= 0x80) return false;
  return true;
}

/**
 * An attribute value Go unmarshals into `any` (asn1.go parseField): the string types it decodes are checked as it
 * checks them; other types are kept as they are.
 */
function checkAttributeValue(node: Node | undefined): void {
  if (!node) throw syntaxError("sequence truncated");
  if (node.idBlock.tagClass !== UNIVERSAL || node.idBlock.isConstructed) return;
  const bytes = contents(node);
  switch (node.idBlock.tagNumber) {
    case TAG.printableString:
      if (!isPrintable(bytes)) throw syntaxError("PrintableString contains invalid character");
      break;
    case TAG.ia5String:
      if (!isAscii(bytes)) throw syntaxError("IA5String contains invalid character");
      break;
    case TAG.numericString:
      if (!bytes.every((b) => b === 0x20 || (b >= 0x30 && b <= 0x39))) {
        throw syntaxError("NumericString contains invalid character");
      }
      break;
    case TAG.utf8String:
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      } catch {
        throw refused("asn1: invalid UTF-8 string"); // errors.New, not a SyntaxError (asn1.go parseUTF8String)
      }
      break;
    case TAG.integer:
      checkInt(node);
      break;
    default:
      break;
  }
}

/** The string an attribute value unmarshals to in Go (asn1.go parseField for `any`), or undefined for other types. */
function attributeString(node: Node): string | undefined {
  if (node.idBlock.tagClass !== UNIVERSAL || node.idBlock.isConstructed) return undefined;
  const bytes = contents(node);
  switch (node.idBlock.tagNumber) {
    case TAG.utf8String:
      return Buffer.from(bytes).toString("utf8");
    case TAG.printableString:
    case TAG.ia5String:
    case TAG.numericString:
    case TAG.t61String:
      return Buffer.from(bytes).toString("latin1");
    case TAG.bmpString: {
      let text = "";
      for (let i = 0; i + 1 < bytes.length; i += 2) text += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
      return text;
    }
    default:
      return undefined;
  }
}

/** pkix.Name's fields, in ToRDNSequence's order, by attribute type (pkix.go FillFromRDNSequence, ToRDNSequence). */
const NAME_FIELDS: readonly { readonly type: string; readonly single: boolean }[] = [
  { type: "2.5.4.6", single: false }, // Country
  { type: "2.5.4.8", single: false }, // Province
  { type: "2.5.4.7", single: false }, // Locality
  { type: "2.5.4.9", single: false }, // StreetAddress
  { type: "2.5.4.17", single: false }, // PostalCode
  { type: "2.5.4.10", single: false }, // Organization
  { type: "2.5.4.11", single: false }, // OrganizationalUnit
  { type: "2.5.4.3", single: true }, // CommonName: the last one given; none when empty
  { type: "2.5.4.5", single: true }, // SerialNumber: likewise
];

/**
 * pkix.RDNSequence: SEQUENCE OF SET OF AttributeTypeAndValue { type OBJECT IDENTIFIER, value ANY }, checked as Go
 * unmarshals it, and read into pkix.Name's fields (see ReadCertRequest.subjectAttributes).
 */
function readSubject(subject: Node): ReadCertRequest["subjectAttributes"] {
  const values = new Map<string, string[]>();
  for (const rdn of children(expect(subject, TAG.sequence, true, "pkix.RDNSequence"))) {
    for (const attribute of children(expect(rdn, TAG.set, true, "pkix.RelativeDistinguishedNameSET"))) {
      const [type, value] = children(expect(attribute, TAG.sequence, true, "pkix.AttributeTypeAndValue"));
      const oid = objectIdentifier(type, "pkix.AttributeTypeAndValue type");
      checkAttributeValue(value);
      const text = attributeString(value!);
      if (text === undefined) continue;
      const field = NAME_FIELDS.find((f) => f.type === oid);
      if (!field) continue;
      values.set(oid, field.single ? [text] : [...(values.get(oid) ?? []), text]);
    }
  }
  return NAME_FIELDS.flatMap(({ type, single }) => {
    const found = values.get(type) ?? [];
    return found.length === 0 || (single && found[0] === "") ? [] : [[type, found] as const];
  });
}

interface RequestedExtension {
  readonly id: string;
  /** The contents of extnValue. */
  readonly value: Uint8Array;
}

/** pkcs10Attribute { Id OBJECT IDENTIFIER, Values SET OF ANY } that parses, or undefined: Go skips the others. */
function pkcs10Attribute(attribute: Node): { id: string; values: Node[] } | undefined {
  if (!is(attribute, UNIVERSAL, TAG.sequence, true)) return undefined;
  const [id, values] = children(attribute);
  if (!id || !is(id, UNIVERSAL, TAG.oid, false) || !values || !is(values, UNIVERSAL, TAG.set, true)) return undefined;
  try {
    return { id: objectIdentifier(id, "pkcs10Attribute"), values: children(values) };
  } catch {
    return undefined;
  }
}

/** x509.go parseCSRExtensions: the extensions of every extensionRequest attribute, each OID at most once. */
function requestedExtensions(attributes: readonly Node[]): RequestedExtension[] {
  const extensions: RequestedExtension[] = [];
  const seen = new Set<string>();
  for (const attribute of attributes) {
    const parsed = pkcs10Attribute(attribute);
    if (!parsed || parsed.values.length === 0 || parsed.id !== EXTENSION_REQUEST_OID) continue;
    for (const extension of children(expect(parsed.values[0], TAG.sequence, true, "[]pkix.Extension"))) {
      const fields = children(expect(extension, TAG.sequence, true, "pkix.Extension"));
      const id = objectIdentifier(fields[0], "pkix.Extension Id");
      let next = 1;
      if (fields[next] && is(fields[next]!, UNIVERSAL, TAG.boolean, false)) {
        const critical = contents(fields[next]!);
        if (critical.length !== 1 || (critical[0] !== 0 && critical[0] !== 0xff)) throw syntaxError("invalid boolean");
        next++;
      }
      const value = contents(expect(fields[next], TAG.octetString, false, "pkix.Extension Value"));
      if (seen.has(id)) throw refused("x509: certificate request contains duplicate requested extensions");
      seen.add(id);
      extensions.push({ id, value });
    }
  }
  return extensions;
}

const ASCII = new TextDecoder("latin1");

/**
 * What Go's parseSANExtension refuses in a URI SAN, or undefined: the failures of net/url's Parse that a URI of
 * printable ASCII can meet (a control character; a `%` not followed by two hex digits), and a host that
 * x509's domainToReverseLabels refuses (an empty label, a trailing dot, a character outside 33–126). Go's other
 * Parse errors (ports, IPv6 literals, a colon in a first relative segment) are not modelled.
 */
function uriProblem(uri: string): string | undefined {
  for (let i = 0; i < uri.length; i++) {
    const code = uri.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return `parse ${JSON.stringify(uri)}: net/url: invalid control character in URL`;
  }
  const escape = /%(?![0-9A-Fa-f]{2})(.{0,2})/.exec(uri);
  if (escape) return `parse ${JSON.stringify(uri)}: invalid URL escape ${JSON.stringify(`%${escape[1]}`)}`;
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(uri)?.[1];
  if (authority === undefined) return undefined;
  const host = authority.slice(authority.lastIndexOf("@") + 1);
  if (host.length === 0) return undefined;
  const labels = host.split(".");
  const valid = labels.every((label) => label.length > 0 && [...label].every((c) => c >= "!" && c <= "~"));
  return valid ? undefined : "invalid domain";
}

/**
 * parser.go parseSANExtension: DNS names, IP addresses and URIs (forEachSAN reads a SEQUENCE of any elements; the
 * other name types are not copied to the certificate). IP addresses as @peculiar/asn1-x509 spells them.
 */
function readSans(value: Uint8Array): CertRequestSans {
  const sans: CertRequestSans = { dnsNames: [], ipAddresses: [], uris: [] };
  let names: Node[];
  try {
    // cryptobyte's ReadASN1 takes the first element; bytes after it are not read.
    const decoded = asn1js.fromBER(value);
    if (decoded.offset === -1) throw new Error(decoded.result.error);
    checkDer(decoded.result);
    names = children(expect(decoded.result, TAG.sequence, true, "GeneralNames"));
  } catch {
    throw refused("x509: invalid subject alternative names");
  }
  for (const name of names) {
    if (name.idBlock.tagClass !== CONTEXT || name.idBlock.isConstructed) continue;
    const bytes = contents(name);
    switch (name.idBlock.tagNumber) {
      case 1:
        if (!isAscii(bytes)) throw refused("x509: SAN rfc822Name is malformed");
        break;
      case 2:
        if (!isAscii(bytes)) throw refused("x509: SAN dNSName is malformed");
        sans.dnsNames.push(ASCII.decode(bytes));
        break;
      case 6: {
        if (!isAscii(bytes)) throw refused("x509: SAN uniformResourceIdentifier is malformed");
        const uri = ASCII.decode(bytes);
        const problem = uriProblem(uri);
        if (problem) throw refused(`x509: cannot parse URI ${JSON.stringify(uri)}: ${problem}`);
        sans.uris.push(uri);
        break;
      }
      case 7:
        if (bytes.length !== 4 && bytes.length !== 16) {
          throw refused(`x509: cannot parse IP address of length ${bytes.length}`);
        }
        sans.ipAddresses.push(AsnIpConverter.fromASN(new asn1js.OctetString({ valueHex: bytes })));
        break;
      default:
        break;
    }
  }
  return sans;
}

/**
 * Parses a PEM CSR as Go's x509.ParseCertificateRequest does for the provider: the PEM type must be
 * `CERTIFICATE REQUEST` (decodePEM), the SANs come from the extensionRequest attribute, and the signature is not
 * checked. Throws on anything that does not parse.
 */
export function readCertRequest(text: string): ReadCertRequest {
  const match = /-----BEGIN ([A-Z ]+)-----\n([\s\S]+?)\n-----END \1-----/.exec(text);
  const base64 = match?.[2]!.replace(/\s+/g, "");
  // pem.Decode: a block whose body is not base64 is no block.
  if (!match || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(base64!)) {
    throw new Error('failed to decode PEM of expected type "CERTIFICATE REQUEST" from bytes');
  }
  if (match[1] !== "CERTIFICATE REQUEST") {
    throw new Error(`invalid PEM type - expected "CERTIFICATE REQUEST", got "${match[1]}"`);
  }
  const request = decodeDer(Buffer.from(base64!, "base64"));
  // certificateRequest { TBSCSR, SignatureAlgorithm, SignatureValue }; Go allows more elements after them.
  const [info, signatureAlgorithm, signature] = children(expect(request, TAG.sequence, true, "certificateRequest"));
  // tbsCertificateRequest { Version int, Subject RawValue, PublicKey publicKeyInfo, RawAttributes [0] }.
  const [version, subject, publicKeyInfo, attributes] = children(
    expect(info, TAG.sequence, true, "tbsCertificateRequest"),
  );
  checkInt(expect(version, TAG.integer, false, "tbsCertificateRequest Version"));
  if (!subject) throw syntaxError("sequence truncated");
  const spki = expect(publicKeyInfo, TAG.sequence, true, "publicKeyInfo");
  const [spkiAlgorithm, publicKey] = children(spki);
  checkAlgorithmIdentifier(spkiAlgorithm, "publicKeyInfo Algorithm");
  checkBitString(expect(publicKey, TAG.bitString, false, "publicKeyInfo PublicKey"));
  const publicKeyType = checkPublicKey(spki, children(spkiAlgorithm!), contents(publicKey!).subarray(1));
  if (!attributes) throw syntaxError("sequence truncated");
  if (!is(attributes, CONTEXT, 0, true)) {
    throw structuralError(`tags don't match (0 vs tag ${attributes.idBlock.tagNumber}) RawAttributes`);
  }
  checkAlgorithmIdentifier(signatureAlgorithm, "SignatureAlgorithm");
  checkBitString(expect(signature, TAG.bitString, false, "SignatureValue"));
  const subjectAttributes = readSubject(subject);
  let sans: CertRequestSans = { dnsNames: [], ipAddresses: [], uris: [] };
  for (const extension of requestedExtensions(children(attributes))) {
    if (extension.id === SUBJECT_ALT_NAME_OID) sans = readSans(extension.value);
  }
  return { subject: fullBytes(subject), subjectAttributes, spki: fullBytes(spki), publicKeyType, sans };
}
