/**
 * The deploy orchestrator and command against a fake StackRunner. The fake is a stand-in for a backend: it records
 * what the orchestrator asks for and answers from a table; nothing here claims the Pulumi CLI ran.
 */
import { strict as assert } from "node:assert";
import { deployCommandWith, cliStartError } from "../../cli/commands/deploy";
import { runDeploy, type DeployEvent, type ResourceChanges, type StackRunner } from "../../deploy/orchestrator";
import { SPLIT_OUTPUT_NAMES } from "../../model/stackParts";
import { PROJECT_DIR, stackMesh } from "../helpers/stacks";

interface Call {
  readonly op: "prepare" | "outputs" | "up-start" | "up-end";
  readonly stack: string;
}

/** A fake runner: `up` waits a tick so parallel stacks overlap; `failing` stacks reject; outputs from a table. */
class FakeRunner implements StackRunner {
  readonly calls: Call[] = [];
  private inFlight = 0;
  maxInFlight = 0;
  constructor(
    private readonly outputs: Record<string, Record<string, unknown>> = {},
    private readonly failing: ReadonlySet<string> = new Set(),
  ) {}
  async prepare(stack: string): Promise<void> {
    this.calls.push({ op: "prepare", stack });
  }
  async publicOutputs(stack: string): Promise<Record<string, unknown>> {
    this.calls.push({ op: "outputs", stack });
    return this.outputs[stack] ?? {};
  }
  async up(stack: string, onOutput: (text: string) => void): Promise<ResourceChanges> {
    this.calls.push({ op: "up-start", stack });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    onOutput(`Updating (${stack})\n`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.inFlight--;
    this.calls.push({ op: "up-end", stack });
    if (this.failing.has(stack)) throw new Error(`error: update of ${stack} failed`);
    return { create: 2, same: 1 };
  }
  ups(): string[] {
    return this.calls.filter((c) => c.op === "up-start").map((c) => c.stack);
  }
}

const mesh = stackMesh("dev");

describe("deploy orchestrator (fake runner)", () => {
  it("prepares every stack first, then runs the first-deploy plan: clusters in parallel, peering last", async () => {
    const runner = new FakeRunner();
    const events: DeployEvent[] = [];
    const result = await runDeploy("dev", mesh, runner, (e) => events.push(e));
    assert.equal(result.ok, true);
    const prepared = runner.calls.filter((c) => c.op === "prepare").map((c) => c.stack);
    assert.deepEqual(prepared, ["dev-root", "dev-east", "dev-west", "dev-peering-east-west"]);
    const firstUp = runner.calls.findIndex((c) => c.op === "up-start");
    assert.ok(runner.calls.slice(0, firstUp).every((c) => c.op === "prepare" || c.op === "outputs"));
    assert.deepEqual(runner.ups(), [
      "dev-east",
      "dev-west",
      "dev-root",
      "dev-east",
      "dev-west",
      "dev-peering-east-west",
    ]);
    // Both clusters' ups overlap; the root starts only after both request ups ended, the peering after both clusters.
    assert.equal(runner.maxInFlight, 2);
    const index = (op: Call["op"], stack: string, nth = 0): number =>
      runner.calls.map((c, i) => (c.op === op && c.stack === stack ? i : -1)).filter((i) => i >= 0)[nth]!;
    assert.ok(
      index("up-start", "dev-root") > index("up-end", "dev-east") &&
        index("up-start", "dev-root") > index("up-end", "dev-west"),
    );
    assert.ok(index("up-start", "dev-peering-east-west") > index("up-end", "dev-west", 1));
    assert.deepEqual(
      events.filter((e) => e.kind === "phase").map((e) => (e.kind === "phase" ? e.phase.name : "")),
      ["request", "sign", "clusters", "peerings"],
    );
    assert.ok(events.some((e) => e.kind === "output" && e.stack === "dev-root" && e.text.includes("Updating")));
  });

  it("skips the request phase once every cluster stack exports its CSR", async () => {
    const csr = { [SPLIT_OUTPUT_NAMES.intermediateCsrPem]: "-----BEGIN CERTIFICATE REQUEST-----\n" };
    const runner = new FakeRunner({ "dev-east": csr, "dev-west": csr });
    await runDeploy("dev", mesh, runner);
    assert.deepEqual(runner.ups(), ["dev-root", "dev-east", "dev-west", "dev-peering-east-west"]);
  });

  it("stops after a phase in which a stack failed: the peering never runs against a half-deployed cluster", async () => {
    const csr = { [SPLIT_OUTPUT_NAMES.intermediateCsrPem]: "-----BEGIN CERTIFICATE REQUEST-----\n" };
    const runner = new FakeRunner({ "dev-east": csr, "dev-west": csr }, new Set(["dev-west"]));
    const result = await runDeploy("dev", mesh, runner);
    assert.equal(result.ok, false);
    assert.deepEqual(result.failed, [{ stack: "dev-west", error: "error: update of dev-west failed" }]);
    // east still finished: a phase's stacks are independent.
    assert.deepEqual(runner.ups(), ["dev-root", "dev-east", "dev-west"]);
    assert.deepEqual(result.updated, ["dev-root", "dev-east"]);
  });
});

describe("npm run deploy", () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), stderrIsTTY: false }, out, err };
  };

  it("prints the first-deploy order with --plan, without a runner", async () => {
    const streams = io();
    const command = deployCommandWith(() => Promise.reject(new Error("no runner for --plan")), PROJECT_DIR);
    assert.equal(await command.run(["--env", "prod", "--plan"], streams.io), 0);
    assert.match(
      streams.out.join(""),
      /^1\. request: prod-east, prod-west .*\n2\. sign: prod-root .*\n3\. clusters: prod-east, prod-west .*\n4\. peerings: prod-peering-east-west/,
    );
  });

  it("deploys through the runner with one progress line per phase and per stack; exit 1 when a stack fails", async () => {
    const streams = io();
    assert.equal(
      await deployCommandWith(async () => new FakeRunner(), PROJECT_DIR).run(["--env", "dev"], streams.io),
      0,
    );
    const progress = streams.err.join("");
    assert.match(progress, /\[1\/4\] request: dev-east, dev-west\n/);
    assert.match(progress, /\[4\/4\] peerings: dev-peering-east-west\n/);
    assert.match(progress, / {2}✓ dev-root: 2 create, 1 same \(\d+\.\d s\)\n/);
    assert.doesNotMatch(progress, /Updating/, "the CLI's own output only with --verbose");

    const failing = io();
    const runner = new FakeRunner({}, new Set(["dev-root"]));
    assert.equal(
      await deployCommandWith(async () => runner, PROJECT_DIR).run(["--env", "dev", "--verbose"], failing.io),
      1,
    );
    assert.match(failing.err.join(""), /✗ dev-root failed after .*: error: update of dev-root failed\n/);
    assert.match(failing.err.join(""), / {2}dev-root \| Updating \(dev-root\)\n/);
    assert.match(failing.err.join(""), /deploy: dev-root failed; the phases after it did not run\n/);
  });

  it("refuses bad input with exit 2 and one message: no --env, a part as --env, no CLI", async () => {
    const command = deployCommandWith(() => Promise.reject(new Error("spawn pulumi ENOENT")), PROJECT_DIR);
    const noEnv = io();
    assert.equal(await command.run([], noEnv.io), 2);
    assert.match(noEnv.err.join(""), /--env is required/);
    const part = io();
    assert.equal(await command.run(["--env", "dev-east"], part.io), 2);
    assert.match(part.err.join(""), /Pulumi.dev-east.yaml is a part of mesh dev. Fix: pass --env dev/);
    const noCli = io();
    assert.equal(await command.run(["--env", "dev"], noCli.io), 2);
    assert.match(noCli.err.join(""), /the Pulumi CLI \(pulumi\) is not on PATH. Fix: install it/);
    assert.match(cliStartError(new Error("boom\nmore")), /^cannot start the Pulumi CLI: boom\. Fix:/);
  });
});
