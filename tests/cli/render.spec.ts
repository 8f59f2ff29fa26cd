/**
 * The render over the repo's dev and prod stacks, called in-process (renderStack). Renders run one at a time in
 * before(): Pulumi's mocks are process-global.
 */
import { isForbiddenRestart, type RenewalReport } from "../../simulate/renewal";
import { YAML_ANCHOR_OR_ALIAS } from "../helpers/yaml";
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { load } from "js-yaml";
import { envoyFileSets } from "../../artifacts/envoy";
import { validateKubernetesResource } from "../../artifacts/kubernetes";
import { sidecarFiles } from "../../envoy";
import { envoyFiles } from "../../model/names";
import { instancesOf, findService } from "../../model/mesh";
import { renderStack, type Manifest, type Plan, type PolicyReport, type RenderResult } from "../../cli/render";
import { envoySetDirectories } from "../../cli/render/artifacts";
import { REDACTED_SECRET, type RecordedResource } from "../../simulate/recorder";
import { stackMesh } from "../helpers/stacks";
import { PROJECT_DIR, readJson, tempDir, walk } from "./helpers";

interface Rendered {
  readonly result: RenderResult;
  readonly dir: string;
}

async function render(stack: string, dir: string): Promise<Rendered> {
  const result = await renderStack({ projectDir: PROJECT_DIR, stack, outDir: dir });
  assert.equal(result.error, undefined);
  return { result, dir };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function stringLeaves(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") {
    out.push(value);
    try {
      const parsed: unknown = JSON.parse(value);
      if (typeof parsed === "object") stringLeaves(parsed, out);
    } catch {
      // not JSON
    }
  } else if (Array.isArray(value)) value.forEach((v) => stringLeaves(v, out));
  else if (isRecord(value)) Object.values(value).forEach((v) => stringLeaves(v, out));
  return out;
}

/**
 * Every secret value the simulation produced: the values of secret inputs (for a labelled Docker container, the
 * contents of exactly its labelled files) and the strings inside them. Certificates are public and excluded.
 */
function secretValues(resources: readonly RecordedResource[]): Set<string> {
  const found = new Set<string>();
  for (const r of resources) {
    for (const key of r.secretInputs) {
      let value = r.inputs[key];
      if (r.type === "docker:index/container:Container" && key === "uploads") {
        const labels = (r.inputs.labels ?? []) as Array<{ label: string; value: string }>;
        const listed = labels.find((l) => l.label === "lucid.mesh/secret-files")?.value.split(",") ?? [];
        value = (value as Array<{ file: string; content?: string }>)
          .filter((u) => listed.includes(u.file))
          .map((u) => u.content);
      }
      for (const s of stringLeaves(value)) {
        const publicCertificate = s.includes("BEGIN CERTIFICATE") && !s.includes("PRIVATE KEY");
        const publicSds = s.startsWith("resources:") && !s.includes("PRIVATE KEY");
        if (s.length >= 8 && s !== REDACTED_SECRET && !publicCertificate && !publicSds) found.add(s);
      }
    }
  }
  return found;
}

