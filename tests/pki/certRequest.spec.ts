/**
 * The leaf CSRs the program builds (pki/certRequest.ts): deterministic, what the tls provider reads, and verifiable
 * by real X.509 implementations (OpenSSL and @peculiar/x509).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { p256 } from "@noble/curves/p256";
import { findCluster, serviceSpiffeId } from "../../model";
import { certRequestPem, type CertRequestSpec } from "../../pki/certRequest";
import { readCertRequest } from "../../pki/readCertRequest";
import { leafAllowedUses, leafSans, leafSubject } from "../../pki";
import { classifyChange } from "../../simulate/system";
import {
  createCertRequest,
  createLocallySignedCert,
  generatePrivateKey,
  type PrivateKeyInputs,
} from "../../simulate/tls";
import { x509 } from "../helpers/x509";
import { tlsSystem } from "../../simulate/tls";
import { loadMesh, newCa, signLeaf } from "./fixtures";

const mesh = loadMesh("dev");
const spec: CertRequestSpec = {
  subject: leafSubject(mesh, "east", "api-gateway"),
  sans: leafSans(mesh, "east", "api-gateway"),
};
const SPIFFE_ID = serviceSpiffeId(mesh, "api-gateway", findCluster(mesh, "east").datacenter);

/** A P-256 key from a fixed scalar, so the expected CSR can be written down (no key PEM in the repository). */
function fixedP256KeyPem(): string {
  const d = createHash("sha256").update("lucid-mesh certRequest.spec fixed test scalar").digest();
  const point = Buffer.from(p256.getPublicKey(d, false));
  const jwk = {
    kty: "EC",
    crv: "P-256",
    d: d.toString("base64url"),
    x: point.subarray(1, 33).toString("base64url"),
    y: point.subarray(33).toString("base64url"),
  };
  return createPrivateKey({ key: jwk, format: "jwk" }).export({ type: "sec1", format: "pem" }) as string;
}

const KEYS: Record<string, PrivateKeyInputs> = {
  "ECDSA P-256": { algorithm: "ECDSA", ecdsaCurve: "P256" },
  "ECDSA P-384": { algorithm: "ECDSA", ecdsaCurve: "P384" },
  "RSA 2048": { algorithm: "RSA", rsaBits: 2048 },
};

/** A leaf LocallySignedCert's recorded inputs with this request, as the engine would diff them. */
function leafInputs(request: string): Record<string, unknown> {
  return { certRequestPem: request, caCertPem: "ca", caPrivateKeyPem: "key", allowedUses: ["digitalSignature"] };
}

/** What `openssl req -verify` says of a CSR file. */
function opensslVerify(file: string): string {
  const run = spawnSync("openssl", ["req", "-in", file, "-noout", "-verify"], { encoding: "utf8" });
  return `${run.stdout}${run.stderr}`.trim();
}

function secondUp(first: Record<string, unknown>, second: Record<string, unknown>) {
  const keys = Object.keys(second).filter((k) => JSON.stringify(first[k]) !== JSON.stringify(second[k]));
  return classifyChange(
    [tlsSystem],
    { urn: "urn:leaf", type: "tls:index/locallySignedCert:LocallySignedCert", name: "east-api-gateway-leaf" },
    keys,
  );
}

