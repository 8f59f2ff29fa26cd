/**
 * Certificate signing requests built by the program instead of a `tls.CertRequest` resource: one resource fewer per
 * leaf. The request is a pure function of (private key PEM, subject, SANs), byte for byte. That matters because the
 * tls provider replaces a LocallySignedCert whenever its `cert_request_pem` changes
 * (hashicorp/terraform-provider-tls internal/provider/resource_locally_signed_cert.go: cert_request_pem has
 * requireReplaceIfStateContainsPEMString, internal/provider/common.go), so a request signed with a random nonce
 * would reissue every leaf on every `up`. ECDSA is signed with RFC 6979 deterministic nonces (@noble/curves);
 * RSA PKCS #1 v1.5 signatures are deterministic by construction.
 *
 * The request carries what the provider's own CertRequest carries (internal/provider/resource_cert_request.go,
 * Go's x509.CreateCertificateRequest): version 0, the subject in Go's pkix.Name order and string types, the
 * public key, and the DNS, IP and URI SANs in one non-critical subjectAltName extension inside a PKCS #9
 * extensionRequest attribute; signed with SHA-256 (P-256, RSA) or SHA-384 (P-384), as Go picks per key. A
 * LocallySignedCert reads only the subject, those SANs and the public key from it and does not check its signature
 * (resource_locally_signed_cert.go Create: x509.ParseCertificateRequest, never CheckSignature).
 */
import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from "node:crypto";
import { isIP } from "node:net";
import { p256 } from "@noble/curves/p256";
import { p384 } from "@noble/curves/p384";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import * as asnCsr from "@peculiar/asn1-csr";
import * as asnX509 from "@peculiar/asn1-x509";
import type { CertificateSubject, SubjectAltNames } from "./identity";
import { EXTENSION_REQUEST_OID } from "./readCertRequest";

export interface CertRequestSpec {
  readonly subject: CertificateSubject;
  readonly sans: SubjectAltNames;
}

/** Go's pkix.Name.ToRDNSequence order for the fields the provider's `subject` block has. */
const SUBJECT_OIDS: readonly [keyof CertificateSubject, string][] = [
  ["organization", "2.5.4.10"],
  ["organizationalUnit", "2.5.4.11"],
  ["commonName", "2.5.4.3"],
];

/**
 * Go's encoding/asn1 writes an untagged string as PrintableString when every character is in that set, else as
 * UTF8String (marshal.go, makeField).
 */
function isPrintable(value: string): boolean {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value);
}

function subjectName(subject: CertificateSubject): asnX509.Name {
  const rdns: asnX509.RelativeDistinguishedName[] = [];
  for (const [field, type] of SUBJECT_OIDS) {
    const value = subject[field];
    if (value === undefined || value === "") continue;
    const attributeValue = new asnX509.AttributeValue(
      isPrintable(value) ? { printableString: value } : { utf8String: value },
    );
    rdns.push(
      new asnX509.RelativeDistinguishedName([new asnX509.AttributeTypeAndValue({ type, value: attributeValue })]),
    );
  }
  return new asnX509.Name(rdns);
}

/** Go's marshalSANs order: DNS names, then IP addresses, then URIs. */
function subjectAltNames(sans: SubjectAltNames): asnX509.GeneralName[] {
  for (const ip of sans.ipAddresses) {
    if (isIP(ip) === 0) throw new Error(`certRequestPem: invalid IP address ${JSON.stringify(ip)}`);
  }
  for (const uri of sans.uris) {
    if (!URL.canParse(uri)) throw new Error(`certRequestPem: invalid URI ${JSON.stringify(uri)}`);
  }
  return [
    ...sans.dnsNames.map((dNSName) => new asnX509.GeneralName({ dNSName })),
    ...sans.ipAddresses.map((iPAddress) => new asnX509.GeneralName({ iPAddress })),
    ...sans.uris.map((uniformResourceIdentifier) => new asnX509.GeneralName({ uniformResourceIdentifier })),
  ];
}

interface Signer {
  readonly algorithm: asnX509.AlgorithmIdentifier;
  readonly sign: (tbs: Uint8Array) => Uint8Array;
}

const ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
const ECDSA_WITH_SHA384 = "1.2.840.10045.4.3.3";
const SHA256_WITH_RSA = "1.2.840.113549.1.1.11";
/** RSA's AlgorithmIdentifier carries an explicit NULL parameter (RFC 4055 §5); ECDSA's none (RFC 5758 §3.2). */
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

/** The signature Go's signingParamsForPublicKey picks for the key, made deterministically. */
function signerFor(key: KeyObject): Signer {
  if (key.asymmetricKeyType === "rsa") {
    return {
      algorithm: new asnX509.AlgorithmIdentifier({ algorithm: SHA256_WITH_RSA, parameters: DER_NULL }),
      sign: (tbs) => new Uint8Array(sign("sha256", tbs, key)),
    };
  }
  if (key.asymmetricKeyType === "ec") {
    const jwk = key.export({ format: "jwk" });
    const d = Buffer.from(jwk.d ?? "", "base64url");
    const curve = {
      "P-256": { c: p256, hash: "sha256", oid: ECDSA_WITH_SHA256 },
      "P-384": { c: p384, hash: "sha384", oid: ECDSA_WITH_SHA384 },
    }[jwk.crv ?? ""];
    if (curve) {
      return {
        algorithm: new asnX509.AlgorithmIdentifier({ algorithm: curve.oid }),
        // RFC 6979: the nonce is derived from the key and the digest, so one input gives one signature.
        sign: (tbs) => curve.c.sign(createHash(curve.hash).update(tbs).digest(), d).toDERRawBytes(),
      };
    }
    throw new Error(`certRequestPem: unsupported ECDSA curve ${jwk.crv ?? "unknown"} (use P-256 or P-384)`);
  }
  throw new Error(`certRequestPem: unsupported key type ${key.asymmetricKeyType ?? "unknown"} (use ECDSA or RSA)`);
}

function pem(label: string, der: ArrayBuffer): string {
  const lines =
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** The PEM CSR for `privateKeyPem` (SEC1, PKCS #1 or PKCS #8), the same bytes for the same inputs on every run. */
export function certRequestPem(privateKeyPem: string, spec: CertRequestSpec): string {
  const key = createPrivateKey(privateKeyPem);
  const signer = signerFor(key);
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  const names = subjectAltNames(spec.sans);
  const extensions = names.length
    ? [
        new asnX509.Extension({
          extnID: asnX509.id_ce_subjectAltName,
          critical: false,
          extnValue: new OctetString(AsnConvert.serialize(new asnX509.SubjectAlternativeName(names))),
        }),
      ]
    : [];
  const attributes = new asnCsr.Attributes(
    extensions.length
      ? [
          new asnX509.Attribute({
            type: EXTENSION_REQUEST_OID,
            values: [AsnConvert.serialize(new asnX509.Extensions(extensions))],
          }),
        ]
      : [],
  );
  const certificationRequestInfo = new asnCsr.CertificationRequestInfo({
    version: 0,
    subject: subjectName(spec.subject),
    subjectPKInfo: AsnConvert.parse(spki, asnX509.SubjectPublicKeyInfo),
    attributes,
  });
  const signature = signer.sign(new Uint8Array(AsnConvert.serialize(certificationRequestInfo)));
  const request = new asnCsr.CertificationRequest({
    certificationRequestInfo,
    signatureAlgorithm: signer.algorithm,
    signature: new Uint8Array(signature).buffer,
  });
  return pem("CERTIFICATE REQUEST", AsnConvert.serialize(request));
}
