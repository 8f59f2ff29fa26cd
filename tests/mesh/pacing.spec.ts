import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { MeshCertificateAuthority } from "../../components/certificateAuthority";
import { declareInBatches } from "../../components/pacing";
import { runMeshProgram } from "../../program";
import { settle, startSimulation, type RecordedResource } from "../../simulate/recorder";
import { sdkDebugAidsFound, withoutSdkDebugAids } from "../../simulate/sdkDebugAids";
import { simulateMesh } from "../../simulate/stack";
import { providerModels } from "../../simulate/providers";
import { tlsModels } from "../../simulate/tls";
import { rawMeshConfig } from "../helpers/stacks";
import { leafOwners, loadMesh } from "../pki/fixtures";

describe("pacing: declaring in batches", () => {
  it("paces after every full batch but not after the last item", async () => {
    const events: string[] = [];
    await declareInBatches(
      [1, 2, 3, 4, 5],
      2,
      async () => void events.push("pace"),
      (n) => events.push(`d${n}`),
    );
    assert.deepEqual(events, ["d1", "d2", "pace", "d3", "d4", "pace", "d5"]);
  });

  it("with no pace, declares everything before returning its promise", () => {
    const declared: number[] = [];
    void declareInBatches([1, 2, 3], 1, undefined, (n) => declared.push(n));
    assert.deepEqual(declared, [1, 2, 3]);
  });

  it("rejects a batch size below 1", async () => {
    await assert.rejects(
      declareInBatches([1], 0, undefined, () => undefined),
      /batch size must be ≥ 1, got 0/,
    );
  });
});

/**
 * What a registration is, without certificate material (fresh keys every run) or the URN's stack part. The Docker
 * applier's restart digest is left out too: it digests the payload, whose registrations hold the addresses dockerd
 * gave the namespace holders, and those follow the order the holders start in (simulate/docker/ipam.ts), which
 * pacing changes as a parallel `pulumi up` would. The payload itself is a secret upload, redacted on both sides.
 */
function comparable(resources: readonly RecordedResource[]): string[] {
  const pem = /-----BEGIN [A-Z ]+-----[^-]*-----END [A-Z ]+-----\n?/g;
  const applierDigest = /("lucid\.mesh\/restart-digest","value":)"[0-9a-f]+"/;
  return resources
    .map((r) => {
      const text = JSON.stringify({
        urn: r.urn,
        parent: r.parent ?? "",
        dependencies: r.dependencies,
        provider: r.provider ?? "",
        inputs: r.redactedInputs,
      }).replace(pem, "<pem>");
      return r.urn.includes("lucid:mesh:ConsulApplier$docker:index/container:Container::")
        ? text.replace(applierDigest, '$1"<payload digest>"')
        : text;
    })
    .sort();
}

describe("pacing: the program", function () {
  this.timeout(120_000);

  it("declares the same resources, parents, dependencies and inputs with and without a pace", async () => {
    const paced = await simulateMesh("dev", rawMeshConfig("dev"));
    const recorder = await startSimulation({
      stack: "dev",
      config: { "lucid-mesh:mesh": rawMeshConfig("dev") },
      models: { ...providerModels, ...tlsModels },
    });
    let settledWithinConstructorTurn = false;
    const outputs = runMeshProgram();
    void outputs.then(() => (settledWithinConstructorTurn = true));
    await settle();
    assert.ok(settledWithinConstructorTurn, "without a pace the program never waits for registrations");
    assert.ok(paced.recorder.resources.length > 100);
    assert.deepEqual(comparable(recorder.resources), comparable(paced.recorder.resources));
  });
});

describe("certificate authority: leaves on demand", function () {
  this.timeout(60_000);

  it("issues a leaf on first request and the rest at completeInventory, with an inventory only then", async () => {
    const recorder = await startSimulation({ stack: "dev", models: tlsModels });
    const mesh = loadMesh("dev");
    const ca = new MeshCertificateAuthority("paced", { mesh, leaves: "on-demand" });
    const leafCerts = (): RecordedResource[] =>
      recorder.ofType("tls:index/locallySignedCert:LocallySignedCert").filter((r) => r.name.endsWith("-leaf"));
    const [first] = leafOwners(mesh);
    assert.ok(first);
    assert.throws(() => ca.inventory, /call completeInventory\(\) first/);
    const again = ca.leaf(first.cluster, first.service);
    assert.equal(ca.leaf(first.cluster, first.service).certPem, again.certPem, "one leaf per (cluster, service)");
    await settle();
    const issuedEarly = leafCerts().length;
    assert.equal(issuedEarly, 1, "only the leaf asked for");
    ca.completeInventory();
    const inventory = await new Promise<unknown[]>((resolve) => ca.inventory.apply((v) => resolve(v)));
    await settle();
    assert.equal(inventory.length, leafOwners(mesh).length);
    assert.equal(leafCerts().length, leafOwners(mesh).length, "completeInventory issued the leaves nobody asked for");
    assert.throws(() => ca.leaf(first.cluster, "no-such-service"), /no certificate for cluster\/service/);
  });
});

describe("simulate: the SDK's debugging aids", () => {
  it("are where the locked SDK keeps them", () => {
    assert.ok(sdkDebugAidsFound(), "@pulumi/pulumi moved debuggablePromise or Resource.callsites: see sdkDebugAids.ts");
  });

  it("are off inside and restored afterwards, also when the work fails", async () => {
    const before = Error.stackTraceLimit;
    const callsites = (pulumi.Resource as unknown as { callsites: () => unknown[] }).callsites;
    await assert.rejects(
      withoutSdkDebugAids(async () => {
        assert.equal(Error.stackTraceLimit, 0);
        assert.deepEqual((pulumi.Resource as unknown as { callsites: () => unknown[] }).callsites(), []);
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.equal(Error.stackTraceLimit, before);
    assert.equal((pulumi.Resource as unknown as { callsites: () => unknown[] }).callsites, callsites);
  });
});