describe("render (renderStack over the repo's stacks)", function () {
  this.timeout(180_000);
  const root = tempDir("render");
  let dev: Rendered;
  let devAgain: Rendered;
  let prod: Rendered;

  before(async () => {
    dev = await render("dev", path.join(root, "dev"));
    devAgain = await render("dev", path.join(root, "dev-again"));
    prod = await render("prod", path.join(root, "prod"));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it("exits 0 for dev and prod, with a complete summary", () => {
    for (const { result } of [dev, prod]) {
      assert.equal(result.exitCode, 0, JSON.stringify(result.summary.issues));
      const s = result.summary;
      assert.ok(s.resources.total > 100);
      assert.equal(
        Object.values(s.resources.byType).reduce((a, b) => a + b, 0),
        s.resources.total,
      );
      assert.ok(s.envoy.configSets > 0 && s.envoy.files > 0);
      assert.equal(s.envoy.errors, 0);
      for (const phase of ["simulate", "write", "validate", "policy"] as const) assert.ok(s.timingsMs[phase] >= 0);
    }
    assert.equal(dev.result.summary.kubernetes.objects, 0);
    assert.ok(prod.result.summary.kubernetes.objects > 50);
  });

  it("writes plan.json sorted by URN, with a schema version and a sidecar's listener YAML", () => {
    const plan = readJson<Plan>(path.join(dev.dir, "plan.json"));
    assert.equal(plan.schemaVersion, 1);
    assert.equal(plan.project, "lucid-mesh");
    assert.equal(plan.stack, "dev");
    const urns = plan.resources.map((r) => r.urn);
    assert.deepEqual(urns, [...urns].sort());
    for (const r of plan.resources) {
      assert.deepEqual(
        Object.keys(r)
          .filter((k) => !["parent", "provider", "protect", "registeredOfType"].includes(k))
          .sort(),
        ["custom", "dependencies", "inputs", "name", "type", "urn"],
      );
    }
    // Containers that take a dynamic address carry their registration order (the order dockerd's IPAM gives
    // addresses in); nothing else does.
    const ordered = plan.resources.filter((r) => r.registeredOfType !== undefined);
    assert.ok(ordered.length > 0);
    assert.ok(ordered.every((r) => r.type === "docker:index/container:Container"));
    assert.deepEqual(
      ordered.map((r) => r.registeredOfType).sort((a, b) => a! - b!),
      ordered.map((_, i) => i),
    );
    // The sidecar's files are uploaded to the writer that fills its volumes.
    const sidecar = plan.resources.find((r) => r.name === "east-api-gateway-1-files");
    assert.ok(sidecar);
    const uploads = sidecar.inputs.uploads as Array<{ file: string; content: string }>;
    const listener = uploads.find((u) => u.file === `${envoyFiles.directory}/${envoyFiles.listeners}`);
    assert.ok(listener && listener.content.includes("envoy.config.listener.v3.Listener"));
    assert.equal(uploads.find((u) => u.file.endsWith("/key.pem"))?.content, REDACTED_SECRET);
  });

  it("writes each Envoy file as uploaded, without the private key, and lists what it left out", () => {
    const resources = dev.result.resources ?? [];
    const sets = envoyFileSets(resources);
    const directories = envoySetDirectories(sets);
    const manifest = readJson<Manifest>(path.join(dev.dir, "manifest.json"));
    sets.forEach((set, i) => {
      for (const [inside, content] of Object.entries(set.files)) {
        const written = path.join(dev.dir, directories[i]!, inside.replace(/^\/etc\//, ""));
        if (inside.endsWith("/key.pem")) {
          assert.ok(!fs.existsSync(written), `${written} must not be written`);
          assert.ok(manifest.omitted.some((o) => written.endsWith(o.path)));
        } else {
          assert.equal(fs.readFileSync(written, "utf8"), content, written);
        }
      }
    });
    // And they are the generator's own output for that sidecar.
    const mesh = stackMesh("dev");
    const instance = instancesOf(mesh, findService(mesh, "api-gateway"))[0]!;
    for (const [name, content] of Object.entries(sidecarFiles(mesh, instance))) {
      assert.equal(fs.readFileSync(path.join(dev.dir, "envoy/east/api-gateway/envoy", name), "utf8"), content, name);
    }
  });

  it("writes Kubernetes manifests per cluster that parse, validate, and redact Secret values", () => {
    const files = walk(prod.dir).filter((f) => f.startsWith("kubernetes/"));
    assert.deepEqual([...new Set(files.map((f) => f.split("/")[1]))], ["east", "west"]);
    assert.equal(files.length, prod.result.summary.kubernetes.objects);
    for (const file of files) {
      const manifest = load(fs.readFileSync(path.join(prod.dir, file), "utf8")) as Record<string, unknown>;
      const { apiVersion, kind, ...inputs } = manifest;
      const group = String(apiVersion).includes("/") ? String(apiVersion) : `core/${String(apiVersion)}`;
      const type = `kubernetes:${group}:${String(kind)}${file.includes("/deployment-patch-") ? "Patch" : ""}`;
      assert.deepEqual(validateKubernetesResource(type, inputs), [], file);
      if (kind === "Secret") {
        for (const value of Object.values({ ...(inputs.stringData as object), ...(inputs.data as object) })) {
          assert.ok(
            String(value).includes(REDACTED_SECRET) && !String(value).includes("BEGIN"),
            `${file}: ${String(value)}`,
          );
        }
      }
    }
  });

  it("writes Consul registrations, config entries (with the default-deny intention) and server.json only", () => {
    for (const { dir } of [dev, prod]) {
      const files = walk(dir).filter((f) => f.startsWith("consul/"));
      for (const cluster of ["east", "west"]) {
        const intention = readJson<{ Sources: Array<{ Name: string; Action: string }> }>(
          path.join(dir, `consul/${cluster}/config-entries/service-intentions/_all.json`),
        );
        assert.deepEqual(
          intention.Sources.map((s) => [s.Name, s.Action]),
          [["*", "deny"]],
        );
        assert.ok(files.some((f) => f.startsWith(`consul/${cluster}/services/`)));
        assert.ok(files.some((f) => f.startsWith(`consul/${cluster}/nodes/`)));
        assert.ok(files.some((f) => f.startsWith(`consul/${cluster}/agent/`) && f.endsWith("/server.json")));
      }
      assert.ok(!files.some((f) => f.endsWith("secrets.json")));
    }
  });

  it("writes public certificates only under pki/", () => {
    const files = walk(prod.dir).filter((f) => f.startsWith("pki/"));
    assert.ok(files.includes("pki/root/lucid-root.pem"));
    assert.ok(files.some((f) => f.startsWith("pki/intermediates/")));
    assert.ok(files.some((f) => f.startsWith("pki/leaves/")));
    for (const f of files) {
      const text = fs.readFileSync(path.join(prod.dir, f), "utf8");
      assert.match(text, /^-----BEGIN CERTIFICATE-----/);
      assert.ok(!text.includes("PRIVATE KEY"), f);
    }
  });

  it("writes observability files and a topology with both clusters and the gateways", () => {
    assert.ok(fs.existsSync(path.join(dev.dir, "observability/prometheus.yml")));
    assert.ok(fs.existsSync(path.join(dev.dir, "observability/alerts.yml")));
    assert.ok(fs.existsSync(path.join(prod.dir, "observability/east/prometheus.yml")));
    const topology = fs.readFileSync(path.join(dev.dir, "topology.mmd"), "utf8");
    assert.match(topology, /^flowchart LR\n/);
    assert.match(topology, /subgraph east__cluster\[/);
    assert.match(topology, /subgraph west__cluster\[/);
    assert.match(topology, /east__api_gateway --> east__blockchain_core/);
    assert.match(topology, /east__api_gateway -\. "failover via gateways" \.-> west__blockchain_core/);
    assert.match(topology, /east__mesh_gateway <-\. "peering" \.-> west__mesh_gateway/);
  });

  it("reports a clean policy run for dev and prod", () => {
    for (const { dir } of [dev, prod]) {
      const report = readJson<PolicyReport>(path.join(dir, "policy-report.json"));
      assert.equal(report.total, 0, JSON.stringify(report.violations, null, 2));
      assert.deepEqual(report.violations, []);
    }
    assert.equal(
      readJson<PolicyReport>(path.join(prod.dir, "policy-report.json")).policyConfig,
      "policies/config/prod.json",
    );
  });

  it("lists every file in the manifest with its hash, flagging certificate material", () => {
    const manifest = readJson<Manifest>(path.join(dev.dir, "manifest.json"));
    assert.deepEqual(
      manifest.files.map((f) => f.path),
      walk(dev.dir).filter((f) => f !== "manifest.json"),
    );
    const flagged = new Set(manifest.files.filter((f) => f.certificateMaterial).map((f) => f.path));
    for (const f of ["plan.json", "pki/root/lucid-root.pem", "envoy/east/api-gateway/envoy-secrets/certificate.yaml"]) {
      assert.ok(flagged.has(f), f);
    }
    assert.ok(!flagged.has("envoy/east/api-gateway/envoy/listener.yaml"));
    assert.ok(!flagged.has("topology.mmd"));
  });

  it("is deterministic: two renders are byte-identical except certificate material", () => {
    const a = readJson<Manifest>(path.join(dev.dir, "manifest.json"));
    const b = readJson<Manifest>(path.join(devAgain.dir, "manifest.json"));
    assert.deepEqual(
      b.files.map((f) => f.path),
      a.files.map((f) => f.path),
    );
    assert.deepEqual(b.omitted, a.omitted);
    let compared = 0;
    a.files.forEach((fa, i) => {
      const fb = b.files[i]!;
      assert.equal(fb.certificateMaterial, fa.certificateMaterial, fa.path);
      if (fa.certificateMaterial) {
        // Fresh keys every run; with the PEMs masked the files still agree.
        assert.equal(fb.sha256WithoutCertificates, fa.sha256WithoutCertificates, fa.path);
      } else {
        assert.ok(
          fs.readFileSync(path.join(dev.dir, fa.path)).equals(fs.readFileSync(path.join(devAgain.dir, fa.path))),
          fa.path,
        );
        compared++;
      }
    });
    assert.ok(compared > 50);
  });

  it("writes plain YAML: no anchor or alias in any file, nor in the Envoy YAML inside ConfigMaps", () => {
    for (const { dir } of [dev, prod]) {
      const yamlFiles = walk(dir).filter((f) => f.endsWith(".yaml"));
      assert.ok(yamlFiles.length > 30);
      for (const file of yamlFiles)
        assert.doesNotMatch(fs.readFileSync(path.join(dir, file), "utf8"), YAML_ANCHOR_OR_ALIAS, file);
    }
  });

  it("simulates a quiet second up and four renewals, and writes them to drift.json", () => {
    for (const { dir, result } of [dev, prod]) {
      const drift = readJson<{ secondUp: unknown[]; renewals: { kind: string }[] }>(path.join(dir, "drift.json"));
      assert.deepEqual(drift.secondUp, []);
      assert.deepEqual(
        drift.renewals.map((r) => r.kind),
        ["leaf", "consul-server", "intermediate", "root"],
      );
      assert.deepEqual(result.summary.secondUp, { updates: 0, replacements: 0 });
      const traffic = result.summary.traffic!;
      assert.ok(traffic.withUpstream > 0 && traffic.reachable === traffic.withUpstream, JSON.stringify(traffic));
      assert.equal(traffic.violations, 0);
      const leaf = result.summary.renewals.find((r) => r.kind === "leaf")!;
      assert.equal(leaf.envoyOrConsulRestarts, 0, "a leaf renewal restarts no Envoy and no Consul server");
      assert.equal(leaf.restarts, 0, "a leaf renewal restarts no container or pod: only file writers re-run");
      for (const r of drift.renewals as RenewalReport[])
        assert.deepEqual(
          r.restarts.filter((x) => isForbiddenRestart(r.kind, x)),
          [],
          `${r.kind} renewal`,
        );
    }
  });

  it("prod: a Consul server certificate renewal updates the TLS Secret and restarts no Consul server (issue 21)", () => {
    const drift = readJson<{ renewals: RenewalReport[] }>(path.join(prod.dir, "drift.json"));
    const server = drift.renewals.find((r) => r.kind === "consul-server")!;
    assert.ok(server.updated.includes("Secret east-consul-tls"), server.updated.join(", "));
    assert.deepEqual(server.restarts, []);
    // ... and the servers do take the new certificate: none is left serving the old one.
    for (const r of drift.renewals) assert.deepEqual(r.stale, [], r.kind);
    assert.equal(prod.result.summary.renewals.find((r) => r.kind === "consul-server")!.envoyOrConsulRestarts, 0);
    for (const r of drift.renewals)
      assert.deepEqual(
        r.restarts.filter((x) => x.role === "consul-server"),
        [],
        r.kind,
      );
  });

  it("protects what a destroy must not lose: the root CA key and Consul's data (issue 21)", () => {
    const devPlan = readJson<Plan>(path.join(dev.dir, "plan.json"));
    assert.deepEqual(
      devPlan.resources
        .filter((r) => r.protect)
        .map((r) => `${r.type.split(":").pop()} ${r.name}`)
        .sort(),
      ["PrivateKey lucid-root-key", "Volume east-consul-data-0", "Volume west-consul-data-0"],
    );
    const prodPlan = readJson<Plan>(path.join(prod.dir, "plan.json"));
    assert.deepEqual(
      prodPlan.resources.filter((r) => r.protect).map((r) => r.name),
      ["lucid-root-key"],
    );
    // On Kubernetes the data lives in the StatefulSet's claims, which it keeps when deleted or scaled down.
    for (const r of prodPlan.resources.filter((x) => x.type === "kubernetes:apps/v1:StatefulSet"))
      assert.deepEqual(
        (r.inputs.spec as { persistentVolumeClaimRetentionPolicy?: unknown }).persistentVolumeClaimRetentionPolicy,
        {
          whenDeleted: "Retain",
          whenScaled: "Retain",
        },
      );
  });

  it("never writes a secret: no private key, token or gossip key anywhere in the output", () => {
    for (const { dir, result } of [dev, prod]) {
      const secrets = secretValues(result.resources ?? []);
      assert.ok(secrets.size > 10, `found ${secrets.size} secrets to look for`);
      for (const file of walk(dir)) {
        const text = fs.readFileSync(path.join(dir, file), "utf8");
        assert.ok(!text.includes("PRIVATE KEY"), `${file} holds a private key`);
        for (const secret of secrets)
          assert.ok(!text.includes(secret), `${file} holds a secret (${secret.slice(0, 12)}…)`);
      }
    }
  });
});
