import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { volumeNames, WRITER_DONE_FILE, writerMount, writerScript } from "../../components/platform/dockerFileWriter";

/** The writer's script with its container paths moved under `root`, without the idle loop: runnable here. */
function runnable(script: string, root: string): string {
  return script
    .split("\n")
    .filter((l) => !l.startsWith("trap ") && !l.startsWith("while :"))
    .join("\n")
    .replaceAll("/lucid-out/", `${root}/out/`)
    .replaceAll(WRITER_DONE_FILE, `${root}/done`)
    .replaceAll("'/staged/", `'${root}/staged/`);
}

describe("Docker file writer (components/platform/dockerFileWriter.ts)", () => {
  const files = [
    { path: "/staged/secrets/key.pem", content: "key", mode: "0400" as const },
    { path: "/staged/secrets/certificate.yaml", content: "sds", mode: "0444" as const },
    { path: "/staged/secrets/trust-bundle.yaml", content: "bundle", mode: "0444" as const },
  ];
  const directories = [{ directory: "/staged/secrets", volume: "v", files }];
  let root: string;
  const owner = `${os.userInfo().uid}:${os.userInfo().gid}`;

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), "writer-"));
    mkdirSync(path.join(root, "staged/secrets"), { recursive: true });
    mkdirSync(path.join(root, "out/0"), { recursive: true });
    for (const f of files) writeFileSync(path.join(root, f.path), f.content);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const run = (script: string) => execFileSync("sh", ["-c", runnable(script, root)], { stdio: "pipe" });
  const target = (name: string) => path.join(root, "out/0", name);

  it("writes each file in order (the key, then the SDS file naming it), one command a line", () => {
    const script = writerScript(directories, "101:101");
    assert.match(script, /^set -eu$/m);
    assert.ok(script.indexOf("key.pem") < script.indexOf("certificate.yaml"));
    assert.ok(script.indexOf("certificate.yaml") < script.indexOf("trust-bundle.yaml"));
    assert.doesNotMatch(script, /&&/); // `set -e` ignores failures inside an && list
    assert.ok(script.indexOf(`chmod 0400 '${writerMount(0)}/.next/key.pem'`) < script.indexOf("chown 101:101"));
  });

  it("moves complete files into the volume with their modes, and marks itself done", () => {
    run(writerScript(directories, owner));
    assert.equal(readFileSync(target("trust-bundle.yaml"), "utf8"), "bundle");
    assert.equal(statSync(target("key.pem")).mode & 0o777, 0o400);
    assert.ok(existsSync(path.join(root, "done")));
  });

  it("moves only changed files: an unchanged trust bundle keeps its inode (no spurious reload)", () => {
    run(writerScript(directories, owner));
    const [bundle, sds] = [statSync(target("trust-bundle.yaml")).ino, statSync(target("certificate.yaml")).ino];
    writeFileSync(path.join(root, "staged/secrets/certificate.yaml"), "renewed sds");
    run(writerScript(directories, owner));
    assert.equal(statSync(target("trust-bundle.yaml")).ino, bundle);
    assert.notEqual(statSync(target("certificate.yaml")).ino, sds);
    assert.equal(readFileSync(target("certificate.yaml"), "utf8"), "renewed sds");
  });

  it("puts two directories sharing a volume into that one volume, side by side, and refuses a name both use", () => {
    mkdirSync(path.join(root, "staged/config"), { recursive: true });
    writeFileSync(path.join(root, "staged/config/bootstrap.yaml"), "boot");
    const config = {
      directory: "/staged/config",
      volume: "v",
      files: [{ path: "/staged/config/bootstrap.yaml", content: "boot", mode: "0444" as const }],
    };
    const shared = [config, ...directories];
    assert.deepEqual(volumeNames(shared), ["v"]);
    const script = writerScript(shared, owner);
    assert.doesNotMatch(script, /lucid-out\/1/);
    run(script);
    assert.equal(readFileSync(target("bootstrap.yaml"), "utf8"), "boot");
    assert.equal(statSync(target("key.pem")).mode & 0o777, 0o400);
    const clash = { ...config, files: [{ ...config.files[0]!, path: "/staged/config/key.pem" }] };
    assert.throws(
      () => writerScript([clash, ...directories], owner),
      /\/staged\/secrets\/key.pem and \/staged\/config\/key.pem would be one file in volume v/,
    );
    // Separate volumes keep separate mounts (the Consul server's config and TLS directories).
    assert.deepEqual(volumeNames([{ ...config, volume: "w" }, ...directories]), ["w", "v"]);
  });

  it("stops at the first failure, before the done file and before any half-written file moves in", () => {
    assert.throws(() => run(writerScript(directories, "no-such-user-here:no-such-group")));
    assert.ok(!existsSync(path.join(root, "done")));
    assert.ok(!existsSync(target("key.pem")));
  });
});
