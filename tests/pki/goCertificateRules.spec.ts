/**
 * What the tls provider's certificates look like because Go writes them (found in review against the source):
 * the subject key id the provider computes (hashicorp/terraform-provider-tls internal/provider/common_cert.go
 * generateSubjectKeyID), the extensions in crypto/x509 buildCertExtensions' order, and validity times as
 * encoding/asn1 writes a time.Time (UTCTime only for 1950–2049).
 */
import { strict as assert } from "node:assert";
import { createHash, createPublicKey } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import * as asnX509 from "@peculiar/asn1-x509";
import { certificateDer, randomSerial, subjectKeyId, subjectName } from "../../simulate/tls/encoding";
import { generatePrivateKey, signingKey } from "../../simulate/tls/keys";
import { certRequestPem } from "../../pki/certRequest";
import { newCa, signLeaf, SIGNING_KEY_KINDS } from "./fixtures";

function tbsOf(certPem: string): asnX509.TBSCertificate {
  const der = Buffer.from(certPem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
  return AsnConvert.parse(der, asnX509.Certificate).tbsCertificate;
}

describe("certificates as Go and the tls provider write them", () => {
  it("hashes the key as the provider marshals it: the BIT STRING for RSA and ECDSA, an OCTET STRING for Ed25519", async () => {
    for (const [label, inputs] of Object.entries(SIGNING_KEY_KINDS)) {
      const key = await generatePrivateKey(inputs);
      const spki = createPublicKey(key.publicKeyPem).export({ type: "spki", format: "der" });
      const parsed = AsnConvert.parse(spki, asnX509.SubjectPublicKeyInfo);
      const bits = Buffer.from(parsed.subjectPublicKey);
      // asn1.Marshal(ed25519.PublicKey): OCTET STRING, length 32.
      const marshalled = label === "Ed25519" ? Buffer.concat([Buffer.from([0x04, 0x20]), bits]) : bits;
      assert.equal(subjectKeyId(spki), createHash("sha1").update(marshalled).digest("hex"), label);
    }
  });

  it("writes the extensions in buildCertExtensions' order: key usage, extended key usage, basic constraints, SKI, AKI, SAN", async () => {
    const authority = await newCa();
    const leafKey = await generatePrivateKey(SIGNING_KEY_KINDS["P-256"]!);
    const csr = certRequestPem(leafKey.privateKeyPem, {
      subject: { organization: "lucid", commonName: "web" },
      sans: { dnsNames: ["web.example"], ipAddresses: [], uris: ["spiffe://t/ns/default/dc/east/svc/web"] },
    });
    const leaf = tbsOf((await signLeaf(authority, csr)).certPem);
    assert.deepEqual(
      [...leaf.extensions!].map((e) => e.extnID),
      [
        asnX509.id_ce_keyUsage,
        asnX509.id_ce_extKeyUsage,
        asnX509.id_ce_basicConstraints,
        asnX509.id_ce_authorityKeyIdentifier,
        asnX509.id_ce_subjectAltName,
      ].filter((id) => leaf.extensions!.some((e) => e.extnID === id)),
    );
    assert.ok(leaf.extensions!.length >= 4, "key usage, basic constraints, AKI and SAN at least");
    const ca = tbsOf(authority.ca.certPem);
    const caIds = [...ca.extensions!].map((e) => e.extnID);
    assert.ok(caIds.indexOf(asnX509.id_ce_basicConstraints) < caIds.indexOf(asnX509.id_ce_subjectKeyIdentifier));
    assert.ok(caIds.indexOf(asnX509.id_ce_keyUsage) < caIds.indexOf(asnX509.id_ce_basicConstraints));
  });

  it("writes a validity time before 1950 as GeneralizedTime, as encoding/asn1 does, and 1950–2049 as UTCTime", async () => {
    const signer = await signingKey((await generatePrivateKey(SIGNING_KEY_KINDS["P-256"]!)).privateKeyPem, "go.spec");
    const der = certificateDer(
      {
        serial: randomSerial(),
        issuer: subjectName({ commonName: "ca" }),
        subject: subjectName({ commonName: "old" }),
        notBefore: new Date("1949-12-31T23:59:59Z"),
        notAfter: new Date("1950-01-01T00:00:00Z"),
        spki: signer.spki,
        extensions: [],
      },
      signer.signatureAlgorithm,
      () => new Uint8Array(64),
    );
    const hex = der.toString("hex");
    assert.ok(hex.includes(`180f${Buffer.from("19491231235959Z").toString("hex")}`), "GeneralizedTime for 1949");
    assert.ok(hex.includes(`170d${Buffer.from("500101000000Z").toString("hex")}`), "UTCTime for 1950");
  });
});
