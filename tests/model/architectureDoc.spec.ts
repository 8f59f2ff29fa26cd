import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");

describe("docs/ARCHITECTURE.md", () => {
  it("names every top-level folder of the repository in its folder table", () => {
    const doc = readFileSync(join(ROOT, "docs", "ARCHITECTURE.md"), "utf8");
    // The folders git tracks: generated ones (out/, node_modules/) are not part of the architecture.
    const tracked = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).split("\n");
    const folders = [...new Set(tracked.filter((f) => f.includes("/")).map((f) => f.split("/")[0]!))].filter(
      (name) => !name.startsWith("."),
    );
    assert.ok(folders.includes("model"));
    assert.deepEqual(
      folders.filter((folder) => !doc.includes(`| \`${folder}/\` |`)),
      [],
    );
  });
});
