/**
 * Under `pulumi preview` a new leaf's key does not exist yet, so its request (built by the program from the key) is
 * unknown, as a tls.CertRequest's output would be: the preview shows the leaf's request as computed, never as a
 * request made from something else.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { MeshCertificateAuthority } from "../../components/certificateAuthority";
import { settle } from "../../simulate/recorder";
import { loadMesh } from "./fixtures";

describe("MeshCertificateAuthority under preview", () => {
  it("leaves a leaf's certRequestPem unknown while its key is unknown", async () => {
    const inputs = new Map<string, Record<string, unknown>>();
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          inputs.set(args.name, args.inputs as Record<string, unknown>);
          // A preview creates nothing: the provider returns no private key and no certificate.
          return { id: "", state: args.type.startsWith("tls:") ? {} : args.inputs };
        },
        call: () => ({}),
      },
      "lucid-mesh",
      "dev",
      true,
    );
    assert.equal(pulumi.runtime.isDryRun(), true);
    const mesh = loadMesh("dev");
    const ca = new MeshCertificateAuthority("mesh", { mesh });
    await settle();
    const leafName = `${mesh.clusters[0]!.name}-${mesh.services[0]!.name}-leaf`;
    const leaf = inputs.get(leafName);
    assert.ok(leaf, `no ${leafName} registered`);
    assert.ok(pulumi.isUnknown(leaf.certRequestPem), `certRequestPem is ${JSON.stringify(leaf.certRequestPem)}`);
    assert.deepEqual(leaf.allowedUses, ["digitalSignature", "serverAuth", "clientAuth"]);
    assert.equal(inputs.has(`${leafName}-csr`), false);
    // The per-cluster requests are still CertRequest resources, unknown in the same way.
    assert.ok(pulumi.isUnknown(inputs.get(`${mesh.clusters[0]!.name}-intermediate`)?.certRequestPem));
    assert.ok(ca);
  });
});
