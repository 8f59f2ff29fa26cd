/** The split mesh's pure parts: stack names, `lucid-mesh:part` validation, and the deploy order. */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { deployPlan, factsFromOutputs, planUntil } from "../../deploy/plan";
import { checkSplitStackFiles, partStackFileText, stackMesh } from "../../model/partStackFile";
import { readStackFile } from "../../model/stackFile";
import { checkPart, parsePartConfig, splitStacks, SPLIT_OUTPUT_NAMES, type PartConfig } from "../../model/stackParts";
import { readRenderInput } from "../../cli/render/input";
import { parseMeshConfig } from "../../model";
import { PROJECT_DIR, rawMeshConfig, stackMesh as repoMesh } from "../helpers/stacks";

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected an error");
}

describe("split stacks: names and parts", () => {
  it("names the root, one stack per cluster and one per pair", () => {
    assert.deepEqual(
      splitStacks("dev", repoMesh("dev")).map((s) => s.stack),
      ["dev-root", "dev-east", "dev-west", "dev-peering-east-west"],
    );
  });

  it("reads the repo's part stack files into the shared model of Pulumi.<env>.yaml", () => {
    for (const env of ["dev", "prod"] as const) {
      for (const { stack, part } of splitStacks(env, repoMesh(env))) {
        const read = stackMesh(PROJECT_DIR, readStackFile(PROJECT_DIR, stack));
        assert.deepEqual(read.part, { mesh: env, part }, stack);
        assert.deepEqual(read.mesh, repoMesh(env), stack);
      }
      assert.doesNotThrow(() => checkSplitStackFiles(PROJECT_DIR, env, repoMesh(env)));
    }
  });

  it("refuses a malformed lucid-mesh:part with one message naming each path and its fix", () => {
    assert.match(
      errorOf(() => parsePartConfig("east")),
      /\(root\): must be a mapping\n\s+fix: write it as/,
    );
    const message = errorOf(() => parsePartConfig({ mesh: "dev", role: "cluter", clustr: "east" }));
    assert.match(message, /Invalid stack config lucid-mesh:part \(2 problems\)/);
    assert.match(message, /clustr: unknown key "clustr". Did you mean "cluster"\?/);
    assert.match(message, /role: unknown role "cluter"\n\s+fix: use one of "root", "cluster", "peering"/);
    assert.match(
      errorOf(() => parsePartConfig({ role: "root" })),
      /mesh: required\n\s+fix: name the environment/,
    );
    assert.match(
      errorOf(() => parsePartConfig({ mesh: "dev", role: "peering", clusters: ["east", "east"] })),
      /clusters: required for role peering: two different cluster names\n\s+fix: write clusters: \[east, west\]/,
    );
    assert.match(
      errorOf(() => parsePartConfig({ mesh: "dev", role: "cluster" })),
      /cluster: required for role/,
    );
  });

  it("refuses a part that names an unknown cluster, runs under another stack name, or a mesh that cannot split", () => {
    const mesh = repoMesh("dev");
    const part = (value: unknown): PartConfig => parsePartConfig(value);
    assert.match(
      errorOf(() => checkPart(part({ mesh: "dev", role: "cluster", cluster: "eats" }), mesh, "dev-eats")),
      /cluster: unknown cluster "eats" in mesh dev. Did you mean "east"\?\n\s+fix: name a cluster of Pulumi.dev.yaml: east, west/,
    );
    assert.match(
      errorOf(() => checkPart(part({ mesh: "dev", role: "cluster", cluster: "east" }), mesh, "dev-west")),
      /stack dev-west declares cluster east, which the other stacks of mesh dev reference as dev-east\n\s+fix: deploy it as stack dev-east/,
    );
    const withPrometheus = parseMeshConfig({
      ...rawMeshConfig("dev"),
      observability: { prometheus: true },
    });
    assert.match(
      errorOf(() => checkPart(part({ mesh: "dev", role: "root" }), withPrometheus, "dev-root")),
      /observability.prometheus: .*no part of a split mesh can hold it\n\s+fix: set observability.prometheus: false/,
    );
    const colliding = parseMeshConfig({
      ...rawMeshConfig("dev"),
      clusters: [
        ...(rawMeshConfig("dev").clusters as Array<Record<string, unknown>>),
        { name: "root", platform: "docker", docker: { subnet: "10.10.3.0/24" }, consul: { servers: 1 } },
      ],
    });
    assert.match(
      errorOf(() => checkPart(part({ mesh: "dev", role: "root" }), colliding, "dev-root")),
      /the split stack name dev-root would hold both the root CA and cluster root\n\s+fix: rename the cluster/,
    );
  });

  it("refuses a missing part stack file, naming it and what to write", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lucid-split-"));
    try {
      for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.dev-root.yaml", "Pulumi.dev-east.yaml"]) {
        fs.copyFileSync(path.join(PROJECT_DIR, file), path.join(dir, file));
      }
      // A part file that declares the wrong cluster.
      fs.writeFileSync(
        path.join(dir, "Pulumi.dev-east.yaml"),
        partStackFileText("dev", { role: "cluster", cluster: "west" }),
      );
      const message = errorOf(() => checkSplitStackFiles(dir, "dev", repoMesh("dev")));
      assert.match(message, /Pulumi.dev-east.yaml does not declare cluster east of mesh dev. Fix: write it as/);
      assert.match(
        message,
        /Pulumi.dev-west.yaml is missing. Fix: write it as\n\s+config:\n\s+lucid-mesh:part:\n\s+mesh: dev\n\s+role: cluster\n\s+cluster: west/,
      );
      assert.match(message, /Pulumi.dev-peering-east-west.yaml is missing/);
      assert.doesNotMatch(message, /dev-root/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("makes the render refuse a bad part file as bad input, naming the file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lucid-split-"));
    try {
      const file = path.join(dir, "part.yaml");
      fs.writeFileSync(file, "config:\n  lucid-mesh:part:\n    mesh: dev\n    role: cluster\n    cluster: nowhere\n");
      const message = errorOf(() =>
        readRenderInput({
          projectDir: PROJECT_DIR,
          stack: "dev-nowhere",
          configFile: file,
          outDir: path.join(dir, "out"),
        }),
      );
      assert.match(message, new RegExp(`Invalid stack config lucid-mesh:part in ${file.replace(/[.]/g, "\\.")}`));
      assert.match(message, /cluster: unknown cluster "nowhere" in mesh dev/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("split stacks: the deploy plan", () => {
  const mesh = repoMesh("prod");

  it("on a first deploy: the clusters ask for a signature, the root signs, then the clusters and the peering", () => {
    const plan = deployPlan("prod", mesh);
    assert.deepEqual(
      plan.map((p) => [p.name, p.steps.map((s) => s.stack)]),
      [
        ["request", ["prod-east", "prod-west"]],
        ["sign", ["prod-root"]],
        ["clusters", ["prod-east", "prod-west"]],
        ["peerings", ["prod-peering-east-west"]],
      ],
    );
  });

  it("asks only the clusters without a CSR (a new cluster) to request one; none once every cluster has one", () => {
    const outputs = new Map<string, Record<string, unknown> | undefined>([
      ["east", { [SPLIT_OUTPUT_NAMES.intermediateCsrPem]: "-----BEGIN CERTIFICATE REQUEST-----" }],
      ["west", undefined],
    ]);
    const facts = factsFromOutputs(outputs, SPLIT_OUTPUT_NAMES.intermediateCsrPem);
    assert.deepEqual(
      deployPlan("prod", mesh, facts)[0]!.steps.map((s) => s.stack),
      ["prod-west"],
    );
    outputs.set("west", { [SPLIT_OUTPUT_NAMES.intermediateCsrPem]: "-----BEGIN CERTIFICATE REQUEST-----" });
    const steady = deployPlan("prod", mesh, factsFromOutputs(outputs, SPLIT_OUTPUT_NAMES.intermediateCsrPem));
    assert.deepEqual(
      steady.map((p) => p.name),
      ["sign", "clusters", "peerings"],
    );
  });

  it("cuts the plan after the last run of a stack, and refuses a stack it does not have", () => {
    const plan = deployPlan("prod", mesh);
    assert.deepEqual(
      planUntil(plan, "prod-root").map((p) => p.name),
      ["request", "sign"],
    );
    assert.deepEqual(
      planUntil(plan, "prod-east").map((p) => p.name),
      ["request", "sign", "clusters"],
    );
    assert.throws(() => planUntil(plan, "prod-north"), /stack prod-north is not part of the plan/);
  });
});
