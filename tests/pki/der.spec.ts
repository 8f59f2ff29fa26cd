/**
 * pki/der.ts writes the outer DER of certificates (simulate/tls/encoding.ts certificateDer) and requests
 * (pki/asn1.ts certificationRequest) itself: every byte must equal what @peculiar/asn1-x509's serializer writes for
 * the same structure, for every key algorithm and for the extension and SAN variants we issue.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asnCsr from "@peculiar/asn1-csr";
import * as asnX509 from "@peculiar/asn1-x509";
import {
  certificationRequest,
  distinguishedName,
  EMAIL_ADDRESS_OID,
  extension,
  subjectAltNameExtensions,
  type SanLists,
} from "../../pki/asn1";
import { derOf } from "../../pki/der";
import { EXTENSION_REQUEST_OID } from "../../pki/readCertRequest";
import {
  authorityKeyIdExtension,
  basicConstraintsExtensions,
  certificateDer,
  randomSerial,
  subjectKeyId,
  subjectKeyIdExtension,
  subjectName,
  usageExtensions,
} from "../../simulate/tls/encoding";
import { generatePrivateKey, signingKey } from "../../simulate/tls/keys";
import { FULL_SUBJECT, SIGNING_KEY_KINDS } from "./fixtures";

const KEYS = SIGNING_KEY_KINDS;

/** A stand-in signature that depends on every byte signed, so both encoders must sign the same TBS bytes. */
function fakeSign(tbs: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha512").update(tbs).digest());
}

const SAN_VARIANTS = {
  none: {},
  uri: { uris: ["spiffe://lucid.mesh/ns/default/dc/east/svc/api"] },
  mixed: {
    dnsNames: ["a.example", "b.example.internal"],
    ipAddresses: ["127.0.0.1", "10.1.2.3", "fd00::1"],
    uris: ["spiffe://lucid.mesh"],
  },
  long: { dnsNames: Array.from({ length: 40 }, (_, i) => `host-${i}.a-rather-long-domain.example.internal`) },
};

const SUBJECTS = {
  leaf: subjectName({ organization: "lucid-mesh", organizationalUnit: "east", commonName: "api" }),
  full: subjectName(FULL_SUBJECT),
  empty: subjectName(undefined),
};

/** The request as pki/asn1.ts wrote it before pki/der.ts: all @peculiar objects. */
function peculiarRequest(
  subject: asnX509.Name,
  spki: Uint8Array,
  extensions: asnX509.Extension[],
  algorithm: asnX509.AlgorithmIdentifier,
): Buffer {
  const attributes = new asnCsr.Attributes(
    extensions.length
      ? [
          new asnX509.Attribute({
            type: EXTENSION_REQUEST_OID,
            values: [AsnConvert.serialize(new asnX509.Extensions([...extensions]))],
          }),
        ]
      : [],
  );
  const certificationRequestInfo = new asnCsr.CertificationRequestInfo({
    version: 0,
    subject,
    subjectPKInfo: AsnConvert.parse(spki, asnX509.SubjectPublicKeyInfo),
    attributes,
  });
  const signature = fakeSign(new Uint8Array(AsnConvert.serialize(certificationRequestInfo)));
  return Buffer.from(
    AsnConvert.serialize(
      new asnCsr.CertificationRequest({
        certificationRequestInfo,
        signatureAlgorithm: algorithm,
        signature: new Uint8Array(signature).buffer,
      }),
    ),
  );
}

/** The certificate as simulate/tls/encoding.ts wrote it before pki/der.ts. */
function peculiarCertificate(
  parts: {
    serial: string;
    issuer: asnX509.Name;
    subject: asnX509.Name;
    notBefore: Date;
    notAfter: Date;
    spki: Uint8Array;
    extensions: asnX509.Extension[];
  },
  algorithm: asnX509.AlgorithmIdentifier,
): Buffer {
  const tbsCertificate = new asnX509.TBSCertificate({
    version: asnX509.Version.v3,
    serialNumber: new Uint8Array(Buffer.from(parts.serial, "hex")).buffer,
    signature: algorithm,
    issuer: parts.issuer,
    validity: new asnX509.Validity({ notBefore: parts.notBefore, notAfter: parts.notAfter }),
    subject: parts.subject,
    subjectPublicKeyInfo: AsnConvert.parse(parts.spki, asnX509.SubjectPublicKeyInfo),
    extensions: new asnX509.Extensions([...parts.extensions]),
  });
  const certificate = new asnX509.Certificate({
    tbsCertificate,
    signatureAlgorithm: algorithm,
    signatureValue: new Uint8Array(fakeSign(new Uint8Array(AsnConvert.serialize(tbsCertificate)))).buffer,
  });
  return Buffer.from(AsnConvert.serialize(certificate));
}

