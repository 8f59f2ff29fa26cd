import { strict as assert } from "node:assert";
import { X509Certificate } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { serviceSpiffeId, findCluster } from "../../model";
import { valueOf } from "../../simulate/recorder";
import { readCertRequest } from "../../pki/readCertRequest";
import { validityPlan } from "../../pki/validity";
import { x509 } from "../helpers/x509";
import { leafOwners, renderCa, splitPem, TLS, type RenderedCa, type StackName } from "./fixtures";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

for (const stack of ["dev", "prod"] as StackName[]) {
  describe(`MeshCertificateAuthority (${stack})`, () => {
    let r: RenderedCa;
    before(async () => {
      r = await renderCa(stack);
    });

    describe("recorded tls inputs", () => {
      it("names every child per the contract, parented to the component", () => {
        const names = r.recorder.resources.filter((x) => x.type.startsWith("tls:")).map((x) => x.name);
        const expected = ["mesh-root-key", "mesh-root"];
        for (const c of r.mesh.clusters) {
          expected.push(`${c.name}-intermediate-key`, `${c.name}-intermediate-csr`, `${c.name}-intermediate`);
          expected.push(`${c.name}-consul-server-key`, `${c.name}-consul-server-csr`, `${c.name}-consul-server`);
        }
        for (const o of leafOwners(r.mesh)) {
          const base = `${o.cluster}-${o.service}-leaf`;
          // No `-csr`: the program builds the leaf's request from its key (pki/certRequest.ts).
          expected.push(`${base}-key`, base);
        }
        assert.deepEqual([...names].sort(), expected.sort());
        const component = r.recorder.resources.find((x) => x.type === "lucid:mesh:CertificateAuthority");
        assert.ok(component);
        for (const res of r.recorder.resources.filter((x) => x.type.startsWith("tls:"))) {
          assert.equal(res.parent, component.urn, res.name);
        }
      });

      it("protects the root key, and only it: a destroy or a rename must not reissue the whole mesh", () => {
        const protectedNames = r.recorder.resources.filter((x) => x.protect).map((x) => x.name);
        assert.deepEqual(protectedNames, ["mesh-root-key"]);
      });

      it("makes every key ECDSA with the P256 curve set explicitly", () => {
        const keys = r.recorder.ofType(TLS.privateKey);
        assert.equal(keys.length, 1 + r.mesh.clusters.length * 2 + leafOwners(r.mesh).length);
        for (const key of keys) {
          assert.equal(key.inputs.algorithm, "ECDSA", key.name);
          assert.equal(key.inputs.ecdsaCurve, "P256", key.name);
        }
      });

      it("makes the root a CA for spiffe://lucid.mesh with certSigning and crlSigning", () => {
        const root = r.recorder.named(TLS.selfSignedCert, "mesh-root").inputs;
        assert.equal(root.isCaCertificate, true);
        assert.deepEqual(root.uris, ["spiffe://lucid.mesh"]);
        const uses = root.allowedUses as string[];
        assert.ok(uses.includes("certSigning") && uses.includes("crlSigning"));
        assert.equal(root.earlyRenewalHours, Math.ceil(3650 / 3) * 24);
      });

      it("spreads the leaves' renewals: one up's leaves do not share one renewal night", () => {
        const windows = leafOwners(r.mesh).map(
          (o) => r.recorder.named(TLS.locallySignedCert, `${o.cluster}-${o.service}-leaf`).inputs.earlyRenewalHours,
        );
        assert.ok(new Set(windows).size > 1, `every leaf renews ${String(windows[0])} h before expiry`);
      });

      it("gives leaves serverAuth+clientAuth+digitalSignature, not CA, renewing at a third", () => {
        for (const o of leafOwners(r.mesh)) {
          const leaf = r.recorder.named(TLS.locallySignedCert, `${o.cluster}-${o.service}-leaf`).inputs;
          assert.equal(leaf.isCaCertificate, false);
          assert.deepEqual([...(leaf.allowedUses as string[])].sort(), [
            "clientAuth",
            "digitalSignature",
            "serverAuth",
          ]);
          assert.equal(leaf.validityPeriodHours, 90 * 24);
          // A third, plus a stable per-identity share of half a third: leaves do not all renew on one night.
          const third = (leaf.validityPeriodHours as number) / 3;
          assert.ok((leaf.earlyRenewalHours as number) >= third && (leaf.earlyRenewalHours as number) <= third * 1.5);
          const request = readCertRequest(leaf.certRequestPem as string);
          assert.deepEqual(request.sans.uris, [
            serviceSpiffeId(r.mesh, o.service, findCluster(r.mesh, o.cluster).datacenter),
          ]);
          // The request holds no secret and stays readable; the CA key is the leaf's one secret input.
          const recorded = r.recorder.named(TLS.locallySignedCert, `${o.cluster}-${o.service}-leaf`);
          assert.deepEqual(recorded.secretInputs, ["caPrivateKeyPem"]);
        }
      });

      it("makes intermediates CAs signed by the root, at least 3× the leaf validity", () => {
        const root = r.recorder.named(TLS.selfSignedCert, "mesh-root");
        for (const c of r.mesh.clusters) {
          const inter = r.recorder.named(TLS.locallySignedCert, `${c.name}-intermediate`);
          assert.equal(inter.inputs.isCaCertificate, true);
          assert.ok((inter.inputs.validityPeriodHours as number) >= 3 * 90 * 24);
          assert.ok(inter.dependencies.includes(root.urn), "signed by the root");
        }
      });
    });

    describe("issued certificates", () => {
      it("chains every leaf up to the root", async () => {
        const root = new X509Certificate(await valueOf(r.ca.trustBundlePem));
        assert.ok(root.verify(root.publicKey), "root is self-signed");
        for (const o of leafOwners(r.mesh)) {
          const [leafPem, interPem, ...rest] = splitPem(await valueOf(r.ca.leaf(o.cluster, o.service).chainPem));
          assert.equal(rest.length, 0, "chain = leaf + intermediate");
          assert.equal(interPem, await valueOf(r.ca.intermediateCertPem(o.cluster)));
          const leaf = new X509Certificate(leafPem!);
          const inter = new X509Certificate(interPem!);
          assert.ok(
            leaf.checkIssued(inter) && leaf.verify(inter.publicKey),
            `${o.cluster}/${o.service} ← intermediate`,
          );
          assert.ok(inter.checkIssued(root) && inter.verify(root.publicKey), `${o.cluster} intermediate ← root`);
        }
      });

      it("builds the same chain with @peculiar/x509's chain builder", async () => {
        const o = leafOwners(r.mesh)[0]!;
        const [leafPem, interPem] = splitPem(await valueOf(r.ca.leaf(o.cluster, o.service).chainPem));
        const builder = new x509.X509ChainBuilder({
          certificates: [
            new x509.X509Certificate(interPem!),
            new x509.X509Certificate(await valueOf(r.ca.rootCertPem)),
          ],
        });
        const chain = await builder.build(new x509.X509Certificate(leafPem!));
        assert.equal(chain.length, 3);
      });

      it("conforms to the X.509-SVID profile on every leaf", async () => {
        for (const o of leafOwners(r.mesh)) {
          const cert = new x509.X509Certificate(await valueOf(r.ca.leaf(o.cluster, o.service).certPem));
          const san = cert.getExtension(x509.SubjectAlternativeNameExtension)!;
          const uris = san.names.items.filter((n) => n.type === "url").map((n) => n.value);
          assert.equal(uris.length, 1, "exactly one URI SAN");
          const id = new URL(uris[0]!);
          assert.equal(id.protocol, "spiffe:");
          assert.ok(id.pathname.length > 1, "an SVID's SPIFFE ID has a path");
          assert.equal(uris[0], serviceSpiffeId(r.mesh, o.service, findCluster(r.mesh, o.cluster).datacenter));
          assert.equal(cert.getExtension(x509.BasicConstraintsExtension)!.ca, false);
          const ku = cert.getExtension(x509.KeyUsagesExtension)!.usages;
          assert.ok(ku & x509.KeyUsageFlags.digitalSignature);
          assert.equal(ku & (x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign), 0);
          const eku = cert.getExtension(x509.ExtendedKeyUsageExtension)!.usages;
          assert.ok(eku.includes(SERVER_AUTH) && eku.includes(CLIENT_AUTH));
        }
      });

      it("names the Consul servers server.<dc>.consul, verifiable against the root", async () => {
        const root = new X509Certificate(await valueOf(r.ca.trustBundlePem));
        for (const c of r.mesh.clusters) {
          const [certPem, interPem] = splitPem(await valueOf(r.ca.consulServer(c.name).chainPem));
          const cert = new X509Certificate(certPem!);
          assert.equal(cert.checkHost(`server.${c.datacenter}.consul`), `server.${c.datacenter}.consul`);
          assert.equal(cert.checkIP("127.0.0.1"), "127.0.0.1");
          assert.ok(cert.verify(new X509Certificate(interPem!).publicKey));
          assert.ok(new X509Certificate(interPem!).verify(root.publicKey));
        }
      });
    });

    describe("secrets and inventory", () => {
      it("returns every private key as a secret", async () => {
        for (const o of leafOwners(r.mesh)) {
          const leaf = r.ca.leaf(o.cluster, o.service);
          assert.ok(await pulumi.isSecret(leaf.privateKeyPem), `${o.cluster}/${o.service}`);
          assert.match(await valueOf(leaf.privateKeyPem), /^-----BEGIN EC PRIVATE KEY-----/);
        }
        for (const c of r.mesh.clusters) assert.ok(await pulumi.isSecret(r.ca.consulServer(c.name).privateKeyPem));
      });

      it("lists every leaf, sorted, with no key material", async () => {
        const inventory = await valueOf(r.ca.inventory);
        assert.ok(!JSON.stringify(inventory).includes("PRIVATE KEY"));
        const owners = leafOwners(r.mesh)
          .map((o) => `${o.cluster}/${o.service}`)
          .sort();
        assert.deepEqual(
          inventory.map((e) => `${e.cluster}/${e.service}`),
          owners,
        );
        for (const e of inventory) {
          // A fixed date, not days left: the output must not change from day to day.
          assert.equal(
            Date.parse(e.notAfter) - Date.parse(e.renewsFrom),
            validityPlan(r.mesh).leaf.earlyRenewalHours * 3_600_000,
          );
          assert.match(e.serial, /^[0-9A-F]+$/);
          assert.equal(e.spiffeId, serviceSpiffeId(r.mesh, e.service, findCluster(r.mesh, e.cluster).datacenter));
        }
      });

      it("names the cluster and service when asked for one it does not have", () => {
        assert.throws(() => r.ca.leaf("east", "nope"), /cluster\/service "east\/nope"/);
        // A real service, placed elsewhere: no leaf is issued for a cluster it does not run in.
        const elsewhere = r.mesh.services.find((s) => !s.clusters.includes("east"));
        assert.ok(elsewhere, "the fixture has a service that does not run in east");
        assert.throws(() => r.ca.leaf("east", elsewhere.name), new RegExp(`cluster/service "east/${elsewhere.name}"`));
      });
    });
  });
}
