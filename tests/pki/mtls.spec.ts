/**
 * Real mTLS handshakes with node:tls between workloads holding the CA's certificates, plus the SPIFFE ID check
 * Envoy makes after the handshake (`match_typed_subject_alt_names` on the URI SAN).
 */
import { strict as assert } from "node:assert";
import type { AddressInfo } from "node:net";
import * as tls from "node:tls";
import { serviceSpiffeId } from "../../model";
import { valueOf } from "../../simulate/recorder";
import {
  createCertRequest,
  createLocallySignedCert,
  createSelfSignedCert,
  generatePrivateKey,
} from "../../simulate/tls";
import { caAllowedUses, leafAllowedUses, leafSans, validityPlan } from "../../pki";
import { renderCa, TLS, type RenderedCa } from "./fixtures";

interface Identity {
  readonly chainPem: string;
  readonly privateKeyPem: string;
}

interface HandshakeOutcome {
  /** The server's verdict: TLS-level verification, then the SPIFFE ID check. */
  readonly server: {
    readonly tlsError?: string;
    readonly authorized?: boolean;
    readonly peerId?: string;
    readonly accepted?: boolean;
  };
  /** What the client read back, or its error. */
  readonly client: { readonly reply?: string; readonly error?: string };
}

/** URI SANs as node reports them (`URI:spiffe://...`). */
function peerUriSans(socket: tls.TLSSocket): string[] {
  const names = socket.getPeerX509Certificate()?.subjectAltName ?? "";
  return names
    .split(", ")
    .filter((n) => n.startsWith("URI:"))
    .map((n) => n.slice(4));
}

/** Accepts only when TLS verified the chain AND the peer presents exactly the expected SPIFFE ID. */
function spiffeCheck(uris: readonly string[], expected: string): boolean {
  return uris.length === 1 && uris[0] === expected;
}

async function handshake(
  trustBundlePem: string,
  server: Identity,
  serverId: string,
  client: Identity,
  expectedClientId: string,
): Promise<HandshakeOutcome> {
  let serverOutcome: (o: HandshakeOutcome["server"]) => void = () => undefined;
  const serverDone = new Promise<HandshakeOutcome["server"]>((resolve) => (serverOutcome = resolve));
  const srv = tls.createServer(
    {
      cert: server.chainPem,
      key: server.privateKeyPem,
      ca: trustBundlePem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.2",
    },
    (socket) => {
      const peerId = peerUriSans(socket);
      const accepted = socket.authorized && spiffeCheck(peerId, expectedClientId);
      serverOutcome({ authorized: socket.authorized, peerId: peerId.join(","), accepted });
      socket.end(accepted ? "accepted" : `rejected ${peerId.join(",")}`);
    },
  );
  // With rejectUnauthorized, node destroys the socket ("socket hang up"); the reason is on the socket.
  srv.on("tlsClientError", (error, socket) =>
    serverOutcome({ tlsError: String(socket.authorizationError ?? error.message) }),
  );
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as AddressInfo;
  try {
    const clientDone = new Promise<HandshakeOutcome["client"]>((resolve) => {
      let reply = "";
      const socket = tls.connect({
        host: "127.0.0.1",
        port,
        cert: client.chainPem,
        key: client.privateKeyPem,
        ca: trustBundlePem,
        // The client, like Envoy's upstream side, checks the server's SPIFFE ID instead of a hostname.
        checkServerIdentity: (_host, cert) =>
          cert.subjectaltname === undefined || !cert.subjectaltname.split(", ").includes(`URI:${serverId}`)
            ? new Error(`server is not ${serverId}`)
            : undefined,
      });
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => (reply += chunk));
      socket.on("error", (error) => resolve({ error: error.message }));
      socket.on("close", () => resolve({ reply }));
    });
    const [serverResult, clientResult] = await Promise.all([serverDone, clientDone]);
    return { server: serverResult, client: clientResult };
  } finally {
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  }
}