describe("leaf CSRs built by the program (pki/certRequest.ts)", () => {
  for (const [label, inputs] of Object.entries(KEYS)) {
    it(`is byte-identical for the same ${label} key, subject and SANs`, async () => {
      const key = await generatePrivateKey(inputs);
      const first = certRequestPem(key.privateKeyPem, spec);
      assert.equal(certRequestPem(key.privateKeyPem, spec), first);
      // The PKCS #8 form of the same key gives the same request.
      assert.equal(certRequestPem(key.privateKeyPem, spec), certRequestPem(key.privateKeyPemPkcs8, spec));
    });
  }

  it("gives the same bytes in every process and library version: a change here reissues every leaf", () => {
    const request = certRequestPem(fixedP256KeyPem(), spec);
    assert.equal(
      createHash("sha256").update(request).digest("hex"),
      "8da71f56b97949f420081d80ec59a07fc6ec1214376098fd5dbe879211217e79",
    );
  });

  it("carries what the provider's own CertRequest carries: subject, SANs, public key, Go's hash for the key", async () => {
    const key = await generatePrivateKey(KEYS["ECDSA P-256"]!);
    const ours = new x509.Pkcs10CertificateRequest(certRequestPem(key.privateKeyPem, spec));
    const models = new x509.Pkcs10CertificateRequest(
      (await createCertRequest({ privateKeyPem: key.privateKeyPem, subject: spec.subject, ...spec.sans }))
        .certRequestPem,
    );
    assert.equal(ours.subject, "O=lucid-mesh, OU=east, CN=api-gateway");
    assert.equal(ours.subject, models.subject);
    assert.deepEqual(Buffer.from(ours.publicKey.rawData), Buffer.from(models.publicKey.rawData));
    assert.deepEqual(ours.signatureAlgorithm, { name: "ECDSA", hash: { name: "SHA-256" } });
    const san = ours.getExtension("2.5.29.17")!;
    assert.equal(san.critical, false, "Go's CreateCertificateRequest writes the CSR's SAN extension non-critical");
    assert.deepEqual(readCertRequest(ours.toString("pem")).sans, spec.sans);
    assert.equal(ours.extensions.length, 1, "one extension requested: the SANs");
  });

  it("verifies with @peculiar/x509 and with OpenSSL (`openssl req -verify`)", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "csr-"));
    try {
      for (const [label, inputs] of Object.entries(KEYS)) {
        const request = certRequestPem((await generatePrivateKey(inputs)).privateKeyPem, spec);
        assert.ok(await new x509.Pkcs10CertificateRequest(request).verify(), `${label}: @peculiar/x509`);
        const file = path.join(dir, "leaf.csr");
        writeFileSync(file, request);
        assert.equal(opensslVerify(file), "Certificate request self-signature verify OK", label);
      }
      // The negative: a flipped bit in the signed part fails both.
      const request = certRequestPem((await generatePrivateKey(KEYS["ECDSA P-256"]!)).privateKeyPem, spec);
      const der = Buffer.from(request.replace(/-----[^-]+-----|\s/g, ""), "base64");
      der[der.indexOf(Buffer.from("api-gateway")) + 1]! ^= 0x01;
      const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
      assert.equal(await new x509.Pkcs10CertificateRequest(tampered).verify(), false);
      writeFileSync(path.join(dir, "bad.csr"), tampered);
      // OpenSSL 3.0's `req -verify` exits 0 either way and says which on stderr.
      assert.equal(opensslVerify(path.join(dir, "bad.csr")), "Certificate request self-signature verify failure");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lets a second up keep the leaf; a request with a random nonce or another subject replaces it (ForceNew)", async () => {
    const key = await generatePrivateKey(KEYS["ECDSA P-256"]!);
    assert.equal(
      secondUp(
        leafInputs(certRequestPem(key.privateKeyPem, spec)),
        leafInputs(certRequestPem(key.privateKeyPem, spec)),
      ),
      undefined,
    );
    // What a tls.CertRequest-style request signed with a random nonce (node's ECDSA) does on every run.
    const random = async () =>
      (await createCertRequest({ privateKeyPem: key.privateKeyPem, subject: spec.subject, ...spec.sans }))
        .certRequestPem;
    assert.deepEqual(secondUp(leafInputs(await random()), leafInputs(await random()))?.action, "replace");
    const renamed = { ...spec, subject: { ...spec.subject, commonName: "renamed" } };
    assert.deepEqual(
      secondUp(
        leafInputs(certRequestPem(key.privateKeyPem, spec)),
        leafInputs(certRequestPem(key.privateKeyPem, renamed)),
      ),
      {
        urn: "urn:leaf",
        type: "tls:index/locallySignedCert:LocallySignedCert",
        name: "east-api-gateway-leaf",
        action: "replace",
        properties: ["certRequestPem"],
      },
    );
  });

  it("is issued by the tls model as an X.509-SVID: one SPIFFE URI SAN, serverAuth+clientAuth, digitalSignature, not a CA", async () => {
    const { caKey, ca } = await newCa();
    const key = await generatePrivateKey(KEYS["ECDSA P-256"]!);
    const leaf = await createLocallySignedCert({
      certRequestPem: certRequestPem(key.privateKeyPem, spec),
      caCertPem: ca.certPem,
      caPrivateKeyPem: caKey.privateKeyPem,
      allowedUses: leafAllowedUses(mesh.security.keyAlgorithm),
      validityPeriodHours: 1,
    });
    const cert = new x509.X509Certificate(leaf.certPem);
    const names = cert.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON();
    assert.deepEqual(
      names.filter((n) => n.type === "url").map((n) => n.value),
      [SPIFFE_ID],
    );
    assert.deepEqual(
      names.filter((n) => n.type === "dns").map((n) => n.value),
      spec.sans.dnsNames,
    );
    assert.deepEqual(
      [...cert.getExtension(x509.ExtendedKeyUsageExtension)!.usages],
      ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"],
    );
    const usage = cert.getExtension(x509.KeyUsagesExtension)!;
    assert.equal(usage.usages, x509.KeyUsageFlags.digitalSignature);
    assert.equal(usage.critical, true);
    assert.equal(cert.getExtension(x509.BasicConstraintsExtension)!.ca, false);
    assert.equal(cert.subject, "O=lucid-mesh, OU=east, CN=api-gateway");
    // The certificate is for the leaf's own key, and OpenSSL (node:crypto) checks the CA's signature on it.
    const issued = new X509Certificate(leaf.certPem);
    assert.ok(issued.checkPrivateKey(createPrivateKey(key.privateKeyPem)));
    assert.ok(issued.verify(new X509Certificate(ca.certPem).publicKey));
  });

  it("is refused by the model as the provider refuses it: another PEM type, or DER that does not parse", async () => {
    const authority = await newCa();
    const sign = (certRequest: string) => signLeaf(authority, certRequest);
    // resource_locally_signed_cert.go decodePEM: the type must be CERTIFICATE REQUEST.
    await assert.rejects(
      sign(authority.ca.certPem),
      /invalid PEM type - expected "CERTIFICATE REQUEST", got "CERTIFICATE"/,
    );
    await assert.rejects(sign("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"));
  });

  for (const [label, inputs] of Object.entries(KEYS)) {
    it(`writes node's own SPKI of a ${label} key and the names asked for, as readCertRequest reads them`, async () => {
      const key = await generatePrivateKey(inputs);
      const variants: CertRequestSpec[] = [
        spec,
        { subject: { organization: "", commonName: "only-cn" }, sans: { dnsNames: [], ipAddresses: [], uris: [] } },
        {
          subject: { organization: "Ünïcode org", commonName: "svc" },
          sans: { dnsNames: ["a.example", "b.example"], ipAddresses: ["10.0.0.1", "127.0.0.1"], uris: [SPIFFE_ID] },
        },
      ];
      for (const variant of variants) {
        const parsed = readCertRequest(certRequestPem(key.privateKeyPem, variant));
        assert.deepEqual(parsed.sans, {
          dnsNames: [...variant.sans.dnsNames],
          ipAddresses: [...variant.sans.ipAddresses],
          uris: [...variant.sans.uris],
        });
        assert.deepEqual(
          Buffer.from(parsed.spki),
          createPublicKey(key.privateKeyPem).export({ type: "spki", format: "der" }),
          "the request carries node's own SPKI of the key",
        );
      }
    });
  }

  it("rejects SANs the provider would (net.ParseIP, url.Parse) instead of writing them", () => {
    assert.throws(
      () => certRequestPem(fixedP256KeyPem(), { ...spec, sans: { ...spec.sans, ipAddresses: ["10.0.0.300"] } }),
      /invalid IP address "10.0.0.300"/,
    );
  });
});
