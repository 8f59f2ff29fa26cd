import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");

describe("docs/ARCHITECTURE.md", () => {
  it("names every top-level folder of the repository in its folder table", () => {
    const doc = readFileSync(join(ROOT, "docs", "ARCHITECTURE.md"), "utf8");
    const folders = readdirSync(ROOT, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith(".") && e.name !== "node_modules")
      .map((e) => e.name);
    assert.ok(folders.includes("model"));
    assert.deepEqual(
      folders.filter((folder) => !doc.includes(`| \`${folder}/\` |`)),
      [],
    );
  });
});
