/**
 * Certificate signing requests built by the program instead of a `tls.CertRequest` resource: one resource fewer per
 * leaf. The request is a pure function of (private key PEM, subject, SANs), byte for byte. That matters because the
 * tls provider replaces a LocallySignedCert whenever its `cert_request_pem` changes
 * (hashicorp/terraform-provider-tls internal/provider/resource_locally_signed_cert.go: cert_request_pem has
 * requireReplaceIfStateContainsPEMString, internal/provider/common.go), so a request signed with a random nonce
 * would reissue every leaf on every `up`. ECDSA is signed with RFC 6979 deterministic nonces (pki/ecdsa.ts);
 * RSA PKCS #1 v1.5 signatures are deterministic by construction.
 *
 * The request carries what the provider's own CertRequest carries (internal/provider/resource_cert_request.go,
 * Go's x509.CreateCertificateRequest): version 0, the subject in Go's pkix.Name order and string types, the
 * public key, and the DNS, IP and URI SANs in one non-critical subjectAltName extension inside a PKCS #9
 * extensionRequest attribute; signed with SHA-256 (P-256, RSA) or SHA-384 (P-384), as Go picks per key. A
 * LocallySignedCert reads only the subject, those SANs and the public key from it and does not check its signature
 * (resource_locally_signed_cert.go Create: x509.ParseCertificateRequest, never CheckSignature).
 */
import { createPrivateKey, createPublicKey, sign, type KeyObject } from "node:crypto";
import { isIP } from "node:net";
import * as asnX509 from "@peculiar/asn1-x509";
import {
  certificationRequest,
  DER_NULL,
  distinguishedName,
  pem,
  SIGNATURE_OIDS,
  subjectAltNameExtensions,
} from "./asn1";
import {
  canonicalSec1Key,
  ecdsaSpki,
  isDeterministicEcdsaCurve,
  signDeterministicEcdsa,
  type DeterministicEcdsaCurve,
} from "./ecdsa";
import type { CertificateSubject, SubjectAltNames } from "./identity";

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

function subjectName(subject: CertificateSubject): asnX509.Name {
  return distinguishedName(
    SUBJECT_OIDS.map(([field, type]) => {
      const value = subject[field];
      return [type, value === undefined || value === "" ? [] : [value]] as const;
    }),
  );
}

/** Refuses what Go's marshalSANs cannot write: an IP that does not parse, a URI that does not parse. */
function checkSans(sans: SubjectAltNames): void {
  for (const ip of sans.ipAddresses) {
    if (isIP(ip) === 0) throw new Error(`certRequestPem: invalid IP address ${JSON.stringify(ip)}`);
  }
  for (const uri of sans.uris) {
    if (!URL.canParse(uri)) throw new Error(`certRequestPem: invalid URI ${JSON.stringify(uri)}`);
  }
}

/** The DER types node decodes a PEM label as: told the type, it skips OpenSSL 3's slow decoder search. */
const PRIVATE_KEY_DER_TYPES: Record<string, "sec1" | "pkcs1" | "pkcs8"> = {
  "EC PRIVATE KEY": "sec1",
  "RSA PRIVATE KEY": "pkcs1",
  "PRIVATE KEY": "pkcs8",
};

/**
 * The signer of `privateKeyPem`: a SEC1 key in the layout Go and OpenSSL write read directly (pki/ecdsa.ts), any
 * other key through node's decoder told the DER type, and a PEM of another shape through node's own decoder, which
 * says what is wrong.
 */
function importSigner(privateKeyPem: string): Signer {
  const match = /^-----BEGIN ([A-Z ]+)-----\n([A-Za-z0-9+/=\n]+?)\n-----END \1-----\n?$/.exec(privateKeyPem);
  const type = match ? PRIVATE_KEY_DER_TYPES[match[1]!] : undefined;
  if (!match || !type) return signerFor(createPrivateKey(privateKeyPem));
  const der = Buffer.from(match[2]!, "base64");
  const sec1 = type === "sec1" ? canonicalSec1Key(der) : undefined;
  if (sec1) return ecdsaSigner(sec1.curve, sec1.privateKey, sec1.spki);
  return signerFor(createPrivateKey({ key: der, format: "der", type }));
}

/** Shared, never changed: pki/der.ts keeps the DER of each per object. */
const RSA_SHA256 = new asnX509.AlgorithmIdentifier({ algorithm: SIGNATURE_OIDS.sha256WithRsa, parameters: DER_NULL });
const ECDSA_SHA256 = new asnX509.AlgorithmIdentifier({ algorithm: SIGNATURE_OIDS.ecdsaWithSha256 });
const ECDSA_SHA384 = new asnX509.AlgorithmIdentifier({ algorithm: SIGNATURE_OIDS.ecdsaWithSha384 });

interface Signer {
  readonly algorithm: asnX509.AlgorithmIdentifier;
  readonly sign: (tbs: Uint8Array) => Uint8Array;
  /** The public key, SubjectPublicKeyInfo DER. */
  readonly spki: Buffer;
}

function ecdsaSigner(curve: DeterministicEcdsaCurve, privateKey: Buffer, spki: Buffer): Signer {
  return {
    algorithm: curve === "P-256" ? ECDSA_SHA256 : ECDSA_SHA384,
    // RFC 6979: the nonce is derived from the key and the digest, so one input gives one signature.
    sign: (tbs) => signDeterministicEcdsa(curve, privateKey, tbs),
    spki,
  };
}

/** The signature Go's signingParamsForPublicKey picks for the key, made deterministically. */
function signerFor(key: KeyObject): Signer {
  if (key.asymmetricKeyType === "rsa") {
    return {
      algorithm: RSA_SHA256,
      sign: (tbs) => new Uint8Array(sign("sha256", tbs, key)),
      spki: createPublicKey(key).export({ type: "spki", format: "der" }),
    };
  }
  if (key.asymmetricKeyType === "ec") {
    const jwk = key.export({ format: "jwk" });
    const crv = jwk.crv ?? "";
    if (isDeterministicEcdsaCurve(crv)) {
      // JWK coordinates are fixed-length (RFC 7518 §6.2.1.2).
      const point = Buffer.concat([
        Buffer.from([4]),
        Buffer.from(jwk.x ?? "", "base64url"),
        Buffer.from(jwk.y ?? "", "base64url"),
      ]);
      return ecdsaSigner(crv, Buffer.from(jwk.d ?? "", "base64url"), ecdsaSpki(crv, point));
    }
    throw new Error(`certRequestPem: unsupported ECDSA curve ${jwk.crv ?? "unknown"} (use P-256 or P-384)`);
  }
  throw new Error(`certRequestPem: unsupported key type ${key.asymmetricKeyType ?? "unknown"} (use ECDSA or RSA)`);
}

/** The PEM CSR for `privateKeyPem` (SEC1, PKCS #1 or PKCS #8), the same bytes for the same inputs on every run. */
export function certRequestPem(privateKeyPem: string, spec: CertRequestSpec): string {
  const signer = importSigner(privateKeyPem);
  checkSans(spec.sans);
  const der = certificationRequest({
    subject: subjectName(spec.subject),
    spki: signer.spki,
    extensions: subjectAltNameExtensions(spec.sans, false),
    signatureAlgorithm: signer.algorithm,
    sign: signer.sign,
  });
  return pem("CERTIFICATE REQUEST", der);
}
