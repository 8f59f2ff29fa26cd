import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
/** Not ours to describe: installed packages, git's own folder, render output and scratch space. */
const IGNORED = new Set(["node_modules", ".git", "out", "scratch", ".pulumi-state"]);
/** Folders whose subfolders are data or one per area, described as a whole. */
const DESCRIBED_AS_A_WHOLE = new Set(["tests", "docs", ".ci"]);

function folders(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true })
    .filter((e) => e.isDirectory() && !IGNORED.has(e.name) && !e.name.startsWith(".mesh-render-"))
    .map((e) => (dir === "" ? e.name : `${dir}/${e.name}`));
}

// Issue 23 §6: docs/ARCHITECTURE.md names every folder, so a new one comes with its line.
describe("docs/ARCHITECTURE.md names every folder", () => {
  const text = readFileSync(path.join(ROOT, "docs", "ARCHITECTURE.md"), "utf8");
  const named = (folder: string): boolean =>
    text.includes(`\`${folder}/\``) || text.includes(`\`${path.posix.basename(folder)}/\``);

  it("every top-level folder and every folder one level below a source folder", () => {
    const top = folders("");
    const second = top.filter((f) => !DESCRIBED_AS_A_WHOLE.has(f)).flatMap((f) => folders(f));
    assert.deepEqual(
      [...top, ...second].filter((f) => !named(f)),
      [],
    );
  });
});
