/**
 * The gate over plans a render wrote: clean as rendered, and failing the right rule when a plan is edited to
 * break one (an unpinned sidecar image, a listener that stops requiring client certificates). Also a malformed plan: exit 2.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { gateCommand } from "../../cli/commands/gate";
import { renderStack, type Plan, type PlanResource } from "../../cli/render";
import { captureIo, PROJECT_DIR, readJson, tempDir } from "./helpers";

describe("gate", function () {
  this.timeout(180_000);
  const root = tempDir("gate");
  let devPlan: Plan;
  let prodPlan: Plan | undefined;

  before(async () => {
    // One render at a time: the mocks are process-global.
    const dev = await renderStack({ projectDir: PROJECT_DIR, stack: "dev", outDir: path.join(root, "dev") });
    assert.equal(dev.exitCode, 0, dev.error);
    devPlan = readJson<Plan>(path.join(root, "dev", "plan.json"));
    const prod = await renderStack({ projectDir: PROJECT_DIR, stack: "prod", outDir: path.join(root, "prod") });
    assert.equal(prod.exitCode, 0, prod.error);
    prodPlan = readJson<Plan>(path.join(root, "prod", "plan.json"));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  async function gate(plan: unknown, ...flags: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const file = path.join(root, `plan-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, typeof plan === "string" ? plan : JSON.stringify(plan));
    const io = captureIo();
    const code = await gateCommand.run([file, ...flags], io);
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  }

  it("passes the unmutated dev plan under the dev config, and the prod plan under prod's", async () => {
    const dev = await gate(devPlan);
    assert.equal(dev.code, 0, dev.stdout + dev.stderr);
    assert.match(dev.stdout, /policy \(policies\/config\/dev\.json\): 0 violations, 0 mandatory/);
    const prod = await gate(prodPlan);
    assert.equal(prod.code, 0, prod.stdout + prod.stderr);
    assert.match(prod.stdout, /policy \(policies\/config\/prod\.json\): 0 violations/);
  });

  it("fails images-pinned (mandatory, exit 1) when a prod sidecar's Envoy image is v1.28-latest", async () => {
    const plan = structuredClone(prodPlan) as Plan;
    const target = plan.resources.find(
      (r) => r.type === "kubernetes:apps/v1:Deployment" && JSON.stringify(r.inputs).includes("envoyproxy/envoy"),
    );
    assert.ok(target);
    const containers = (target.inputs.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template
      .spec.containers;
    const envoy = containers.find((c) => c.image.startsWith("envoyproxy/envoy"));
    assert.ok(envoy);
    envoy.image = "envoyproxy/envoy:v1.28-latest";
    const result = await gate(plan, "--format", "json");
    assert.equal(result.code, 1);
    const doc = JSON.parse(result.stdout) as {
      report: { violations: Array<{ policy: string; level: string; urn: string; name: string }> };
    };
    assert.deepEqual(
      doc.report.violations.map((v) => [v.policy, v.level, v.urn, v.name]),
      [["lucid-workloads-images-pinned", "mandatory", target.urn, target.name]],
    );
  });

  it("fails a prod plan whose drift.json has a renewal restarting a Consul server, even one at a time (issue 21)", async () => {
    const dir = path.join(root, "prod-drift");
    fs.mkdirSync(dir);
    const file = path.join(dir, "plan.json");
    fs.writeFileSync(file, JSON.stringify(prodPlan));
    const drift = readJson<{ renewals: Array<{ kind: string; restarts: unknown[] }> }>(
      path.join(root, "prod", "drift.json"),
    );
    const gateDir = async () => {
      const io = captureIo();
      const code = await gateCommand.run([file], io);
      return { code, stdout: io.stdout() + io.stderr() };
    };
    fs.writeFileSync(path.join(dir, "drift.json"), JSON.stringify(drift));
    const clean = await gateDir();
    assert.equal(clean.code, 0, clean.stdout);
    // What the render reported before the servers reloaded their certificate: the StatefulSet rolled.
    const statefulSet = prodPlan!.resources.find(
      (r) => r.type === "kubernetes:apps/v1:StatefulSet" && r.name === "east-consul-statefulset",
    )!;
    drift.renewals
      .find((r) => r.kind === "consul-server")!
      .restarts.push({
        urn: statefulSet.urn,
        name: statefulSet.name,
        role: "consul-server",
        why: "pod template changed: a rolling restart",
        rolling: true,
      });
    fs.writeFileSync(path.join(dir, "drift.json"), JSON.stringify(drift));
    const failed = await gateDir();
    assert.equal(failed.code, 1, failed.stdout);
    assert.match(
      failed.stdout,
      /a consul-server renewal \(east-consul-server\) restarts .*east-consul-statefulset \(consul-server\): pod template changed/,
    );
  });

  it("fails mtls-required when a dev sidecar's listener (in its config writer) stops requiring client certificates", async () => {
    // (Removing the RBAC filter instead is not caught: no rule of the pack checks RBAC yet.)
    const plan = structuredClone(devPlan) as Plan;
    // On Docker the sidecar's files are uploaded to the writer that fills its volumes.
    const sidecar = plan.resources.find((r) => r.name === "east-blockchain-core-1-files") as PlanResource;
    const uploads = sidecar.inputs.uploads as Array<{ file: string; content: string }>;
    const listener = uploads.find((u) => u.file === "/etc/envoy/listener.yaml");
    assert.ok(listener && listener.content.includes("require_client_certificate: true"));
    listener.content = listener.content.replace(
      /require_client_certificate: true/g,
      "require_client_certificate: false",
    );
    // Dev's levels are advisory: the same finding is reported, but only a mandatory config fails the gate.
    const advisory = await gate(plan);
    assert.equal(advisory.code, 0);
    assert.match(
      advisory.stdout,
      /\[advisory\] lucid-envoy-mtls-required east-blockchain-core-1-files: .*require_client_certificate: true/,
    );
    const strictConfig = path.join(root, "strict.json");
    const devConfig = readJson<Record<string, Record<string, unknown>>>(
      path.join(PROJECT_DIR, "policies/config/dev.json"),
    );
    fs.writeFileSync(
      strictConfig,
      JSON.stringify(
        Object.fromEntries(Object.entries(devConfig).map(([k, v]) => [k, { ...v, enforcementLevel: "mandatory" }])),
      ),
    );
    const strict = await gate(plan, "--policy-config", strictConfig);
    assert.equal(strict.code, 1, strict.stdout);
    assert.match(strict.stdout, /lucid-envoy-mtls-required: \d+ mandatory/);
    assert.equal((await gate(devPlan, "--policy-config", strictConfig)).code, 0);
  });

  const malformed: Array<[string, unknown, RegExp]> = [
    ["not JSON", "{ resources: ", /not valid JSON/],
    [
      "a missing schemaVersion",
      { project: "lucid-mesh", stack: "dev", resources: [] },
      /schemaVersion undefined is not supported/,
    ],
    [
      "a resource without a URN",
      { schemaVersion: 1, project: "p", stack: "s", resources: [{ type: "t", name: "n", inputs: {} }] },
      /resources\[0\] has no urn/,
    ],
    [
      "a dependency on a missing resource",
      {
        schemaVersion: 1,
        project: "p",
        stack: "s",
        resources: [{ urn: "u", type: "t", name: "n", inputs: {}, dependencies: ["gone"] }],
      },
      /parent or dependency gone is not a resource of the plan/,
    ],
  ];
  for (const [name, plan, message] of malformed) {
    it(`rejects a malformed plan (${name}) with one message and exit 2`, async () => {
      const result = await gate(plan);
      assert.equal(result.code, 2);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trimEnd().split("\n").length, 1);
      assert.equal(result.stdout, "");
    });
  }

  it("needs exactly one plan", async () => {
    const io = captureIo();
    assert.equal(await gateCommand.run([], io), 2);
    assert.match(io.stderr(), /^gate: <plan\.json> is required/);
  });
});
