import { strict as assert } from "node:assert";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import * as ts from "typescript";
import { vendoredHeader, vendoredModelFiles, writtenVendoredFiles } from "../../tools/policy-pack/vendor";

const ROOT = resolve(__dirname, "..", "..");
const PACK = join(ROOT, "policies");

interface PackManifest {
  readonly files: readonly string[];
  readonly dependencies: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(join(PACK, "package.json"), "utf8")) as PackManifest;

/** The TypeScript that `npm pack` ships from policies/: every `files` entry, folders walked. */
function packSources(): string[] {
  const out: string[] = [];
  const visit = (path: string): void => {
    if (statSync(join(PACK, path)).isDirectory()) {
      for (const entry of readdirSync(join(PACK, path))) visit(join(path, entry));
    } else if (path.endsWith(".ts")) {
      out.push(path);
    }
  };
  manifest.files.forEach(visit);
  return out.sort();
}

describe("policy pack: stands alone", () => {
  it("ships the entry point, the rules and the vendored model, never the tests", () => {
    const shipped = packSources();
    for (const file of ["index.ts", "rules/index.ts", "vendor/model/names.ts"]) assert.ok(shipped.includes(file), file);
    assert.deepEqual(
      shipped.filter((f) => f.startsWith("tests")),
      [],
    );
  });

  it("imports nothing outside policies/ but its declared dependencies and Node's own modules", () => {
    const problems: string[] = [];
    for (const file of packSources()) {
      const text = readFileSync(join(PACK, file), "utf8");
      for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
        if (fileName.startsWith(".")) {
          const target = relative(PACK, resolve(PACK, dirname(file), fileName));
          if (target.startsWith("..")) problems.push(`${file} imports ${fileName}, outside the pack`);
          continue;
        }
        const name = fileName.startsWith("@") ? fileName.split("/").slice(0, 2).join("/") : fileName.split("/")[0]!;
        const builtin = builtinModules.includes(name.replace(/^node:/, ""));
        if (!builtin && !(name in manifest.dependencies)) {
          problems.push(`${file} imports ${fileName}, not a dependency in policies/package.json`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it("vendors the model verbatim: each copy is its source below the generated header", () => {
    const expected = vendoredModelFiles(ROOT);
    const written = writtenVendoredFiles(ROOT);
    assert.deepEqual(
      [...written.keys()],
      [...expected.keys()],
      "policies/vendor/ is out of date: run `npm run policies:vendor`",
    );
    for (const [file, text] of expected) {
      assert.equal(written.get(file), text, `policies/vendor/${file} differs: run \`npm run policies:vendor\``);
      assert.equal(text, vendoredHeader(file) + readFileSync(join(ROOT, file), "utf8"));
    }
  });

  it("locks the versions the repo locks (npm-shrinkwrap.json), so a published pack runs what the repo tests", () => {
    interface Lock {
      readonly packages: Record<
        string,
        { version?: string; integrity?: string; dependencies?: Record<string, string> }
      >;
    }
    const read = (file: string): Lock => JSON.parse(readFileSync(file, "utf8")) as Lock;
    const shrinkwrap = read(join(PACK, "npm-shrinkwrap.json"));
    const repo = read(join(ROOT, "package-lock.json"));
    assert.deepEqual(
      shrinkwrap.packages[""]?.dependencies,
      manifest.dependencies,
      "policies/npm-shrinkwrap.json is stale: run `npm run policies:lock`",
    );
    const locked = new Set(Object.values(repo.packages).map((p) => `${p.version}\u0000${p.integrity}`));
    const name = (key: string): string => key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
    const differing = Object.entries(shrinkwrap.packages)
      .filter(([key, p]) => key !== "" && !locked.has(`${p.version}\u0000${p.integrity}`))
      .map(([key, p]) => `${name(key)}@${p.version}`);
    assert.deepEqual(differing, [], "not the repo's locked versions: run `npm run policies:lock`");
    assert.ok(Object.keys(shrinkwrap.packages).includes("node_modules/typescript"));
  });
});
