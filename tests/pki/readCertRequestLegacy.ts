/**
 * The CSR reader as it was before pki/readCertRequest.ts walked asn1js's tree itself (git show c81613c:pki/readCertRequest.ts):
 * @peculiar's AsnConvert.parse against the CertificationRequest schema, the subject kept as a Name and the SAN
 * extension rebuilt as @peculiar objects. tests/pki/readCertRequest.spec.ts holds the new reader to it.
 */
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asnCsr from "@peculiar/asn1-csr";
import * as asnX509 from "@peculiar/asn1-x509";
import { subjectAltNameExtensions } from "../../pki/asn1";
import { EXTENSION_REQUEST_OID, type CertRequestSans } from "../../pki/readCertRequest";

export interface LegacyRead {
  readonly subject: asnX509.Name;
  readonly spki: ArrayBuffer;
  readonly sans: CertRequestSans;
}

export function legacyReadCertRequest(text: string): LegacyRead {
  const match = /-----BEGIN ([A-Z ]+)-----\n([\s\S]+?)\n-----END \1-----/.exec(text);
  if (!match) throw new Error('failed to decode PEM of expected type "CERTIFICATE REQUEST" from bytes');
  if (match[1] !== "CERTIFICATE REQUEST") {
    throw new Error(`invalid PEM type - expected "CERTIFICATE REQUEST", got "${match[1]}"`);
  }
  const der = Buffer.from(match[2]!.replace(/\s+/g, ""), "base64");
  const request = AsnConvert.parse(der, asnCsr.CertificationRequest);
  const info = request.certificationRequestInfo;
  const sans: CertRequestSans = { dnsNames: [], ipAddresses: [], uris: [] };
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

/** The certificate's SAN extension as simulate/tls/models.ts built it from a legacy read, DER. */
export function legacySanExtensionDer(read: LegacyRead): Buffer[] {
  return subjectAltNameExtensions(read.sans, read.subject.length === 0).map((extension) =>
    Buffer.from(AsnConvert.serialize(extension)),
  );
}
