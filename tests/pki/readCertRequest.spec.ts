/**
 * pki/readCertRequest.ts walks asn1js's tree of a CSR instead of matching @peculiar's schema, and the models copy
 * the request's subject and SPKI bytes and write the SAN extension directly. Over many requests (every key type,
 * odd subjects, SAN mixes, OpenSSL's own requests) it must read what the schema reader read and the certificate must
 * get the same subject, key and SAN bytes; and it must refuse what Go's x509.ParseCertificateRequest refuses
 * (golang/go src/crypto/x509/x509.go parseCertificateRequest, parseCSRExtensions; parser.go parseSANExtension;
 * encoding/asn1 asn1.go parseTagAndLength) with the message the tls provider reports
 * (hashicorp/terraform-provider-tls internal/provider/resource_locally_signed_cert.go parseCertificateRequest).
 */
import { strict as assert } from "node:assert";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as asn1js from "asn1js";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import * as asnX509 from "@peculiar/asn1-x509";
import { distinguishedName, extension, pem, subjectAltNameExtensions, type SanLists } from "../../pki/asn1";
import { derOf, TAG, tlv } from "../../pki/der";
import { EXTENSION_REQUEST_OID, readCertRequest } from "../../pki/readCertRequest";
import { subjectName } from "../../simulate/tls/encoding";
import { generatePrivateKey, signDer, signingKey, type SigningKey } from "../../simulate/tls/keys";
import { createCertRequest } from "../../simulate/tls";
import * as asnCsr from "@peculiar/asn1-csr";
import { legacyReadCertRequest, legacySanExtensionDer } from "./readCertRequestLegacy";
import { FULL_SUBJECT, newCa, signLeaf, SIGNING_KEY_KINDS } from "./fixtures";

const KEYS = SIGNING_KEY_KINDS;

function oid(value: string): Uint8Array {
  return new Uint8Array(new asn1js.ObjectIdentifier({ value }).toBER());
}

function atv(type: string, value: asnX509.AttributeValue): asnX509.AttributeTypeAndValue {
  return new asnX509.AttributeTypeAndValue({ type, value });
}

const SUBJECTS: Record<string, asnX509.Name> = {
  leaf: subjectName({ organization: "lucid-mesh", organizationalUnit: "east", commonName: "api" }),
  empty: new asnX509.Name([]),
  full: subjectName({ ...FULL_SUBJECT, commonName: "Ünïcode CA", emailAddress: "ops@example.com" }),
  // A multi-valued RDN, attributes out of Go's order, a type Go does not know, BMP and Teletex strings, a NumericString.
  odd: new asnX509.Name([
    new asnX509.RelativeDistinguishedName([
      atv("2.5.4.3", new asnX509.AttributeValue({ printableString: "multi" })),
      atv("2.5.4.10", new asnX509.AttributeValue({ utf8String: "värde" })),
    ]),
    new asnX509.RelativeDistinguishedName([atv("2.5.4.3", new asnX509.AttributeValue({ bmpString: "bmp" }))]),
    new asnX509.RelativeDistinguishedName([
      atv("1.3.6.1.4.1.99999.1", new asnX509.AttributeValue({ teletexString: "teletex" })),
    ]),
    new asnX509.RelativeDistinguishedName([
      atv("2.5.4.97", new asnX509.AttributeValue({ anyValue: new Uint8Array([0x12, 0x03, 0x31, 0x32, 0x33]).buffer })),
    ]),
  ]),
};

const general = (name: ConstructorParameters<typeof asnX509.GeneralName>[0]) => new asnX509.GeneralName(name);

