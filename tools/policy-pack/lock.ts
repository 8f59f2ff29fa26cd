/**
 * `npm run policies:lock`: writes `policies/npm-shrinkwrap.json`, the policy pack's own lockfile, with the versions
 * the repo's package-lock.json already pins.
 *
 * A published pack is installed with `npm install` in its unpacked folder (pulumi/pulumi
 * pkg/backend/httpstate/policypack.go `installRequiredPolicy`, sdk/nodejs/npm/npm.go `Install`). `npm pack` ships a
 * shrinkwrap but never a package-lock.json, so the shrinkwrap is what makes that install run the versions the repo
 * tests. Starting from the repo's lockfile, npm keeps every locked version that satisfies the pack's ranges and
 * prunes the rest, so this needs no registry.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly license?: string;
  readonly dependencies: Record<string, string>;
}

interface Lockfile {
  name: string;
  version: string;
  packages: Record<string, { version?: string; dependencies?: Record<string, string> } & Record<string, unknown>>;
}

function main(): void {
  const root = resolve(__dirname, "..", "..");
  const manifest = JSON.parse(readFileSync(join(root, "policies", "package.json"), "utf8")) as Manifest;
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as Lockfile;
  const work = mkdtempSync(join(tmpdir(), "lucid-mesh-pack-lock-"));
  try {
    lock.name = manifest.name;
    lock.version = manifest.version;
    lock.packages[""] = {
      name: manifest.name,
      version: manifest.version,
      ...(manifest.license ? { license: manifest.license } : {}),
      dependencies: manifest.dependencies,
    };
    copyFileSync(join(root, "policies", "package.json"), join(work, "package.json"));
    writeFileSync(join(work, "package-lock.json"), JSON.stringify(lock, null, 2) + "\n");
    execFileSync(
      "npm",
      ["install", "--package-lock-only", "--offline", "--no-audit", "--no-fund", "--loglevel=error"],
      {
        cwd: work,
        stdio: "inherit",
      },
    );
    copyFileSync(join(work, "package-lock.json"), join(root, "policies", "npm-shrinkwrap.json"));
    console.log("policies/npm-shrinkwrap.json");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
