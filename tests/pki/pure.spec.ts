import { strict as assert } from "node:assert";
import { findCluster, type Mesh } from "../../model";
import {
  assertValidityPlan,
  caAllowedUses,
  consulServerSans,
  daysToHours,
  defaultEarlyRenewalDays,
  intermediateSubject,
  inventoryEntry,
  isDueForRenewal,
  keySettings,
  leafAllowedUses,
  leafSans,
  leafSubject,
  pkiResourceNames,
  renewalPoint,
  rootSans,
  rootSubject,
  sortInventory,
  validityPlan,
  spreadRenewal,
  validityProblems,
  type InventoryEntry,
} from "../../pki";
import {
  createCertRequest,
  createLocallySignedCert,
  createSelfSignedCert,
  generatePrivateKey,
} from "../../simulate/tls";
import { loadMesh } from "./fixtures";
import { dockerSettings } from "../helpers/stacks";

const HOUR = 3_600_000;

describe("pki (pure)", () => {
  let dev: Mesh;
  let prod: Mesh;
  before(() => {
    dev = loadMesh("dev");
    prod = loadMesh("prod");
  });

  describe("validity", () => {
    it("turns the config's days into the provider's hours, renewing a third early", () => {
      const plan = validityPlan(dev);
      assert.deepEqual(plan.leaf, { validityPeriodHours: 90 * 24, earlyRenewalHours: 30 * 24 });
      assert.deepEqual(plan.intermediate, { validityPeriodHours: 365 * 24, earlyRenewalHours: 122 * 24 });
      assert.deepEqual(plan.root, { validityPeriodHours: 3650 * 24, earlyRenewalHours: 1217 * 24 });
      assert.deepEqual(plan.consulServer, plan.leaf);
    });

    it("keeps a leaf at most a third of the intermediate, and the intermediate within the root", () => {
      for (const mesh of [dev, prod]) {
        const plan = validityPlan(mesh);
        assert.ok(plan.leaf.validityPeriodHours * 3 <= plan.intermediate.validityPeriodHours);
        assert.ok(plan.intermediate.validityPeriodHours <= plan.root.validityPeriodHours);
      }
    });

    it("rounds the default early renewal up to whole days", () => {
      assert.equal(defaultEarlyRenewalDays(90), 30);
      assert.equal(defaultEarlyRenewalDays(100), 34);
      assert.equal(daysToHours(2), 48);
    });

    it("reports every broken rule at once, naming the field to change", () => {
      const v = (days: number, early: number) => ({ validityPeriodHours: days * 24, earlyRenewalHours: early * 24 });
      const plan = { root: v(100, 30), intermediate: v(200, 60), leaf: v(90, 90), consulServer: v(90, 30) };
      const problems = validityProblems(plan);
      assert.equal(problems.length, 3);
      assert.match(problems[0]!, /security\.intermediateValidityDays/);
      assert.match(problems[1]!, /security\.rootValidityDays/);
      assert.match(problems[2]!, /^leaf early renewal 2160h/);
      assert.throws(() => assertValidityPlan(plan), /invalid PKI validity plan/);
    });

    it("spreads leaf renewals over half a window, stably per identity, never below the tier's window", () => {
      const tier = { validityPeriodHours: 90 * 24, earlyRenewalHours: 30 * 24 };
      const identities = Array.from({ length: 200 }, (_, i) => `east-service-${i}-leaf`);
      const windows = identities.map((id) => spreadRenewal(tier, id).earlyRenewalHours);
      for (const w of windows) assert.ok(w >= 30 * 24 && w <= 45 * 24, String(w));
      assert.deepEqual(
        identities.map((id) => spreadRenewal(tier, id).earlyRenewalHours),
        windows,
      );
      // 200 leaves issued by one `up` renew on at least 10 different days (15 days of spread), not one night.
      assert.ok(new Set(windows.map((w) => Math.floor(w / 24))).size >= 10);
      const plan = {
        root: { validityPeriodHours: 3650 * 24, earlyRenewalHours: 1217 * 24 },
        intermediate: { validityPeriodHours: 365 * 24, earlyRenewalHours: 122 * 24 },
        leaf: spreadRenewal(tier, "east-api-leaf"),
        consulServer: spreadRenewal(tier, "east-consul-server"),
      };
      assert.deepEqual(validityProblems(plan), []);
      assert.deepEqual(spreadRenewal({ validityPeriodHours: 24, earlyRenewalHours: 1 }, "x").earlyRenewalHours, 1);
    });

    it("is due for renewal exactly from notAfter − earlyRenewalHours", () => {
      const notAfter = new Date("2030-01-31T00:00:00Z");
      const early = 30 * 24;
      assert.equal(renewalPoint(notAfter, early).toISOString(), "2030-01-01T00:00:00.000Z");
      assert.equal(isDueForRenewal(notAfter, early, new Date("2029-12-31T23:59:59Z")), false);
      assert.equal(isDueForRenewal(notAfter, early, new Date("2030-01-01T00:00:00Z")), true);
      assert.equal(isDueForRenewal(notAfter, early, new Date(notAfter.getTime() + HOUR)), true, "expired");
      assert.equal(isDueForRenewal(notAfter, 0, new Date(notAfter.getTime() - 1)), false);
    });
  });

  describe("keys", () => {
    it("always names the ECDSA curve (the provider's P224 default is rejected by Envoy)", () => {
      assert.deepEqual(keySettings("ECDSA-P256"), { algorithm: "ECDSA", ecdsaCurve: "P256" });
      assert.deepEqual(keySettings("ECDSA-P384"), { algorithm: "ECDSA", ecdsaCurve: "P384" });
      assert.deepEqual(keySettings("RSA-2048"), { algorithm: "RSA", rsaBits: 2048 });
      assert.deepEqual(keySettings("RSA-4096"), { algorithm: "RSA", rsaBits: 4096 });
    });
  });

  describe("allowed uses", () => {
    it("lets CAs sign certificates and CRLs", () => {
      assert.deepEqual(caAllowedUses(), ["certSigning", "crlSigning", "digitalSignature"]);
    });
    it("gives leaves serverAuth, clientAuth and digitalSignature, plus keyEncipherment only for RSA", () => {
      assert.deepEqual(leafAllowedUses("ECDSA-P256"), ["digitalSignature", "serverAuth", "clientAuth"]);
      assert.deepEqual(leafAllowedUses("RSA-2048"), [
        "digitalSignature",
        "serverAuth",
        "clientAuth",
        "keyEncipherment",
      ]);
      assert.ok(!leafAllowedUses("ECDSA-P256").includes("certSigning"));
    });
  });

  describe("names and SANs", () => {
    it("follows the resource-name contract", () => {
      assert.equal(pkiResourceNames.rootKey("mesh"), "mesh-root-key");
      assert.equal(pkiResourceNames.root("mesh"), "mesh-root");
      assert.equal(pkiResourceNames.intermediateCsr("east"), "east-intermediate-csr");
      assert.equal(pkiResourceNames.leafKey("east", "api-gateway"), "east-api-gateway-leaf-key");
      assert.equal(pkiResourceNames.leaf("east", "api-gateway"), "east-api-gateway-leaf");
      assert.equal(pkiResourceNames.consulServer("west"), "west-consul-server");
    });

    it("gives the root only the trust domain's ID", () => {
      assert.deepEqual(rootSans(dev), { dnsNames: [], ipAddresses: [], uris: ["spiffe://lucid.mesh"] });
    });

    it("gives a Docker leaf one SPIFFE ID and its Consul DNS names", () => {
      assert.deepEqual(leafSans(dev, "east", "blockchain-core"), {
        dnsNames: ["blockchain-core", "blockchain-core.service.east.consul"],
        ipAddresses: [],
        uris: ["spiffe://lucid.mesh/ns/lucid/dc/east/svc/blockchain-core"],
      });
    });

    it("adds an edge service's DNS names, which its edge listener serves to outside clients", () => {
      assert.deepEqual(leafSans(dev, "east", "api-gateway"), {
        dnsNames: ["api-gateway", "api-gateway.service.east.consul", "api.lucid.localhost"],
        ipAddresses: [],
        uris: ["spiffe://lucid.mesh/ns/lucid/dc/east/svc/api-gateway"],
      });
    });

    it("adds the Kubernetes service names on Kubernetes clusters", () => {
      assert.deepEqual(leafSans(prod, "west", "session-api").dnsNames, [
        "session-api",
        "session-api.service.west.consul",
        "session-api.lucid-mesh",
        "session-api.lucid-mesh.svc",
      ]);
      assert.equal(leafSans(prod, "west", "session-api").uris.length, 1);
    });

    it("names Consul servers as verify_server_hostname expects", () => {
      const sans = consulServerSans(prod, "east");
      assert.deepEqual(sans.dnsNames, ["server.east.consul", "localhost"]);
      // The API LoadBalancer's reserved address, which the Consul provider dials and verifies.
      assert.deepEqual(sans.ipAddresses, ["127.0.0.1", "10.10.0.50"]);
      const docker = consulServerSans(dev, "east");
      assert.deepEqual(docker.ipAddresses, [
        "127.0.0.1",
        ...dockerSettings(findCluster(dev, "east")).consulServerAddresses,
      ]);
    });

    it("keeps CA subjects distinct, so chains cannot confuse issuers", () => {
      const subjects = [rootSubject(dev), intermediateSubject(dev, "east"), intermediateSubject(dev, "west")];
      assert.equal(new Set(subjects.map((s) => JSON.stringify(s))).size, 3);
      assert.equal(leafSubject(dev, "east", "api-gateway").commonName, "api-gateway");
    });
  });

  describe("inventory", () => {
    it("reads an entry back from the certificate, without key material", async () => {
      const key = await generatePrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
      const ca = await createSelfSignedCert({
        privateKeyPem: key.privateKeyPem,
        allowedUses: caAllowedUses(),
        validityPeriodHours: 1000,
        isCaCertificate: true,
        subject: { commonName: "ca" },
      });
      const leafKey = await generatePrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
      const csr = await createCertRequest({
        privateKeyPem: leafKey.privateKeyPem,
        ...leafSans(dev, "east", "api-gateway"),
      });
      const issuedAt = new Date("2030-01-01T00:00:00Z");
      const leaf = await createLocallySignedCert(
        {
          certRequestPem: csr.certRequestPem,
          caCertPem: ca.certPem,
          caPrivateKeyPem: key.privateKeyPem,
          allowedUses: leafAllowedUses("ECDSA-P256"),
          validityPeriodHours: 90 * 24,
        },
        { now: issuedAt },
      );
      const entry = inventoryEntry(leaf.certPem, { cluster: "east", service: "api-gateway" }, 30 * 24);
      assert.deepEqual(entry, {
        service: "api-gateway",
        cluster: "east",
        spiffeId: "spiffe://lucid.mesh/ns/lucid/dc/east/svc/api-gateway",
        notAfter: "2030-04-01T00:00:00Z",
        serial: leaf.serial.toUpperCase(),
        renewsFrom: "2030-03-02T00:00:00Z",
      });
      assert.ok(!JSON.stringify(entry).includes("PRIVATE KEY"));
    });

    it("sorts by cluster, then service", () => {
      const e = (cluster: string, service: string): InventoryEntry => ({
        cluster,
        service,
        spiffeId: "",
        notAfter: "",
        serial: "",
        renewsFrom: "",
      });
      const sorted = sortInventory([e("west", "a"), e("east", "b"), e("east", "a")]);
      assert.deepEqual(
        sorted.map((x) => `${x.cluster}/${x.service}`),
        ["east/a", "east/b", "west/a"],
      );
    });
  });
});
