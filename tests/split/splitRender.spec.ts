/**
 * A split mesh under mocks (simulate/split.ts) against the single stack: the same Envoy, Consul and Kubernetes
 * artifacts, each private key in one stack only, and secrets that stay secrets across StackReferences.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { clusterResolver, consulArtifacts, envoyArtifacts, kubernetesArtifacts } from "../../cli/render/artifacts";
import type { Mesh } from "../../model";
import {
  clusterStackName,
  PART_CONFIG_KEY,
  peeringStackName,
  rootStackName,
  splitStacks,
} from "../../model/stackParts";
import { loadPart, runMeshProgram } from "../../program";
import { startSimulation, type RecordedResource } from "../../simulate/recorder";
import { simulateSplit, type SplitSimulation } from "../../simulate/split";
import { simulateMesh } from "../../simulate/stack";
import { TLS_TYPES } from "../../simulate/tls";
import { x509 } from "../helpers/x509";
import { PROJECT_DIR, rawMeshConfig, stackMesh } from "../helpers/stacks";

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * A certificate as what it says, not its bytes: keys, serials and signatures are random in every run, so two runs
 * compare by subject, issuer, SANs and CA flag.
 */
function describeCertificate(pem: string): string {
  const cert = new x509.X509Certificate(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const ca = cert.getExtension(x509.BasicConstraintsExtension)?.ca ?? false;
  const names = san ? san.names.items.map((n) => `${n.type}:${n.value}`).join(",") : "";
  return `[certificate subject=${cert.subject} issuer=${cert.issuer} san=${names} ca=${ca}]`;
}

/**
 * Annotations that hash certificate bytes (the Consul StatefulSet's, so a renewal rolls the servers): equal inputs
 * give equal hashes, but the bytes differ between any two runs, as above. The server.json they also hash is
 * compared on its own (consul/<cluster>/agent).
 */
const CERTIFICATE_HASHES = new Set(["lucid.mesh/config-checksum"]);

function withoutCertificateBytes(value: unknown): unknown {
  if (typeof value === "string") return value.replace(PEM_BLOCK, (pem) => describeCertificate(pem));
  if (Array.isArray(value)) return value.map(withoutCertificateBytes);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, CERTIFICATE_HASHES.has(k) ? "[hash]" : withoutCertificateBytes(v)]),
    );
  }
  return value;
}

/** A file parsed as what it is (YAML, JSON, PEM), certificates described: the compare ignores layout and bytes. */
function parsed(path: string, content: string): unknown {
  if (path.endsWith(".json")) return withoutCertificateBytes(JSON.parse(content));
  if (path.endsWith(".yaml")) return withoutCertificateBytes(yaml.load(content));
  return withoutCertificateBytes(content);
}

/** The Envoy, Consul and Kubernetes artifacts of some resources, by path, parsed. */
function artifacts(resources: readonly RecordedResource[], mesh: Mesh): Map<string, unknown> {
  const clusterOf = clusterResolver(resources, mesh);
  const files = [
    envoyArtifacts(resources),
    kubernetesArtifacts(resources, clusterOf),
    consulArtifacts(resources, clusterOf),
  ].flatMap((a) => a.files);
  return new Map(files.map((f) => [f.path, parsed(f.path, f.content)]));
}

function privateKeys(resources: readonly RecordedResource[]): string[] {
  return resources
    .filter((r) => r.type === TLS_TYPES.privateKey)
    .map((r) => r.name)
    .sort();
}

