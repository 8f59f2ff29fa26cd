/** The tls provider models themselves: key formats, the P224 default, CSRs and certificate fields. */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { createPrivateKey, createPublicKey, webcrypto, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as X509 from "@peculiar/x509";
import * as pulumi from "@pulumi/pulumi";
import { ModelSession } from "../../simulate/recorder";
import {
  createCertRequest,
  createLocallySignedCert,
  createSelfSignedCert,
  generatePrivateKey,
  tlsModels,
  TLS_TYPES,
} from "../../simulate/tls";
import type { PrivateKeyInputs } from "../../simulate/tls/keys";
import { x509 } from "../helpers/x509";
import { newCa, P256, signLeaf } from "./fixtures";

/** A CSR made outside the models: by @peculiar/x509 over WebCrypto, as another tool would. */
async function foreignCsr(name: string | undefined, san: X509.Extension): Promise<string> {
  const keys = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    ...(name !== undefined ? { name } : {}),
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions: [san],
  });
  return csr.toString("pem");
}

describe("tls provider models", () => {
  it("makes the requested ECDSA curve, as SEC1 and PKCS#8 PEM, with an OpenSSH fingerprint", async () => {
    for (const [curve, openssl] of [
      ["P256", "prime256v1"],
      ["P384", "secp384r1"],
    ] as const) {
      const key = await generatePrivateKey({ algorithm: "ECDSA", ecdsaCurve: curve });
      assert.match(key.privateKeyPem, /^-----BEGIN EC PRIVATE KEY-----\n/);
      assert.match(key.privateKeyPemPkcs8, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.match(key.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
      assert.match(key.publicKeyFingerprintSha256, /^SHA256:[A-Za-z0-9+/]{43}$/);
      assert.equal(createPrivateKey(key.privateKeyPem).asymmetricKeyDetails?.namedCurve, openssl);
    }
  });

  it("writes every key's PEMs and OpenSSH form as node's and ssh-keygen's own exports of that key", async function () {
    this.timeout(300_000);
    const dir = mkdtempSync(join(tmpdir(), "keys-"));
    try {
      const shapes: [PrivateKeyInputs, number][] = [
        [{ algorithm: "ECDSA" }, 40],
        [{ algorithm: "ECDSA", ecdsaCurve: "P256" }, 120],
        [{ algorithm: "ECDSA", ecdsaCurve: "P384" }, 40],
        [{ algorithm: "ECDSA", ecdsaCurve: "P521" }, 40],
        [{ algorithm: "ED25519" }, 40],
        [{ algorithm: "RSA", rsaBits: 2048 }, 3],
      ];
      for (const [inputs, count] of shapes) {
        for (let i = 0; i < count; i++) {
          const key = await generatePrivateKey(inputs);
          const node = createPrivateKey(key.privateKeyPem);
          const legacyType = inputs.algorithm === "ECDSA" ? "sec1" : inputs.algorithm === "RSA" ? "pkcs1" : "pkcs8";
          const label = `${inputs.algorithm} ${inputs.ecdsaCurve ?? ""} #${i}`;
          assert.equal(key.privateKeyPem, node.export({ type: legacyType, format: "pem" }), label);
          assert.equal(key.privateKeyPemPkcs8, node.export({ type: "pkcs8", format: "pem" }), label);
          assert.equal(key.publicKeyPem, createPublicKey(node).export({ type: "spki", format: "pem" }), label);
          // ssh-keygen reads the SPKI PEM and writes the OpenSSH form itself (not for P-224, which OpenSSH lacks, nor
          // Ed25519, which it does not import from PKCS #8: RFC 8709's form is checked by hand).
          if (inputs.algorithm === "ED25519") {
            const raw = createPublicKey(node).export({ type: "spki", format: "der" }).subarray(-32);
            const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
            const blob = Buffer.concat([field(Buffer.from("ssh-ed25519")), field(raw)]);
            assert.equal(key.publicKeyOpenssh, `ssh-ed25519 ${blob.toString("base64")}\n`, label);
          } else if (i < 2 && key.publicKeyOpenssh !== "") {
            const file = join(dir, "key.pub.pem");
            writeFileSync(file, key.publicKeyPem);
            const openssh = execFileSync("ssh-keygen", ["-i", "-m", "PKCS8", "-f", file], { encoding: "utf8" });
            assert.equal(key.publicKeyOpenssh, openssh, label);
          }
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reproduces the provider's P224 default when ecdsaCurve is omitted, and refuses to sign with it", async () => {
    const key = await generatePrivateKey({ algorithm: "ECDSA" });
    assert.equal(key.ecdsaCurve, "P224");
    assert.equal(createPrivateKey(key.privateKeyPem).asymmetricKeyDetails?.namedCurve, "secp224r1");
    assert.equal(key.publicKeyFingerprintSha256, "", "OpenSSH has no P-224 form, as with the provider");
    await assert.rejects(createCertRequest({ privateKeyPem: key.privateKeyPem }, "east-api-gateway-leaf-csr"), {
      message: /east-api-gateway-leaf-csr uses an ECDSA P224 key.*set ecdsaCurve/,
    });
  });

  it("makes RSA keys of the requested size, as PKCS#1 PEM", async () => {
    const key = await generatePrivateKey({ algorithm: "RSA", rsaBits: 2048 });
    assert.match(key.privateKeyPem, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.equal(createPrivateKey(key.privateKeyPem).asymmetricKeyDetails?.modulusLength, 2048);
    const cert = await createSelfSignedCert({
      privateKeyPem: key.privateKeyPem,
      allowedUses: ["digitalSignature", "keyEncipherment", "serverAuth"],
      validityPeriodHours: 1,
    });
    assert.equal(cert.keyAlgorithm, "RSA");
    const parsed = new X509Certificate(cert.certPem);
    assert.ok(parsed.verify(parsed.publicKey));
  });

  it("returns the PrivateKey model's private key outputs as secrets", async () => {
    const model = tlsModels[TLS_TYPES.privateKey]!;
    const result = await model({
      type: TLS_TYPES.privateKey,
      name: "k",
      stack: "test",
      session: new ModelSession(),
      inputs: { algorithm: "ECDSA", ecdsaCurve: "P256" },
    });
    const outputs = result.outputs as Record<string, pulumi.Output<string>>;
    assert.ok(await pulumi.isSecret(outputs.privateKeyPem!));
    assert.ok(await pulumi.isSecret(outputs.privateKeyPemPkcs8!));
  });

  it("puts subject, SANs, CA flags, key ids and validity into a self-signed CA", async () => {
    const key = await generatePrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    const now = new Date("2030-06-01T12:00:00.500Z");
    const issued = await createSelfSignedCert(
      {
        privateKeyPem: key.privateKeyPem,
        allowedUses: ["certSigning", "crlSigning", "digitalSignature"],
        validityPeriodHours: 48,
        isCaCertificate: true,
        maxPathLength: 1,
        uris: ["spiffe://lucid.mesh"],
        dnsNames: ["ca.example"],
        ipAddresses: ["127.0.0.1"],
        subject: { commonName: "root", organization: "lucid-mesh" },
        setSubjectKeyId: true,
        setAuthorityKeyId: true,
      },
      { now },
    );
    assert.equal(issued.validityStartTime, "2030-06-01T12:00:00Z");
    assert.equal(issued.validityEndTime, "2030-06-03T12:00:00Z");
    const cert = new x509.X509Certificate(issued.certPem);
    assert.equal(cert.subject, "O=lucid-mesh, CN=root");
    const bc = cert.getExtension(x509.BasicConstraintsExtension)!;
    assert.deepEqual([bc.ca, bc.pathLength, bc.critical], [true, 1, true]);
    assert.equal(
      cert.getExtension(x509.KeyUsagesExtension)!.usages,
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
    );
    const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId;
    assert.equal(cert.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId, ski);
    const node = new X509Certificate(issued.certPem);
    assert.equal(node.subjectAltName, "DNS:ca.example, IP Address:127.0.0.1, URI:spiffe://lucid.mesh");
    assert.match(node.serialNumber, /^[0-9A-F]{32}$/);
  });

  it("copies subject and SANs from the CSR, links key ids, and checks the CA key matches the CA certificate", async () => {
    const { caKey, ca } = await newCa(P256, 10);
    const key = await generatePrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    const csr = await createCertRequest({
      privateKeyPem: key.privateKeyPem,
      subject: { commonName: "svc" },
      uris: ["spiffe://lucid.mesh/ns/lucid/dc/east/svc/svc"],
    });
    assert.match(csr.certRequestPem, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
    const issued = await createLocallySignedCert({
      certRequestPem: csr.certRequestPem,
      caCertPem: ca.certPem,
      caPrivateKeyPem: caKey.privateKeyPem,
      allowedUses: ["digitalSignature", "serverAuth", "clientAuth"],
      validityPeriodHours: 5,
      setSubjectKeyId: true,
    });
    assert.equal(issued.caKeyAlgorithm, "ECDSA");
    const cert = new x509.X509Certificate(issued.certPem);
    assert.equal(cert.subject, "CN=svc");
    assert.equal(cert.issuer, "CN=ca");
    const caSki = new x509.X509Certificate(ca.certPem).getExtension(x509.SubjectKeyIdentifierExtension)!.keyId;
    assert.equal(cert.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId, caSki);
    assert.equal(
      new X509Certificate(issued.certPem).subjectAltName,
      "URI:spiffe://lucid.mesh/ns/lucid/dc/east/svc/svc",
    );

    const stranger = await generatePrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    await assert.rejects(
      createLocallySignedCert({
        certRequestPem: csr.certRequestPem,
        caCertPem: ca.certPem,
        caPrivateKeyPem: stranger.privateKeyPem,
        allowedUses: ["digitalSignature"],
        validityPeriodHours: 5,
      }),
      /caPrivateKeyPem does not match/,
    );
  });

  it("rejects an allowedUses value the provider does not know", async () => {
    const key = await generatePrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    await assert.rejects(
      createSelfSignedCert({ privateKeyPem: key.privateKeyPem, allowedUses: ["server_auth"], validityPeriodHours: 1 }),
      /unknown allowedUses value "server_auth"/,
    );
  });

  it("signs CSRs and certificates that verify, with every key type it can sign with", async () => {
    for (const inputs of [
      { algorithm: "ECDSA", ecdsaCurve: "P256" },
      { algorithm: "ECDSA", ecdsaCurve: "P384" },
      { algorithm: "ECDSA", ecdsaCurve: "P521" },
      { algorithm: "RSA", rsaBits: 2048 },
      { algorithm: "ED25519" },
    ]) {
      const label = JSON.stringify(inputs);
      const authority = await newCa(inputs);
      const caCert = new X509Certificate(authority.ca.certPem);
      assert.ok(caCert.verify(caCert.publicKey), `${label}: self-signed CA`);
      const leafKey = await generatePrivateKey(inputs);
      const csr = await createCertRequest({ privateKeyPem: leafKey.privateKeyPem, uris: ["spiffe://lucid.mesh/a"] });
      assert.ok(await new x509.Pkcs10CertificateRequest(csr.certRequestPem).verify(), `${label}: CSR signature`);
      const leaf = await signLeaf(authority, csr.certRequestPem);
      const leafCert = new X509Certificate(leaf.certPem);
      assert.ok(leafCert.verify(caCert.publicKey), `${label}: leaf signed by the CA`);
      assert.ok(leafCert.checkIssued(caCert), `${label}: leaf names the CA as issuer`);
      assert.equal(leafCert.publicKey.export({ format: "pem", type: "spki" }), leafKey.publicKeyPem, label);
    }
  });

  it("signs a CSR it did not make itself, taking its subject and SANs from the PEM", async () => {
    const authority = await newCa();
    const san = new x509.SubjectAlternativeNameExtension([{ type: "url", value: "spiffe://lucid.mesh/foreign" }]);
    const leaf = await signLeaf(authority, await foreignCsr("CN=foreign", san));
    const cert = new X509Certificate(leaf.certPem);
    assert.equal(cert.subject, "CN=foreign");
    assert.equal(cert.subjectAltName, "URI:spiffe://lucid.mesh/foreign");
    assert.ok(cert.verify(new X509Certificate(authority.ca.certPem).publicKey));
  });

  it("rebuilds a foreign CSR's SANs as the provider does: DNS, IP and URI only, critical when the subject is empty", async () => {
    // Not critical although the subject is empty (RFC 5280 wants it critical), and with an email name.
    const requested = new x509.SubjectAlternativeNameExtension(
      [
        { type: "dns", value: "a.example" },
        { type: "email", value: "ops@example.com" },
        { type: "url", value: "spiffe://lucid.mesh/foreign" },
      ],
      false,
    );
    const leaf = await signLeaf(await newCa(), await foreignCsr(undefined, requested));
    const san = new x509.X509Certificate(leaf.certPem).getExtension("2.5.29.17")!;
    assert.equal(san.critical, true);
    assert.equal(new X509Certificate(leaf.certPem).subjectAltName, "DNS:a.example, URI:spiffe://lucid.mesh/foreign");
  });

  it("names each signature algorithm as X.509 does: RSA with a NULL parameter, ECDSA and Ed25519 with none", async () => {
    // The AlgorithmIdentifier's DER (RFC 5758, RFC 4055 §5, RFC 8410): in tbsCertificate and again outside it, and
    // for Ed25519 a third time, as the key's algorithm in subjectPublicKeyInfo.
    const expected: [Parameters<typeof generatePrivateKey>[0], string, number][] = [
      [{ algorithm: "ECDSA", ecdsaCurve: "P256" }, "300a06082a8648ce3d040302", 2],
      [{ algorithm: "ECDSA", ecdsaCurve: "P384" }, "300a06082a8648ce3d040303", 2],
      [{ algorithm: "RSA", rsaBits: 2048 }, "300d06092a864886f70d01010b0500", 2],
      [{ algorithm: "ED25519" }, "300506032b6570", 3],
    ];
    for (const [inputs, algorithmDer, occurrences] of expected) {
      const key = await generatePrivateKey(inputs);
      const issued = await createSelfSignedCert({
        privateKeyPem: key.privateKeyPem,
        allowedUses: ["digitalSignature"],
        validityPeriodHours: 1,
      });
      const der = new X509Certificate(issued.certPem).raw.toString("hex");
      assert.equal(der.split(algorithmDer).length - 1, occurrences, JSON.stringify(inputs));
    }
  });
});