const SANS: Record<string, asnX509.GeneralName[]> = {
  none: [],
  uri: [general({ uniformResourceIdentifier: "spiffe://lucid.mesh/ns/default/dc/east/svc/api" })],
  mixed: [
    general({ dNSName: "a.example" }),
    general({ iPAddress: "10.0.0.1" }),
    general({ iPAddress: "fd00::1" }),
    general({ iPAddress: "2001:db8:0:1:0:0:0:1" }),
    general({ iPAddress: "::1" }),
    general({ uniformResourceIdentifier: "spiffe://lucid.mesh" }),
    general({ dNSName: "b.example.internal" }),
  ],
  // Not in Go's order, and names the certificate does not copy (emails, directory names, other names, OIDs).
  shuffled: [
    general({ uniformResourceIdentifier: "https://example.com/x?y=z" }),
    general({ rfc822Name: "ops@example.com" }),
    general({ iPAddress: "192.168.1.1" }),
    general({ directoryName: subjectName({ commonName: "dir" }) }),
    general({
      otherName: new asnX509.OtherName({
        typeId: "1.3.6.1.4.1.311.20.2.3",
        value: new Uint8Array([0xa0, 0x03, 0x0c, 0x01, 0x78]).buffer,
      }),
    }),
    general({ registeredID: "1.2.3.4" }),
    general({ dNSName: "*.wild.example" }),
  ],
  long: Array.from({ length: 60 }, (_, i) => general({ dNSName: `host-${i}.a-rather-long-domain.example.internal` })),
};

function sanExtension(names: asnX509.GeneralName[], critical = false): asnX509.Extension {
  return extension(asnX509.id_ce_subjectAltName, critical, new asnX509.SubjectAlternativeName(names));
}

/** PKCS #10 Attribute { type, values SET OF ANY }, DER. */
function attribute(type: string, values: readonly Uint8Array[]): Uint8Array {
  return tlv(TAG.sequence, [oid(type), tlv(TAG.set, values)]);
}

function extensionRequest(extensions: readonly asnX509.Extension[]): Uint8Array {
  return attribute(EXTENSION_REQUEST_OID, [
    tlv(
      TAG.sequence,
      extensions.map((e) => derOf(e)),
    ),
  ]);
}

interface RequestParts {
  /** The version INTEGER's DER. @default 0, minimal */
  readonly version?: Uint8Array;
  readonly subject: Uint8Array;
  readonly attributes: readonly Uint8Array[];
  /** Replaces the [0] attributes element (or drops it, when empty). */
  readonly rawAttributes?: readonly Uint8Array[];
}

/** A CSR signed by `signer` (the reader does not check the signature, but a real one keeps the request realistic). */
function requestDer(signer: SigningKey, parts: RequestParts): Buffer {
  const info = tlv(TAG.sequence, [
    parts.version ?? new Uint8Array([TAG.integer, 1, 0]),
    parts.subject,
    signer.spki,
    ...(parts.rawAttributes ?? [tlv(TAG.context0, parts.attributes)]),
  ]);
  const signature = new Uint8Array(signDer(signer, info));
  return tlv(TAG.sequence, [
    info,
    derOf(signer.signatureAlgorithm),
    tlv(TAG.bitString, [new Uint8Array([0]), signature]),
  ]);
}

function armour(der: Uint8Array, label = "CERTIFICATE REQUEST"): string {
  return pem(label, new Uint8Array(der).buffer);
}

/** The subjectAltName extension the certificate gets for these SANs, as DER. */
function subjectAltNameExtensionDer(sans: SanLists, critical: boolean): Buffer[] {
  return subjectAltNameExtensions(sans, critical).map((extension) => Buffer.from(derOf(extension)));
}

