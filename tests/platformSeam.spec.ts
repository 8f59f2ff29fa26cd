/**
 * Issue 23 §1: nothing outside components/platform/ asks which platform a cluster is on. The model declares,
 * validates and resolves the union (so it may look), and each cluster's address plan (MeshCluster.addresses) answers
 * what the generators need to know; everything else reads that or goes through components/platform/.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR } from "./helpers/stacks";

/** Where asking is the point. */
const SEAM = ["components/platform/", "model/schema.ts", "model/validate.ts", "model/mesh.ts", "model/wan.ts"];

/** Files that branch on a platform that is not a cluster's, with why. Keep it tiny. */
const ALLOWED: Readonly<Record<string, string>> = {
  "bench/syntheticMesh.ts": "writes a synthetic stack config for the platform the bench was asked for",
  "bench/run.ts": "parses the bench's --platform flag",
};

/** Not source: dependencies and tests (which assert platform specifics on purpose). */
const SKIPPED_DIRECTORIES = new Set(["node_modules", "tests", ".git"]);

const PLATFORM_BRANCHES: ReadonlyArray<{ readonly name: string; readonly pattern: RegExp }> = [
  { name: "platform comparison", pattern: /\bplatform\s*[!=]==/ },
  { name: "optional docker settings", pattern: /\.docker\?/ },
  { name: "optional kubernetes settings", pattern: /\.kubernetes\?/ },
  { name: "comparison with a platform name", pattern: /[!=]==\s*"(docker|kubernetes)"|"(docker|kubernetes)"\s*[!=]==/ },
  { name: "switch on a platform name", pattern: /\bcase\s+"(docker|kubernetes)"\s*:/ },
  {
    name: "truthiness test of a settings block",
    pattern: /\bif\s*\(\s*!?[\w.]+\.(docker|kubernetes)\s*\)|[\w.]+\.(docker|kubernetes)\s*(&&|\|\||\?(?![.?]))/,
  },
];

/** Each platform branch in one file's text, as `file:line: what`. */
export function platformBranches(file: string, text: string): string[] {
  return text
    .split("\n")
    .flatMap((line, i) =>
      PLATFORM_BRANCHES.filter((b) => b.pattern.test(line)).map((b) => `${file}:${i + 1}: ${b.name}: ${line.trim()}`),
    );
}

function sourceFiles(dir: string, relative = ""): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const rel = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory())
      return SKIPPED_DIRECTORIES.has(entry.name) ? [] : sourceFiles(path.join(dir, entry.name), rel);
    return /\.(ts|mts|cts)$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [rel] : [];
  });
}

describe("the platform seam (issue 23)", () => {
  const files = sourceFiles(PROJECT_DIR);

  it("finds the source tree", () => {
    assert.ok(files.includes("components/serviceMesh.ts"));
    assert.ok(files.includes("components/platform/clusterPlatform.ts"));
    assert.ok(files.length > 100, `only ${files.length} files`);
  });

  it("has no platform branch outside components/platform/ and the model's union", () => {
    const outside = files.filter((f) => !SEAM.some((s) => f.startsWith(s)) && ALLOWED[f] === undefined);
    const found = outside.flatMap((f) => platformBranches(f, fs.readFileSync(path.join(PROJECT_DIR, f), "utf8")));
    assert.deepEqual(found, []);
  });

  it("negative: spots each kind of branch the union was made to remove", () => {
    const samples = [
      'if (cluster.platform === "docker") {}',
      "const ns = cluster.kubernetes?.namespace;",
      "const host = cluster.docker?.host;",
      'return kind !== "kubernetes";',
      'case "docker":',
      "if (cluster.kubernetes) return [];",
      "const token = cluster.kubernetes ? uuid() : undefined;",
      "const fixed = cluster.docker && self !== undefined;",
    ];
    for (const sample of samples) assert.ok(platformBranches("x.ts", sample).length > 0, sample);
    assert.deepEqual(platformBranches("x.ts", "const plan = cluster.addresses.consulApiHost;"), []);
  });

  it("keeps the allowlist honest: each allowed file still branches", () => {
    for (const file of Object.keys(ALLOWED)) {
      const text = fs.readFileSync(path.join(PROJECT_DIR, file), "utf8");
      assert.ok(platformBranches(file, text).length > 0, `${file} no longer needs its place on the allowlist`);
    }
  });
});
