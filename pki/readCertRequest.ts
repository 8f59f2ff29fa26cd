/**
 * Reads a PEM certificate signing request the way the tls provider does. Only ASN.1 libraries: the policy pack
 * imports it to see a leaf's SANs in a LocallySignedCert's `certRequestPem`.
 */
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asnCsr from "@peculiar/asn1-csr";
import * as asnX509 from "@peculiar/asn1-x509";

/** The SANs a CSR asks for (the shape of identity.ts SubjectAltNames; this file imports nothing of the repo, as the pack vendors it). */
export interface CertRequestSans {
  readonly dnsNames: string[];
  readonly ipAddresses: string[];
  readonly uris: string[];
}

/** PKCS #9 extensionRequest: the attribute a CSR asks for extensions in. */
export const EXTENSION_REQUEST_OID = "1.2.840.113549.1.9.14";

/** What a LocallySignedCert takes from a CSR (resource_locally_signed_cert.go Create, the certificate template). */
export interface ReadCertRequest {
  readonly subject: asnX509.Name;
  /** SubjectPublicKeyInfo, DER. */
  readonly spki: ArrayBuffer;
  readonly sans: CertRequestSans;
}

/**
 * Parses a PEM CSR as Go's x509.ParseCertificateRequest does for the provider: the PEM type must be
 * `CERTIFICATE REQUEST` (decodePEM), the SANs come from the extensionRequest attribute, and the signature is not
 * checked. Throws on anything that does not parse.
 */
export function readCertRequest(text: string): ReadCertRequest {
  const match = /-----BEGIN ([A-Z ]+)-----\n([\s\S]+?)\n-----END \1-----/.exec(text);
  if (!match) throw new Error('failed to decode PEM of expected type "CERTIFICATE REQUEST" from bytes');
  if (match[1] !== "CERTIFICATE REQUEST") {
    throw new Error(`invalid PEM type - expected "CERTIFICATE REQUEST", got "${match[1]}"`);
  }
  const der = Buffer.from(match[2]!.replace(/\s+/g, ""), "base64");
  const request = AsnConvert.parse(der, asnCsr.CertificationRequest);
  const info = request.certificationRequestInfo;
  const sans: { dnsNames: string[]; ipAddresses: string[]; uris: string[] } = {
    dnsNames: [],
    ipAddresses: [],
    uris: [],
  };
  for (const attribute of info.attributes) {
    if (attribute.type !== EXTENSION_REQUEST_OID || attribute.values.length === 0) continue;
    const extensions = AsnConvert.parse(attribute.values[0]!, asnX509.Extensions);
    for (const extension of extensions) {
      if (extension.extnID !== asnX509.id_ce_subjectAltName) continue;
      for (const name of AsnConvert.parse(extension.extnValue, asnX509.SubjectAlternativeName)) {
        if (name.dNSName !== undefined) sans.dnsNames.push(name.dNSName);
        else if (name.iPAddress !== undefined) sans.ipAddresses.push(name.iPAddress);
        else if (name.uniformResourceIdentifier !== undefined) sans.uris.push(name.uniformResourceIdentifier);
      }
    }
  }
  return { subject: info.subject, spki: AsnConvert.serialize(info.subjectPKInfo), sans };
}