for (const env of ["dev", "prod"] as const) {
  describe(`a split ${env} mesh under mocks`, function () {
    this.timeout(600_000);
    const mesh = stackMesh(env);
    let single: Map<string, unknown>;
    let split: SplitSimulation;

    before(async () => {
      const run = await simulateMesh(env, rawMeshConfig(env));
      single = artifacts(run.recorder.resources, mesh);
      split = await simulateSplit(env, mesh, rawMeshConfig(env));
    });

    it("runs the plan: each cluster asks for a signature, the root signs, the clusters and the peering follow", () => {
      const clusters = mesh.clusters.map((c) => clusterStackName(env, c.name)).sort();
      assert.deepEqual(
        split.runs.map((r) => `${r.phase} ${r.stack}`),
        [
          ...clusters.map((s) => `request ${s}`),
          `sign ${rootStackName(env)}`,
          ...clusters.map((s) => `clusters ${s}`),
          `peerings ${peeringStackName(env, "east", "west")}`,
        ],
      );
      for (const run of split.runs.filter((r) => r.phase === "request")) {
        assert.equal(run.outputs.values.awaitingSignature, true, run.stack);
        assert.match(String(run.outputs.values.intermediateCsrPem), /BEGIN CERTIFICATE REQUEST/);
      }
    });

    it("gives the same Envoy, Consul and Kubernetes artifacts as the single stack, each from one stack", () => {
      const union = new Map<string, unknown>();
      const owner = new Map<string, string>();
      for (const run of split.final.values()) {
        for (const [path, content] of artifacts(run.recorder.resources, mesh)) {
          assert.ok(!owner.has(path), `${path} comes from both ${owner.get(path)} and ${run.stack}`);
          owner.set(path, run.stack);
          union.set(path, content);
        }
      }
      assert.ok(single.size > 50, `only ${single.size} artifacts`);
      assert.deepEqual([...union.keys()].sort(), [...single.keys()].sort());
      for (const [path, content] of single) assert.deepEqual(union.get(path), content, path);
      // Each cluster's files come from that cluster's stack.
      for (const [path, stack] of owner) {
        const cluster = path.split("/")[1]!;
        assert.equal(stack, clusterStackName(env, cluster), path);
      }
    });

    it("keeps each private key in one stack: no cluster stack holds another cluster's key or the root's", () => {
      const root = split.final.get(rootStackName(env))!;
      assert.deepEqual(privateKeys(root.recorder.resources), ["lucid-root-key"]);
      for (const cluster of mesh.clusters.map((c) => c.name)) {
        // Every run of the cluster's stack, the first (key and CSR only) and the last.
        for (const run of split.runs.filter((r) => r.stack === clusterStackName(env, cluster))) {
          const keys = privateKeys(run.recorder.resources);
          assert.ok(keys.includes(`${cluster}-intermediate-key`), run.stack);
          assert.deepEqual(
            keys.filter((k) => !k.startsWith(`${cluster}-`)),
            [],
            `${run.stack} (${run.phase}) holds another part's key`,
          );
          // The intermediate is signed in the root stack, not here.
          assert.ok(!run.recorder.resources.some((r) => r.type === TLS_TYPES.selfSignedCert), run.stack);
          assert.ok(!run.recorder.resources.some((r) => r.name === `${cluster}-intermediate` && r.custom), run.stack);
        }
      }
      const peering = split.final.get(peeringStackName(env, "east", "west"))!;
      assert.deepEqual(privateKeys(peering.recorder.resources), []);
    });

    it("signs the intermediate in the root stack from the CSR the cluster stack exported, and the cluster uses it", () => {
      const root = split.final.get(rootStackName(env))!;
      for (const cluster of mesh.clusters.map((c) => c.name)) {
        const signed = root.recorder.named(TLS_TYPES.locallySignedCert, `${cluster}-intermediate`);
        const requested = split.runs.find((r) => r.phase === "request" && r.stack === clusterStackName(env, cluster))!;
        assert.equal(signed.inputs.certRequestPem, requested.outputs.values.intermediateCsrPem);
        const final = split.final.get(clusterStackName(env, cluster))!;
        // The same CSR again: the cluster stack kept its key between its two runs.
        assert.equal(final.outputs.values.intermediateCsrPem, requested.outputs.values.intermediateCsrPem);
        const consulCert = final.recorder.named(TLS_TYPES.locallySignedCert, `${cluster}-consul-server`);
        const intermediates = root.outputs.values.intermediates as Record<string, { certPem: string }>;
        assert.equal(consulCert.inputs.caCertPem, intermediates[cluster]!.certPem);
      }
    });

    it("keeps secrets secret across stacks: the Consul token is a secret output, and a secret in the peering stack", () => {
      for (const cluster of mesh.clusters.map((c) => c.name)) {
        const final = split.final.get(clusterStackName(env, cluster))!;
        assert.deepEqual(final.outputs.secretNames, ["consulToken"]);
        // Nothing else it exports holds key material.
        const { consulToken: _token, ...published } = final.outputs.values;
        assert.doesNotMatch(JSON.stringify(published), /PRIVATE KEY/);
      }
      const peering = split.final.get(peeringStackName(env, "east", "west"))!;
      const providers = peering.recorder.resources.filter((r) => r.type === "pulumi:providers:consul");
      assert.equal(providers.length, 2);
      for (const provider of providers) assert.deepEqual(provider.secretInputs, ["token"], provider.name);
      const references = peering.recorder.resources.filter((r) => r.type === "pulumi:pulumi:StackReference");
      assert.deepEqual(references.map((r) => r.inputs.name).sort(), [
        clusterStackName(env, "east"),
        clusterStackName(env, "west"),
      ]);
    });
  });
}

describe("a split part's program (as pulumi up runs it)", () => {
  it("reads the shared model from Pulumi.<env>.yaml next to the program", async () => {
    await startSimulation({
      stack: "dev-east",
      config: { [PART_CONFIG_KEY]: { mesh: "dev", role: "cluster", cluster: "east" } },
    });
    const part = loadPart();
    assert.deepEqual(part?.config, { mesh: "dev", part: { role: "cluster", cluster: "east" } });
    assert.deepEqual(part?.mesh, stackMesh("dev"));
  });

  it("refuses a part deployed under another stack's name with one RunError, before any resource", async () => {
    const recorder = await startSimulation({
      stack: "dev-west",
      config: { [PART_CONFIG_KEY]: { mesh: "dev", role: "cluster", cluster: "east" } },
    });
    assert.throws(
      () => runMeshProgram({ sharedMesh: rawMeshConfig("dev") }),
      (error: unknown) =>
        error instanceof pulumi.RunError &&
        /stack dev-west declares cluster east, which the other stacks of mesh dev reference as dev-east/.test(
          error.message,
        ),
    );
    assert.equal(recorder.resources.length, 0);
  });
});

describe("the render of each part of the split prod mesh", function () {
  this.timeout(600_000);
  it("renders clean (exit 0), each part's own resources, with no secret in any written file", async () => {
    const { renderStack } = await import("../../cli/render");
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "lucid-split-render-"));
    try {
      for (const { stack } of splitStacks("prod", stackMesh("prod"))) {
        const outDir = path.join(root, stack);
        const result = await renderStack({ projectDir: PROJECT_DIR, stack, outDir });
        assert.equal(result.error, undefined, stack);
        assert.deepEqual(result.summary.issues, [], stack);
        assert.equal(result.exitCode, 0, stack);
        assert.ok(
          result.resources?.every((r) => r.urn.startsWith(`urn:pulumi:${stack}::`)),
          stack,
        );
        const plan = fs.readFileSync(path.join(outDir, "plan.json"), "utf8");
        assert.doesNotMatch(plan, /PRIVATE KEY/, stack);
        if (stack === "prod-east") assert.match(plan, /"consulToken": "\[secret\]"/);
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
