import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { projectNodeArgs, splitNodeArgs } from "../../bench/projectNodeArgs";

/** Whether this node starts with `args` before a program, as the language host starts the program. */
function nodeStarts(args: readonly string[]): { ok: boolean; stderr: string } {
  const run = spawnSync(process.execPath, [...args, "-e", "0"], { encoding: "utf8" });
  return { ok: run.status === 0, stderr: run.stderr };
}

describe("Pulumi.yaml's nodeargs (how `pulumi up` starts the program)", () => {
  it("bounds V8's heap growth, and this node accepts the arguments", () => {
    const args = projectNodeArgs();
    assert.ok(
      args.some((a) => /^--heap-growing-percent=\d+$/.test(a)),
      args.join(" "),
    );
    assert.ok(!args.some((a) => a.startsWith("--max-old-space-size")), "no heap limit: a big mesh must not run out");
    const started = nodeStarts(args);
    assert.ok(started.ok, started.stderr);
  });

  it("would be caught if node refused them: an unknown V8 flag stops node before the program", () => {
    const started = nodeStarts(["--heap-growing-percentage=25"]);
    assert.equal(started.ok, false);
    assert.match(started.stderr, /bad option/);
  });

  it("splits words as shlex does, and refuses quoting rather than half-parse it", () => {
    assert.deepEqual(splitNodeArgs("  --a=1\t--b "), ["--a=1", "--b"]);
    assert.throws(() => splitNodeArgs(`--title "a b"`), /quoting is not supported/);
  });
});