describe("mTLS between mesh workloads (node:tls)", () => {
  let r: RenderedCa;
  let bundle: string;
  let server: Identity;
  let client: Identity;
  const serverId = "spiffe://lucid.mesh/ns/lucid/dc/east/svc/blockchain-core";
  const clientId = "spiffe://lucid.mesh/ns/lucid/dc/east/svc/api-gateway";

  const identity = async (cluster: string, service: string): Promise<Identity> => {
    const leaf = r.ca.leaf(cluster, service);
    return { chainPem: await valueOf(leaf.chainPem), privateKeyPem: await valueOf(leaf.privateKeyPem) };
  };

  before(async () => {
    r = await renderCa("dev");
    bundle = await valueOf(r.ca.trustBundlePem);
    server = await identity("east", "blockchain-core");
    client = await identity("east", "api-gateway");
    assert.equal(serviceSpiffeId(r.mesh, "api-gateway", "east"), clientId);
  });

  it("succeeds between two services, and the server sees the caller's SPIFFE ID", async () => {
    const outcome = await handshake(bundle, server, serverId, client, clientId);
    assert.deepEqual(outcome.server, { authorized: true, peerId: clientId, accepted: true });
    assert.equal(outcome.client.reply, "accepted");
  });

  it("works across clusters: both intermediates chain to the one root", async () => {
    const westCaller = await identity("west", "blockchain-core");
    const westId = "spiffe://lucid.mesh/ns/lucid/dc/west/svc/blockchain-core";
    const outcome = await handshake(bundle, server, serverId, westCaller, westId);
    assert.equal(outcome.server.accepted, true);
  });

  it("fails with a certificate from a foreign CA, even with the right SPIFFE ID", async () => {
    const caKey = await generatePrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    const foreignRoot = await createSelfSignedCert({
      privateKeyPem: caKey.privateKeyPem,
      allowedUses: caAllowedUses(),
      validityPeriodHours: 1000,
      isCaCertificate: true,
      subject: { commonName: "lucid.mesh root CA", organization: "lucid-mesh" },
      uris: ["spiffe://lucid.mesh"],
    });
    const key = await generatePrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    const csr = await createCertRequest({
      privateKeyPem: key.privateKeyPem,
      ...leafSans(r.mesh, "east", "api-gateway"),
    });
    const forged = await createLocallySignedCert({
      certRequestPem: csr.certRequestPem,
      caCertPem: foreignRoot.certPem,
      caPrivateKeyPem: caKey.privateKeyPem,
      allowedUses: leafAllowedUses("ECDSA-P256"),
      validityPeriodHours: 1000,
    });
    const outcome = await handshake(
      bundle,
      server,
      serverId,
      { chainPem: forged.certPem, privateKeyPem: key.privateKeyPem },
      clientId,
    );
    // OpenSSL finds no issuer for it in the trust bundle.
    assert.match(outcome.server.tlsError ?? "", /^UNABLE_TO_(VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT_LOCALLY)$/);
    assert.notEqual(outcome.server.accepted, true);
    assert.notEqual(outcome.client.reply, "accepted");
  });

  it("fails with an expired certificate signed by the mesh's own intermediate", async () => {
    const leafInputs = r.recorder.named(TLS.locallySignedCert, "east-api-gateway-leaf").inputs;
    const interPem = await valueOf(r.ca.intermediateCertPem("east"));
    const key = await generatePrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    const csr = await createCertRequest({
      privateKeyPem: key.privateKeyPem,
      ...leafSans(r.mesh, "east", "api-gateway"),
    });
    const leaf = validityPlan(r.mesh).leaf;
    const expired = await createLocallySignedCert(
      {
        certRequestPem: csr.certRequestPem,
        caCertPem: interPem,
        caPrivateKeyPem: leafInputs.caPrivateKeyPem as string,
        allowedUses: leafAllowedUses("ECDSA-P256"),
        ...leaf,
      },
      { now: new Date(Date.now() - (leaf.validityPeriodHours + 24) * 3_600_000) },
    );
    assert.ok(new Date(expired.validityEndTime) < new Date());
    const outcome = await handshake(
      bundle,
      server,
      serverId,
      { chainPem: expired.certPem + interPem, privateKeyPem: key.privateKeyPem },
      clientId,
    );
    assert.equal(outcome.server.tlsError, "CERT_HAS_EXPIRED");
    assert.notEqual(outcome.client.reply, "accepted");
  });

  it("completes TLS but rejects a valid leaf whose SPIFFE ID is not the expected one", async () => {
    const other = await identity("east", "session-api");
    const outcome = await handshake(bundle, server, serverId, other, clientId);
    assert.equal(outcome.server.authorized, true, "the chain is valid: TLS itself succeeds");
    assert.equal(outcome.server.peerId, "spiffe://lucid.mesh/ns/lucid/dc/east/svc/session-api");
    assert.equal(outcome.server.accepted, false, "the SAN check rejects it");
    assert.equal(outcome.client.reply, "rejected spiffe://lucid.mesh/ns/lucid/dc/east/svc/session-api");
  });

  it("the client rejects a server that is not the service it dialled", async () => {
    const impostor = await identity("east", "session-recorder");
    const outcome = await handshake(bundle, impostor, serverId, client, clientId);
    assert.match(outcome.client.error ?? "", /server is not/);
  });
});
