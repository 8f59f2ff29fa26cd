/**
 * Issue 20 item 1: a render replaces only a previous render. checkOutputDir is the rule; writeArtifacts applies it
 * (the render and the child-process tests in badInputProcess.spec.ts go through the same functions).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { checkOutputDir, OutputDirError, writeArtifacts } from "../../cli/render/write";
import { tempDir, walk } from "./helpers";

const FILES = [
  { path: "plan.json", content: "{}\n", certificateMaterial: false },
  { path: "envoy/east/bootstrap.yaml", content: "a: 1\n", certificateMaterial: false },
];

describe("render output directory: only a previous render is replaced", () => {
  const root = tempDir("out-dir");
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const fresh = (): string => path.join(root, `case-${n++}`);
  const refused = (dir: string, reason: RegExp): void =>
    assert.throws(
      () => checkOutputDir(dir),
      (e: unknown) =>
        e instanceof OutputDirError && reason.test(e.message) && /Fix: pass a new or empty/.test(e.message),
    );

  it("accepts a missing directory, an empty one, and a previous render, which it replaces", () => {
    const dir = fresh();
    checkOutputDir(dir);
    fs.mkdirSync(dir);
    checkOutputDir(dir);
    writeArtifacts(dir, FILES);
    checkOutputDir(dir);
    writeArtifacts(dir, FILES.slice(0, 1));
    assert.deepEqual(walk(dir), ["manifest.json", "plan.json"]);
    assert.deepEqual(
      fs.readdirSync(root).filter((f) => f.startsWith(".")),
      [],
    );
  });

  it("refuses a directory without a manifest, and writeArtifacts leaves it as it was", () => {
    const dir = fresh();
    fs.mkdirSync(path.join(dir, ".git"), { recursive: true });
    fs.writeFileSync(path.join(dir, ".git", "HEAD"), "ref: refs/heads/main\n");
    fs.writeFileSync(path.join(dir, "README.md"), "mine\n");
    refused(dir, /it is not empty and has no readable manifest\.json, so it is not a previous render/);
    assert.throws(() => writeArtifacts(dir, FILES), OutputDirError);
    assert.deepEqual(walk(dir), [".git/HEAD", "README.md"]);
    assert.deepEqual(
      fs.readdirSync(root).filter((f) => f.startsWith(".")),
      [],
    );
  });

  it("refuses a render someone added a file to, naming the file", () => {
    const dir = fresh();
    writeArtifacts(dir, FILES);
    fs.writeFileSync(path.join(dir, "envoy", "east", "notes.txt"), "mine\n");
    refused(dir, /it holds envoy\/east\/notes\.txt, which no render wrote/);
    fs.rmSync(path.join(dir, "envoy", "east", "notes.txt"));
    fs.mkdirSync(path.join(dir, "extra"));
    refused(dir, /it holds extra\/, which no render wrote/);
  });

  it("refuses a manifest.json of another shape, a symbolic link and a regular file", () => {
    const other = fresh();
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, "manifest.json"), JSON.stringify({ name: "an extension", version: "1" }));
    refused(other, /its manifest\.json is not a render's manifest/);

    const target = fresh();
    writeArtifacts(target, FILES);
    const link = fresh();
    fs.symlinkSync(target, link);
    refused(link, /it is a symbolic link/);

    const file = fresh();
    fs.writeFileSync(file, "x");
    refused(file, /it exists and is not a directory/);
  });
});