/** A request made by `openssl req` with a new key (`keyArgs`), the subject and any extra arguments, as PEM. */
function opensslRequest(keyArgs: readonly string[], subject: string, extra: readonly string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), "csr-"));
  try {
    const out = join(dir, "r.csr");
    execFileSync(
      "openssl",
      ["req", "-new", ...keyArgs, "-nodes", "-keyout", join(dir, "k"), "-subj", subject, ...extra, "-out", out],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    return readFileSync(out, "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Old and new readers agree: the same SANs, and the certificate gets the same subject, SPKI and SAN extension bytes. */
function assertSameAsLegacy(text: string, label: string): void {
  const legacy = legacyReadCertRequest(text);
  const read = readCertRequest(text);
  assert.deepEqual(read.sans, legacy.sans, `${label}: SANs`);
  assert.deepEqual(Buffer.from(read.subject), Buffer.from(AsnConvert.serialize(legacy.subject)), `${label}: subject`);
  assert.deepEqual(Buffer.from(read.spki), Buffer.from(legacy.spki), `${label}: SPKI`);
  const empty = Buffer.from(read.subject).equals(Buffer.from([0x30, 0]));
  assert.deepEqual(
    subjectAltNameExtensionDer(read.sans, empty).map((der) => Buffer.from(der)),
    legacySanExtensionDer(legacy),
    `${label}: the certificate's SAN extension`,
  );
}

describe("readCertRequest: one asn1js walk, as Go's x509.ParseCertificateRequest reads", function () {
  this.timeout(120_000);
  const signers: Record<string, SigningKey> = {};
  before(async () => {
    for (const [label, inputs] of Object.entries(KEYS)) {
      signers[label] = await signingKey((await generatePrivateKey(inputs)).privateKeyPem, label);
    }
  });

  it("reads every key type, subject and SAN mix as the schema reader did", () => {
    let compared = 0;
    for (const [keyLabel, signer] of Object.entries(signers)) {
      for (const [subjectLabel, subject] of Object.entries(SUBJECTS)) {
        for (const [sanLabel, names] of Object.entries(SANS)) {
          const extensions = names.length ? [sanExtension(names)] : [];
          const attributes = [extensionRequest(extensions)];
          const label = `${keyLabel}/${subjectLabel}/${sanLabel}`;
          assertSameAsLegacy(armour(requestDer(signer, { subject: derOf(subject), attributes })), label);
          compared++;
        }
      }
    }
    assert.equal(compared, 5 * 4 * 5);
  });

  it("finds the SANs among other extensions and attributes, and with no attributes at all", () => {
    const signer = signers["P-256"]!;
    const subject = derOf(SUBJECTS.leaf!);
    const keyUsage = extension(
      asnX509.id_ce_keyUsage,
      true,
      new asnX509.KeyUsage(asnX509.KeyUsageFlags.digitalSignature),
    );
    const challengePassword = attribute("1.2.840.113549.1.9.7", [new Uint8Array([0x0c, 0x02, 0x70, 0x77])]);
    const variants: Record<string, Uint8Array[]> = {
      "SAN after keyUsage": [extensionRequest([keyUsage, sanExtension(SANS.mixed!)])],
      "challengePassword first": [challengePassword, extensionRequest([sanExtension(SANS.uri!)])],
      "no attributes": [],
    };
    for (const [label, attributes] of Object.entries(variants)) {
      assertSameAsLegacy(armour(requestDer(signer, { subject, attributes })), label);
    }
    // parseCSRExtensions skips an attribute that does not parse as { OID, SET }; the schema reader refused the request.
    const unparsable = tlv(TAG.sequence, [new Uint8Array([0x02, 0x01, 0x05])]);
    const attributes = [unparsable, extensionRequest([sanExtension(SANS.uri!)])];
    const text = armour(requestDer(signer, { subject, attributes }));
    assert.throws(() => legacyReadCertRequest(text), /does not match to Attribute ASN1 schema/);
    assert.deepEqual(readCertRequest(text).sans.uris, ["spiffe://lucid.mesh/ns/default/dc/east/svc/api"]);
  });

  it("reads OpenSSL's own requests (UTF8String subjects, emails and IPv6 among the SANs)", function () {
    const keys: Record<string, string[]> = {
      rsa: ["-newkey", "rsa:2048"],
      ec: ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
      ed25519: ["-newkey", "ed25519"],
    };
    for (const [label, args] of Object.entries(keys)) {
      const text = opensslRequest(args, "/C=DE/O=lucid mesh/OU=ops+CN=multi/CN=svc-é", [
        "-addext",
        "subjectAltName=DNS:svc.example,email:ops@example.com,IP:10.1.2.3,IP:2001:db8::42,URI:spiffe://lucid.mesh/svc",
      ]);
      assertSameAsLegacy(text, `openssl ${label}`);
      assert.deepEqual(readCertRequest(text).sans, {
        dnsNames: ["svc.example"],
        ipAddresses: ["10.1.2.3", "2001:db8::42"],
        uris: ["spiffe://lucid.mesh/svc"],
      });
    }
  });

  it("keeps the request's subject and SPKI bytes, and makes the SAN extension critical for an empty subject", () => {
    const signer = signers["P-256"]!;
    const attributes = [extensionRequest([sanExtension(SANS.uri!)])];
    const read = readCertRequest(armour(requestDer(signer, { subject: derOf(SUBJECTS.empty!), attributes })));
    assert.deepEqual(Buffer.from(read.subject), Buffer.from([0x30, 0x00]));
    assert.deepEqual(Buffer.from(read.spki), signer.spki);
    const [critical] = subjectAltNameExtensionDer(read.sans, true);
    assert.equal(AsnConvert.parse(critical!, asnX509.Extension).critical, true);
  });

  describe("refuses what the provider refuses", () => {
    const good = (): Buffer =>
      requestDer(signers["P-256"]!, {
        subject: derOf(SUBJECTS.leaf!),
        attributes: [extensionRequest([sanExtension(SANS.uri!)])],
      });
    const refuses = (der: Uint8Array, message: RegExp | string, label = "CERTIFICATE REQUEST"): void => {
      const text = armour(der, label);
      assert.throws(
        () => readCertRequest(text),
        (error: Error) => (typeof message === "string" ? error.message === message : message.test(error.message)),
      );
    };

    it("a PEM of another type, or no PEM", () => {
      refuses(good(), 'invalid PEM type - expected "CERTIFICATE REQUEST", got "CERTIFICATE"', "CERTIFICATE");
      assert.throws(
        () => readCertRequest("not a pem"),
        /^Error: failed to decode PEM of expected type "CERTIFICATE REQUEST" from bytes$/,
      );
      // pem.Decode: a body that is not base64 is no block.
      assert.throws(
        () => readCertRequest("-----BEGIN CERTIFICATE REQUEST-----\nMII*\n-----END CERTIFICATE REQUEST-----\n"),
        /failed to decode PEM of expected type/,
      );
    });

    it("truncated DER (asn1: syntax error: data truncated)", () => {
      const der = good();
      for (const cut of [1, 10, der.length - 2]) {
        refuses(
          der.subarray(0, der.length - cut),
          "failed to parse certificate request: asn1: syntax error: data truncated",
        );
      }
    });

    it("trailing data after the request (asn1: syntax error: trailing data)", () => {
      refuses(
        Buffer.concat([good(), Buffer.from([0x05, 0x00])]),
        "failed to parse certificate request: asn1: syntax error: trailing data",
      );
    });

    it("a wrong outer tag, or a wrong tag inside (asn1: structure error: tags don't match)", () => {
      const asSet = Buffer.from(good());
      asSet[0] = TAG.set;
      refuses(asSet, /^failed to parse certificate request: asn1: structure error: tags don't match/);
      const signer = signers["P-256"]!;
      // RawAttributes [0] as a universal SET instead.
      const wrongAttributes = requestDer(signer, {
        subject: derOf(SUBJECTS.leaf!),
        attributes: [],
        rawAttributes: [tlv(TAG.set, [])],
      });
      refuses(wrongAttributes, /tags don't match/);
      // No RawAttributes at all: Go's field is not optional.
      refuses(
        requestDer(signer, { subject: derOf(SUBJECTS.leaf!), attributes: [], rawAttributes: [] }),
        "failed to parse certificate request: asn1: syntax error: sequence truncated",
      );
    });

    it("BER that is not DER: a long-form short length, an indefinite length", () => {
      const signer = signers["P-256"]!;
      const longForm = requestDer(signer, {
        version: new Uint8Array([TAG.integer, 0x81, 0x01, 0x00]),
        subject: derOf(SUBJECTS.leaf!),
        attributes: [],
      });
      refuses(longForm, "failed to parse certificate request: asn1: structure error: non-minimal length");
      const der = good();
      const headerLength = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2;
      const indefinite = Buffer.concat([Buffer.from([0x30, 0x80]), der.subarray(headerLength), Buffer.from([0, 0])]);
      refuses(indefinite, "failed to parse certificate request: asn1: syntax error: indefinite length found (not DER)");
      // A low tag number in the high-tag form: a SyntaxError in asn1.go parseTagAndLength.
      const highTagForm = requestDer(signer, {
        version: new Uint8Array([0x1f, 0x02, 0x01, 0x00]),
        subject: derOf(SUBJECTS.leaf!),
        attributes: [],
      });
      refuses(highTagForm, "failed to parse certificate request: asn1: syntax error: non-minimal tag");
      // Invalid UTF-8 in a subject string: errors.New in parseUTF8String, no "syntax error:".
      const badUtf8 = requestDer(signer, {
        subject: tlv(TAG.sequence, [
          tlv(TAG.set, [tlv(TAG.sequence, [oid("2.5.4.3"), tlv(0x0c, [Buffer.from([0xc3, 0x28])])])]),
        ]),
        attributes: [],
      });
      refuses(badUtf8, "failed to parse certificate request: asn1: invalid UTF-8 string");
    });

    it("SANs Go's parseSANExtension refuses: an IP of 5 bytes, a non-ASCII DNS name or URI", () => {
      const signer = signers["P-256"]!;
      const withNames = (names: Uint8Array[]): Buffer => {
        const value = tlv(TAG.sequence, names);
        const san = new asnX509.Extension({
          extnID: asnX509.id_ce_subjectAltName,
          critical: false,
          extnValue: new OctetString(value),
        });
        return requestDer(signer, { subject: derOf(SUBJECTS.leaf!), attributes: [extensionRequest([san])] });
      };
      refuses(
        withNames([tlv(0x87, [new Uint8Array([10, 0, 0, 1, 2])])]),
        "failed to parse certificate request: x509: cannot parse IP address of length 5",
      );
      refuses(
        withNames([tlv(0x82, [Buffer.from("bücher.example")])]),
        "failed to parse certificate request: x509: SAN dNSName is malformed",
      );
      refuses(
        withNames([tlv(0x86, [Buffer.from("spiffe://ü")])]),
        "failed to parse certificate request: x509: SAN uniformResourceIdentifier is malformed",
      );
    });

    it("an extension asked for twice", () => {
      const signer = signers["P-256"]!;
      const twice = requestDer(signer, {
        subject: derOf(SUBJECTS.leaf!),
        attributes: [extensionRequest([sanExtension(SANS.uri!)]), extensionRequest([sanExtension(SANS.mixed!)])],
      });
      refuses(
        twice,
        "failed to parse certificate request: x509: certificate request contains duplicate requested extensions",
      );
    });

    it("a subject that is not an RDNSequence, or a PrintableString Go would not read", () => {
      const signer = signers["P-256"]!;
      refuses(
        requestDer(signer, { subject: new Uint8Array([0x31, 0x00]), attributes: [] }),
        /^failed to parse certificate request: asn1: structure error: tags don't match/,
      );
      const badPrintable = tlv(TAG.sequence, [
        tlv(TAG.set, [tlv(TAG.sequence, [oid("2.5.4.3"), tlv(0x13, [Buffer.from("a@b")])])]),
      ]);
      refuses(
        requestDer(signer, { subject: badPrintable, attributes: [] }),
        "failed to parse certificate request: asn1: syntax error: PrintableString contains invalid character",
      );
    });
  });
});

describe("the certificate's SAN extension, written directly", () => {
  it("is @peculiar's bytes for the names the models issue", () => {
    const variants = [
      { dnsNames: ["a.example"], ipAddresses: ["127.0.0.1", "fd00::1", "::"], uris: ["spiffe://x/y"] },
      { uris: ["spiffe://lucid.mesh/ns/default/dc/east/svc/api"] },
      { dnsNames: Array.from({ length: 300 }, (_, i) => `h${i}.example`) },
      {},
    ];
    for (const sans of variants) {
      for (const critical of [false, true]) {
        const legacy = new asnX509.Extension(
          extension(
            asnX509.id_ce_subjectAltName,
            critical,
            new asnX509.SubjectAlternativeName([
              ...(sans.dnsNames ?? []).map((dNSName) => general({ dNSName })),
              ...(sans.ipAddresses ?? []).map((iPAddress) => general({ iPAddress })),
              ...(sans.uris ?? []).map((uniformResourceIdentifier) => general({ uniformResourceIdentifier })),
            ]),
          ),
        );
        const expected = Object.keys(sans).length ? [Buffer.from(AsnConvert.serialize(legacy))] : [];
        assert.deepEqual(
          subjectAltNameExtensionDer(sans, critical).map((d) => Buffer.from(d)),
          expected,
        );
      }
    }
  });

  it("writes an IPv4-mapped IPv6 address in 4 bytes, as Go's marshalSANs does (rawIP.To4())", () => {
    const [der] = subjectAltNameExtensionDer({ ipAddresses: ["::ffff:a00:1"] }, false);
    const names = AsnConvert.parse(AsnConvert.parse(der!, asnX509.Extension).extnValue, asnX509.SubjectAlternativeName);
    assert.equal(names[0]!.iPAddress, "10.0.0.1");
  });

  it("refuses a name that is not an IA5String, as Go's marshalSANs does", () => {
    assert.throws(
      () => subjectAltNameExtensionDer({ dnsNames: ["bücher.example"] }, false),
      /^Error: x509: "bücher.example" cannot be encoded as an IA5String$/,
    );
  });
});

describe("the certificate's subject from a request, as Go's pkix.Name writes it back", () => {
  const asnName = (certPem: string): string => {
    const der = Buffer.from(certPem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
    return Buffer.from(
      AsnConvert.serialize(AsnConvert.parse(der, asnX509.Certificate).tbsCertificate.subject),
    ).toString("hex");
  };
  const hexOf = (attributes: [string, string[]][]): string =>
    Buffer.from(derOf(distinguishedName(attributes))).toString("hex");

  it("keeps Go's nine fields in ToRDNSequence's order, each type in one sorted RDN, and drops the rest (OpenSSL's request)", async function () {
    const text = opensslRequest(
      ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
      "/CN=first/CN=web/OU=b/O=lucid/OU=a/emailAddress=a@b.c/C=DE",
    );
    assert.deepEqual(readCertRequest(text).subjectAttributes, [
      ["2.5.4.6", ["DE"]],
      ["2.5.4.10", ["lucid"]],
      ["2.5.4.11", ["b", "a"]],
      ["2.5.4.3", ["web"]],
    ]);
    const issued = await signLeaf(await newCa(), text);
    // OpenSSL wrote UTF8Strings; Go writes PrintableStrings where it can, sorts the SET OF, drops the email.
    assert.equal(
      asnName(issued.certPem),
      hexOf([
        ["2.5.4.6", ["DE"]],
        ["2.5.4.10", ["lucid"]],
        ["2.5.4.11", ["a", "b"]],
        ["2.5.4.3", ["web"]],
      ]),
    );
  });

  it("drops an empty common name, and makes the SAN critical when nothing of the subject is left", async () => {
    const signer = await signingKey((await generatePrivateKey(KEYS["P-256"]!)).privateKeyPem, "subject.spec");
    const onlyEmail = derOf(distinguishedName([["1.2.840.113549.1.9.1", ["a@b.c"]]]));
    const attributes = [extensionRequest([sanExtension(SANS.uri!)])];
    const text = armour(requestDer(signer, { subject: onlyEmail, attributes }));
    assert.deepEqual(readCertRequest(text).subjectAttributes, []);
    const issued = await signLeaf(await newCa(), text);
    const cert = AsnConvert.parse(
      Buffer.from(issued.certPem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64"),
      asnX509.Certificate,
    );
    assert.equal(cert.tbsCertificate.subject.length, 0);
    const san = cert.tbsCertificate.extensions!.find((e) => e.extnID === asnX509.id_ce_subjectAltName)!;
    assert.equal(san.critical, true);
    // The last common name wins (FillFromRDNSequence), and an empty one is not written (ToRDNSequence).
    const lastCnEmpty = derOf(
      distinguishedName([
        ["2.5.4.3", ["x"]],
        ["2.5.4.10", ["o"]],
        ["2.5.4.3", [""]],
      ]),
    );
    const read = readCertRequest(armour(requestDer(signer, { subject: lastCnEmpty, attributes })));
    assert.deepEqual(read.subjectAttributes, [["2.5.4.10", ["o"]]]);
  });

  it("a CertRequest's own SAN extension is never critical, even with no subject (Go's buildCSRExtensions)", async () => {
    const key = await generatePrivateKey(KEYS["P-256"]!);
    const { certRequestPem } = await createCertRequest({ privateKeyPem: key.privateKeyPem, uris: ["spiffe://t/x"] });
    const der = Buffer.from(certRequestPem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
    const info = AsnConvert.parse(der, asnCsr.CertificationRequest).certificationRequestInfo;
    const extensions = AsnConvert.parse(info.attributes[0]!.values[0]!, asnX509.Extensions);
    assert.equal(extensions[0]!.extnID, asnX509.id_ce_subjectAltName);
    assert.equal(extensions[0]!.critical, false);
    assert.equal(info.subject.length, 0);
  });
});

describe("the request's public key and OIDs, as Go's parser checks them (found in review)", () => {
  let signer: SigningKey;
  before(async () => {
    signer = await signingKey((await generatePrivateKey(KEYS["P-256"]!)).privateKeyPem, "publicKey.spec");
  });
  const withSpki = (spki: Uint8Array, subject: Uint8Array = derOf(SUBJECTS.leaf!)): string =>
    armour(requestDer({ ...signer, spki: Buffer.from(spki) }, { subject, attributes: [] }));
  const spkiOf = (algorithm: Uint8Array[], key: Uint8Array): Buffer =>
    tlv(TAG.sequence, [tlv(TAG.sequence, algorithm), tlv(TAG.bitString, [new Uint8Array([0]), key])]);
  const exported = (key: KeyObject): Buffer => key.export({ type: "spki", format: "der" });
  const bitsOf = (spki: Buffer): Buffer =>
    Buffer.from(AsnConvert.parse(spki, asnX509.SubjectPublicKeyInfo).subjectPublicKey);
  const EC = oid("1.2.840.10045.2.1");
  const P256_CURVE = oid("1.2.840.10045.3.1.7");

  it("refuses what parsePublicKey refuses, with its messages", () => {
    const ecKey = bitsOf(signer.spki);
    const rsa = exported(generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey);
    const cases: [string, Buffer, RegExp][] = [
      [
        "RSA without NULL parameters",
        spkiOf([oid("1.2.840.113549.1.1.1")], bitsOf(rsa)),
        /x509: RSA key missing NULL parameters/,
      ],
      [
        "ECDSA with explicit (NULL) parameters",
        spkiOf([EC, new Uint8Array([5, 0])], ecKey),
        /failed to parse ECDSA parameters as named curve/,
      ],
      [
        "ECDSA on secp256k1",
        exported(generateKeyPairSync("ec", { namedCurve: "secp256k1" }).publicKey),
        /x509: unsupported elliptic curve/,
      ],
      [
        "a point off the curve",
        spkiOf([EC, P256_CURVE], Buffer.concat([ecKey.subarray(0, 64), Buffer.from([ecKey[64]! ^ 1])])),
        /failed to unmarshal elliptic curve point/,
      ],
      [
        "a compressed point",
        spkiOf([EC, P256_CURVE], Buffer.concat([Buffer.from([2]), ecKey.subarray(1, 33)])),
        /failed to unmarshal elliptic curve point/,
      ],
      [
        "Ed25519 with parameters",
        spkiOf([oid("1.3.101.112"), new Uint8Array([5, 0])], Buffer.alloc(32, 1)),
        /Ed25519 key encoded with illegal parameters/,
      ],
      ["Ed25519 of 31 bytes", spkiOf([oid("1.3.101.112")], Buffer.alloc(31, 1)), /wrong Ed25519 public key size/],
    ];
    for (const [label, spki, message] of cases) {
      assert.throws(() => readCertRequest(withSpki(spki)), message, label);
    }
    assert.equal(readCertRequest(withSpki(signer.spki)).publicKeyType, "*ecdsa.PublicKey");
    assert.equal(readCertRequest(withSpki(rsa)).publicKeyType, "*rsa.PublicKey");
  });

  it("reads a key Go cannot certify, and the certificate then fails as CreateCertificate fails", async () => {
    const authority = await newCa();
    for (const [type, expected] of [
      ["ed448", "<nil>"],
      ["x25519", "*ecdh.PublicKey"],
    ] as const) {
      const text = withSpki(exported(generateKeyPairSync(type as "ed448").publicKey));
      assert.equal(readCertRequest(text).publicKeyType, expected);
      await assert.rejects(signLeaf(authority, text), {
        message: new RegExp(
          `Failed to create certificate: x509: unsupported public key type: ${expected.replace(/[*.]/g, "\\$&")}`,
        ),
      });
    }
  });

  it("reads OID sub-identifiers as parseBase128Int does: minimal, at most 5 octets, at most MaxInt32", () => {
    const subjectWithType = (type: number[]): Buffer =>
      tlv(TAG.sequence, [
        tlv(TAG.set, [tlv(TAG.sequence, [tlv(0x06, [new Uint8Array(type)]), tlv(0x0c, [Buffer.from("x")])])]),
      ]);
    // 2.5.4.x with x = 2^28 (5 octets) reads; 2^31 (5 octets, above MaxInt32) and 6 octets do not; 0x80 first does not.
    assert.doesNotThrow(() =>
      readCertRequest(withSpki(signer.spki, subjectWithType([0x55, 0x04, 0x81, 0x80, 0x80, 0x80, 0x00]))),
    );
    assert.throws(
      () => readCertRequest(withSpki(signer.spki, subjectWithType([0x55, 0x04, 0x88, 0x80, 0x80, 0x80, 0x00]))),
      /base 128 integer too large/,
    );
    assert.throws(
      () => readCertRequest(withSpki(signer.spki, subjectWithType([0x55, 0x04, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00]))),
      /base 128 integer too large/,
    );
    assert.throws(
      () => readCertRequest(withSpki(signer.spki, subjectWithType([0x55, 0x80, 0x04]))),
      /integer is not minimally encoded/,
    );
  });

  it("refuses a URI SAN Go's url.Parse or domainToReverseLabels refuses, and reads a SPIFFE ID", () => {
    const withUri = (uri: string): string =>
      armour(
        requestDer(signer, {
          subject: derOf(SUBJECTS.leaf!),
          attributes: [
            extensionRequest([
              new asnX509.Extension({
                extnID: asnX509.id_ce_subjectAltName,
                critical: false,
                extnValue: new OctetString(tlv(TAG.sequence, [tlv(0x86, [Buffer.from(uri, "latin1")])])),
              }),
            ]),
          ],
        }),
      );
    assert.deepEqual(readCertRequest(withUri("spiffe://t.consul/ns/default/dc/east/svc/web")).sans.uris, [
      "spiffe://t.consul/ns/default/dc/east/svc/web",
    ]);
    assert.deepEqual(readCertRequest(withUri("spiffe://t.consul/ns/a%20b")).sans.uris, ["spiffe://t.consul/ns/a%20b"]);
    const refusedUris: [string, RegExp][] = [
      [
        "spiffe://dc1.consul/ns/%zz",
        /cannot parse URI "spiffe:\/\/dc1.consul\/ns\/%zz": parse ".*": invalid URL escape "%zz"/,
      ],
      ["spiffe://a..b/x", /cannot parse URI "spiffe:\/\/a..b\/x": invalid domain/],
      ["spiffe://t.consul./x", /invalid domain/],
      ["spiffe://t.consul/x\u0001", /net\/url: invalid control character in URL/],
    ];
    for (const [uri, message] of refusedUris) assert.throws(() => readCertRequest(withUri(uri)), message, uri);
  });
});