describe("pki/der.ts writes the same bytes as @peculiar/asn1-x509", () => {
  it("for the subject key id extension", () => {
    for (const keyId of ["00", "0123456789abcdef0123456789abcdef01234567", "ff".repeat(130)]) {
      const peculiar = extension(
        asnX509.id_ce_subjectKeyIdentifier,
        false,
        new asnX509.SubjectKeyIdentifier(Buffer.from(keyId, "hex")),
      );
      assert.deepEqual(Buffer.from(derOf(subjectKeyIdExtension(keyId))), Buffer.from(AsnConvert.serialize(peculiar)));
    }
  });

  for (const [label, inputs] of Object.entries(KEYS)) {
    it(`for ${label} requests, with every subject and SAN variant`, async () => {
      const key = await generatePrivateKey(inputs);
      const signer = await signingKey(key.privateKeyPem, "der.spec");
      for (const subject of Object.values(SUBJECTS)) {
        for (const [variant, sans] of Object.entries(SAN_VARIANTS)) {
          for (const critical of [false, true]) {
            const extensions = subjectAltNameExtensions(sans, critical);
            const ours = Buffer.from(
              certificationRequest({
                subject,
                spki: signer.spki,
                extensions,
                signatureAlgorithm: signer.signatureAlgorithm,
                sign: fakeSign,
              }),
            );
            const theirs = peculiarRequest(subject, signer.spki, extensions, signer.signatureAlgorithm);
            assert.ok(ours.equals(theirs), `${label} request, SANs ${variant}, critical ${critical}`);
          }
        }
      }
    });

    it(`for ${label} certificates, with CA and leaf extensions, key ids, SANs and both time encodings`, async () => {
      const key = await generatePrivateKey(inputs);
      const signer = await signingKey(key.privateKeyPem, "der.spec");
      const keyId = subjectKeyId(signer.spki);
      const extensionSets: asnX509.Extension[][] = [
        [...basicConstraintsExtensions(true, undefined), ...usageExtensions(["certSigning", "crlSigning"])],
        [...basicConstraintsExtensions(true, 1), subjectKeyIdExtension(keyId), authorityKeyIdExtension(keyId)],
        [
          ...basicConstraintsExtensions(false, undefined),
          ...usageExtensions(["digitalSignature", "keyEncipherment", "serverAuth", "clientAuth"]),
          ...subjectAltNameExtensions(SAN_VARIANTS.uri, false),
          authorityKeyIdExtension(keyId),
        ],
        [...basicConstraintsExtensions(false, undefined), ...subjectAltNameExtensions(SAN_VARIANTS.mixed, true)],
        [...basicConstraintsExtensions(false, undefined), ...subjectAltNameExtensions(SAN_VARIANTS.long, false)],
      ];
      const validities = [
        { notBefore: new Date("2026-01-02T03:04:05Z"), notAfter: new Date("2026-04-02T03:04:05Z") },
        // UTCTime up to 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5).
        { notBefore: new Date("2049-12-31T23:59:59Z"), notAfter: new Date("2050-01-01T00:00:00Z") },
        { notBefore: new Date("1999-12-31T23:59:59.999Z"), notAfter: new Date("2123-06-07T08:09:10.500Z") },
      ];
      for (const extensions of extensionSets) {
        for (const validity of validities) {
          for (const [issuer, subject] of [
            [SUBJECTS.full, SUBJECTS.leaf],
            [SUBJECTS.leaf, SUBJECTS.empty],
          ] as const) {
            const parts = { serial: randomSerial(), issuer, subject, ...validity, spki: signer.spki, extensions };
            const ours = certificateDer(parts, signer.signatureAlgorithm, fakeSign);
            const objects = extensions.map((e) =>
              e instanceof Uint8Array ? AsnConvert.parse(e, asnX509.Extension) : e,
            );
            const theirs = peculiarCertificate({ ...parts, extensions: objects }, signer.signatureAlgorithm);
            assert.ok(ours.equals(theirs), `${label} certificate, serial ${parts.serial}`);
          }
        }
      }
    });
  }

  it("writes names and SAN extensions directly as @peculiar serializes the same objects (Go where they differ)", () => {
    const values = [
      "api",
      "lucid-mesh",
      "München",
      "a,b=c",
      "x@y",
      "",
      "it's (ok)",
      "tab\there",
      "日本",
      "z".repeat(200),
    ];
    const types = ["2.5.4.3", "2.5.4.10", "2.5.4.11", "2.5.4.6", EMAIL_ADDRESS_OID];
    const ascii = /^[ -~]*$/;
    for (const value of values) {
      for (const type of types) {
        // An IA5 email address that is not ASCII: the provider writes its UTF-8 bytes (below); @peculiar truncates.
        if (type === EMAIL_ADDRESS_OID && !ascii.test(value)) continue;
        const single = distinguishedName([
          [type, [value]],
          ["2.5.4.3", ["cn"]],
        ]);
        assert.equal(
          Buffer.from(derOf(single)).toString("hex"),
          Buffer.from(AsnConvert.serialize(single)).toString("hex"),
        );
      }
      // Two values in one RDN: the Name object holds them in DER's SET OF order, so @peculiar writes the same.
      const multi = distinguishedName([["2.5.4.9", [value, "Street 2"]]]);
      assert.equal(Buffer.from(derOf(multi)).toString("hex"), Buffer.from(AsnConvert.serialize(multi)).toString("hex"));
    }
    // A SET OF is sorted by encoding (Go's setEncoder), whatever order the values came in.
    const streets = (order: string[]) => Buffer.from(derOf(distinguishedName([["2.5.4.9", order]]))).toString("hex");
    assert.equal(streets(["Street 2", "A"]), streets(["A", "Street 2"]));
    assert.ok(streets(["Street 2", "A"]).indexOf(Buffer.from("A").toString("hex") + "30") > 0, "A first");
    assert.ok(
      Buffer.from(derOf(distinguishedName([[EMAIL_ADDRESS_OID, ["é@x"]]])))
        .toString("hex")
        .endsWith(`1604${Buffer.from("é@x", "utf8").toString("hex")}`),
      "a non-ASCII email address: IA5String of its UTF-8 bytes, as the provider's RawValue",
    );
    // Go's string types (encoding/asn1 makeField; pkix emailAddress is IA5String): Printable, else UTF-8.
    const hexOf = (type: string, value: string) =>
      Buffer.from(derOf(distinguishedName([[type, [value]]]))).toString("hex");
    assert.ok(
      hexOf(EMAIL_ADDRESS_OID, "ca@example.com").endsWith(`160e${Buffer.from("ca@example.com").toString("hex")}`),
    );
    assert.ok(hexOf("2.5.4.3", "api").endsWith(`1303${Buffer.from("api").toString("hex")}`));
    assert.ok(hexOf("2.5.4.3", "a@b").endsWith(`0c03${Buffer.from("a@b").toString("hex")}`));
    const sanSets: SanLists[] = [
      ...Object.values(SAN_VARIANTS),
      { dnsNames: ["*.example.com", "xn--mnchen-3ya.example"], ipAddresses: ["0.0.0.0", "255.255.255.255"] },
      { ipAddresses: ["fd00::1", "2001:db8::ff00:42:8329"] },
      { uris: ["spiffe://t/ns/x", "https://example.com/a?b=c#d"] },
    ];
    // Go, not @peculiar, where they differ (crypto/x509 marshalSANs): an IPv4-mapped IPv6 address in 4 bytes, and
    // a name that is not IA5 refused rather than written.
    for (const ip of ["::ffff:10.0.0.1", "::ffff:a00:1", "0:0:0:0:0:ffff:10.0.0.1"]) {
      const [mapped] = subjectAltNameExtensions({ ipAddresses: [ip] }, false);
      assert.equal(Buffer.from(mapped!.extnValue.buffer).toString("hex"), "30068704" + "0a000001", ip);
    }
    assert.throws(
      () => subjectAltNameExtensions({ dnsNames: ["münchen.example"] }, false),
      /x509: "münchen.example" cannot be encoded as an IA5String/,
    );
    for (const sans of sanSets) {
      for (const critical of [false, true]) {
        for (const extension of subjectAltNameExtensions(sans, critical)) {
          const fresh = AsnConvert.serialize(
            new asnX509.Extension({
              extnID: extension.extnID,
              critical: extension.critical,
              extnValue: extension.extnValue,
            }),
          );
          assert.equal(Buffer.from(derOf(extension)).toString("hex"), Buffer.from(fresh).toString("hex"));
          const names = AsnConvert.parse(extension.extnValue, asnX509.SubjectAlternativeName);
          const expected = new asnX509.SubjectAlternativeName([
            ...(sans.dnsNames ?? []).map((dNSName) => new asnX509.GeneralName({ dNSName })),
            ...(sans.ipAddresses ?? []).map((iPAddress) => new asnX509.GeneralName({ iPAddress })),
            ...(sans.uris ?? []).map(
              (uniformResourceIdentifier) => new asnX509.GeneralName({ uniformResourceIdentifier }),
            ),
          ]);
          assert.equal(
            Buffer.from(AsnConvert.serialize(names)).toString("hex"),
            Buffer.from(AsnConvert.serialize(expected)).toString("hex"),
            `SANs ${JSON.stringify(sans)}`,
          );
        }
      }
    }
  });
});
