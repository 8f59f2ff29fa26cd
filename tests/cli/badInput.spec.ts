/**
 * Bad input: one clear message on stderr, exit 2, and nothing written (a previous render stays intact). Most
 * cases go through the command's run() with captured output; one goes through a real child process to prove no
 * stack trace reaches the user.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderCommand, renderFlags } from "../../cli/commands/render";
import { parseFlags, UsageError } from "../../cli/commands/command";
import { captureIo, PROJECT_DIR, tempDir, walk } from "./helpers";

const DEV_STACK = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8");

function assertOneMessage(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split("\n");
  assert.match(stderr, pattern);
  assert.ok(!/\n\s+at /.test(stderr), `stack trace in: ${stderr}`);
  // MeshConfigError lists its problems on indented lines; everything else is one line.
  assert.ok(
    lines.slice(1).every((l) => l.startsWith("  ")),
    `more than one message: ${stderr}`,
  );
}

describe("render: bad input", function () {
  this.timeout(180_000);
  const root = tempDir("bad-input");
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  function leftBehind(): string[] {
    return fs.readdirSync(root).filter((f) => f.startsWith(".") || f === "out");
  }

  const cases: Array<{ name: string; args: () => string[]; message: RegExp }> = [
    {
      name: "malformed YAML",
      args: () => {
        const file = path.join(root, "malformed.yaml");
        fs.writeFileSync(file, "config:\n  lucid-mesh:mesh:\n    environment: dev\n   clusters: [\n");
        return ["--stack", "dev", "--config", file];
      },
      message: /malformed\.yaml: malformed YAML at line \d+: .*Fix: correct the YAML syntax/,
    },
    {
      name: "a config that breaks the schema",
      args: () => {
        const file = path.join(root, "schema.yaml");
        fs.writeFileSync(file, DEV_STACK.replace("port: 8080", "port: eighty"));
        return ["--stack", "dev", "--config", file];
      },
      message: /^Invalid stack config lucid-mesh:mesh \(1 problem\):\n {2}- services\[0\]\.port: /,
    },
    {
      name: "an unknown stack",
      args: () => ["--stack", "qa"],
      message:
        /^unknown stack "qa": .*Pulumi\.qa\.yaml does not exist\. Fix: use one of dev, dev-east, dev-peering-east-west, dev-root, dev-west, prod, prod-east, /,
    },
    {
      name: "an output directory under a regular file",
      args: () => {
        const file = path.join(root, "a-file");
        fs.writeFileSync(file, "");
        return ["--stack", "dev", "--out", path.join(file, "out")];
      },
      message: /^cannot write output directory .*a-file\/out \(ENOTDIR/,
    },
    {
      name: "a bad --format",
      args: () => ["--stack", "dev", "--format", "xml"],
      message: /^render: --format must be one of text, json, markdown \(got "xml"\)/,
    },
    {
      name: "a missing --stack",
      args: () => ["--format", "json"],
      message: /^render: --stack is required/,
    },
    {
      name: "an unknown flag",
      args: () => ["--stack", "dev", "--stak", "prod"],
      message: /^render: Unknown option '--stak'/,
    },
  ];

  for (const c of cases) {
    it(`${c.name}: one message, exit 2, no output`, async () => {
      const out = path.join(root, "out");
      const args = c.args();
      const io = captureIo();
      const code = await renderCommand.run(args.includes("--out") ? args : [...args, "--out", out], io);
      assert.equal(code, 2);
      assertOneMessage(io.stderr(), c.message);
      assert.equal(io.stdout(), "");
      assert.deepEqual(leftBehind(), []);
    });
  }

  it("a failed render leaves the previous render intact", async () => {
    const out = path.join(root, "previous");
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, "plan.json"), "previous");
    const file = path.join(root, "schema2.yaml");
    fs.writeFileSync(file, DEV_STACK.replace("servers: 1", "servers: 0"));
    const io = captureIo();
    assert.equal(await renderCommand.run(["--stack", "dev", "--config", file, "--out", out], io), 2);
    assert.deepEqual(walk(out), ["plan.json"]);
    assert.equal(fs.readFileSync(path.join(out, "plan.json"), "utf8"), "previous");
    assert.deepEqual(
      fs.readdirSync(root).filter((f) => f.startsWith(".")),
      [],
    );
  });

  it("--format json with bad input prints one JSON document and the message on stderr", async () => {
    const io = captureIo();
    assert.equal(
      await renderCommand.run(["--stack", "qa", "--format", "json", "--out", path.join(root, "out")], io),
      2,
    );
    const doc = JSON.parse(io.stdout()) as { exitCode: number; error: string };
    assert.equal(doc.exitCode, 2);
    assert.match(doc.error, /unknown stack "qa"/);
    assertOneMessage(io.stderr(), /^unknown stack "qa"/);
  });

  it("renderFlags names the flags that conflict or are missing", () => {
    const flags = (argv: string[]) => renderFlags(parseFlags(renderCommand, argv));
    assert.throws(
      () => flags([]),
      (e: unknown) => e instanceof UsageError && /--stack/.test(e.message),
    );
    assert.throws(
      () => flags(["--stack", "dev", "--config", "x.json", "--policy-config", "x.json"]),
      /--config and --policy-config name the same file/,
    );
    assert.deepEqual(flags(["--stack", "dev"]), { stack: "dev", outDir: path.join("out", "dev"), format: "text" });
  });

  it("through a real process: exit 2, the message alone on stderr, no stack trace, nothing on stdout", () => {
    const file = path.join(root, "malformed-child.yaml");
    fs.writeFileSync(file, "config: [\n");
    const out = path.join(root, "out");
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", "cli/index.ts", "render", "--stack", "dev", "--config", file, "--out", out],
      { cwd: PROJECT_DIR, encoding: "utf8" },
    );
    assert.equal(child.status, 2, child.stderr);
    assert.equal(child.stdout, "");
    assert.match(child.stderr, /^.*malformed-child\.yaml: malformed YAML at line \d+: .*\n$/);
    assert.ok(!/\bat .*\.(ts|js):\d+/.test(child.stderr), child.stderr);
    assert.equal(fs.existsSync(out), false);
  });

  it("an unknown command prints the usage and exits 2", () => {
    const child = spawnSync(process.execPath, ["--import", "tsx", "cli/index.ts", "destroy"], {
      cwd: PROJECT_DIR,
      encoding: "utf8",
    });
    assert.equal(child.status, 2);
    assert.match(child.stderr, /unknown command "destroy"\nusage: .*\n {2}render .*\n {2}gate .*\n {2}envoy-validate /);
  });
});
