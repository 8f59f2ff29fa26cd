/**
 * Issue 20: bad input never crashes and never destroys data. Every case runs the real CLI in a child process and
 * checks the exit code, the one message on stderr (no stack trace), and the filesystem afterwards: nothing written,
 * no temporary directory, and whatever was at --out untouched. The children run a few at a time (each one loads
 * the whole program), in `before`, and each `it` checks one.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { assertOneMessage, pool, PROJECT_DIR, runNode, snapshot, tempDir, type ChildResult } from "./helpers";

const DEV = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8");
const PROD = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8");

function mutateStack(text: string, edit: (mesh: Record<string, unknown>) => void): string {
  const doc = yaml.load(text) as { config: Record<string, Record<string, unknown>> };
  edit(doc.config["lucid-mesh:mesh"]!);
  return yaml.dump(doc);
}

type Json = Record<string, unknown>;
const clusters = (m: Json): Json[] => m.clusters as Json[];
const services = (m: Json): Json[] => m.services as Json[];

/** A directory that looks like a previous render: a manifest listing every file. */
function fakeRender(dir: string, extra: Record<string, string> = {}): void {
  fs.mkdirSync(path.join(dir, "envoy"), { recursive: true });
  fs.writeFileSync(path.join(dir, "plan.json"), "{}\n");
  fs.writeFileSync(path.join(dir, "envoy", "bootstrap.yaml"), "x: 1\n");
  const files = ["envoy/bootstrap.yaml", "plan.json"].map((p) => ({
    path: p,
    bytes: 0,
    sha256: "",
    certificateMaterial: false,
  }));
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ schemaVersion: 1, files, omitted: [] }));
  for (const [file, content] of Object.entries(extra)) fs.writeFileSync(path.join(dir, file), content);
}

interface Case {
  readonly name: string;
  /** Prepares `dir` (the case's own directory) and returns the CLI arguments and the working directory. */
  readonly setup: (dir: string) => { args: string[]; cwd?: string; script?: string };
  readonly message: RegExp;
  /** The exit status: 2 unless given. */
  readonly status?: number;
  /** What `dir` holds afterwards (walk: files only), when not just what setup wrote. */
  readonly check?: (dir: string, before: Record<string, string>, result: ChildResult) => void;
}

/** A stack file case: the config goes to dir/stack.yaml, the render to dir/out (which must never appear). */
function configCase(name: string, stack: string, message: RegExp, extraArgs: string[] = []): Case {
  return {
    name,
    setup: (dir) => {
      fs.writeFileSync(path.join(dir, "stack.yaml"), stack);
      const isProd = stack.includes("environment: prod");
      return {
        args: ["render", "--stack", isProd ? "prod" : "dev", "--config", "stack.yaml", "--out", "out", ...extraArgs],
      };
    },
    message,
  };
}

const BILLION_LAUGHS = [
  "config:",
  "  lucid-mesh:mesh:",
  "    a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]",
  ...Array.from(
    { length: 9 },
    (_, i) => `    a${i + 1}: &a${i + 1} [${Array.from({ length: 10 }, () => `*a${i}`).join(", ")}]`,
  ),
  "",
].join("\n");

/** Dev's stack file with one byte that is not UTF-8 inside a Consul tag; its offset is known. */
function nonUtf8Stack(): { bytes: Buffer; offset: number } {
  const text = DEV.replace("tags: [v1, production]", "tags: [v1, productionX]");
  const offset = Buffer.byteLength(text.slice(0, text.indexOf("productionX") + "production".length));
  const bytes = Buffer.from(text, "utf8");
  bytes[offset] = 0xff;
  return { bytes, offset };
}

const cases: Case[] = [
  {
    name: "--out . in a checkout is refused, and the checkout (.git included) is intact",
    setup: (dir) => {
      const checkout = path.join(dir, "checkout");
      fs.mkdirSync(path.join(checkout, "src"), { recursive: true });
      fs.writeFileSync(path.join(checkout, "README.md"), "# a project\n");
      fs.writeFileSync(path.join(checkout, "src", "main.ts"), "export {};\n");
      const git = (...args: string[]): void =>
        void execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: checkout });
      git("init", "-q");
      git("add", ".");
      git("commit", "-qm", "init");
      return { args: ["render", "--stack", "dev", "--out", "."], cwd: checkout };
    },
    message:
      /^refusing to replace output directory \.: it is not empty and has no readable manifest\.json, so it is not a previous render\. Fix: pass a new or empty directory as --out/,
    check: (dir, before) => {
      assert.deepEqual(snapshot(dir), before);
      const status = execFileSync("git", ["status", "--porcelain"], {
        cwd: path.join(dir, "checkout"),
        encoding: "utf8",
      });
      assert.equal(status, "");
    },
  },
  {
    name: "--out naming a previous render that holds a file no render wrote is refused, and nothing is removed",
    setup: (dir) => {
      fakeRender(path.join(dir, "out"), { "notes.txt": "mine\n" });
      return { args: ["render", "--stack", "dev", "--out", "out"], cwd: dir };
    },
    message: /^refusing to replace output directory out: it holds notes\.txt, which no render wrote\./,
  },
  {
    name: "a failure inside the simulation: which resource and why, exit 2, the previous render kept, no temp dir",
    setup: (dir) => {
      fakeRender(path.join(dir, "out"));
      return {
        args: ["render", "--stack", "dev", "--out", "out"],
        script: path.join(PROJECT_DIR, "tests", "cli", "fixtures", "renderWithFailingResource.ts"),
      };
    },
    message:
      /^the program failed while declaring the stack's resources: .*failed to register new resource east-consul-server-csr \[tls:index\/certRequest:CertRequest\]: simulated failure: Invalid IPv4 address part\. Fix: /,
  },
  {
    name: "an interrupted render (SIGINT during the simulation) writes nothing and keeps the previous render",
    setup: (dir) => {
      fakeRender(path.join(dir, "out"));
      return {
        args: ["render", "--stack", "dev", "--out", "out"],
        script: path.join(PROJECT_DIR, "tests", "cli", "fixtures", "interruptedRender.ts"),
      };
    },
    status: 130,
    message: /^interrupted \(SIGINT\): nothing was written\n$/,
  },
  {
    ...configCase(
      "a YAML billion laughs is refused quickly, in bounded memory",
      BILLION_LAUGHS,
      /stack\.yaml: its aliases expand to more than 1000000 values\. Fix: write the values out/,
    ),
    check: (dir, before, result) => {
      assert.deepEqual(snapshot(dir), before);
      assert.ok(result.ms < 60_000, `took ${result.ms} ms`);
    },
  },
  configCase(
    "more aliases than a stack file may use are refused",
    `config:\n  x: &x [1]\n  y: [${Array.from({ length: 101 }, () => "*x").join(", ")}]\n`,
    /stack\.yaml: malformed YAML at line \d+: aliases exceeded maxAliases \(100\)\. Fix: write the values out: a stack file may use at most 100 aliases/,
  ),
  {
    name: "a stack file that is not UTF-8 is refused with the byte offset",
    setup: (dir) => {
      fs.writeFileSync(path.join(dir, "stack.yaml"), nonUtf8Stack().bytes);
      return { args: ["render", "--stack", "dev", "--config", "stack.yaml", "--out", "out"] };
    },
    message: new RegExp(
      `^stack\\.yaml: not UTF-8: byte 0xff at offset ${nonUtf8Stack().offset} does not start a valid UTF-8 sequence\\. Fix: save the file as UTF-8`,
    ),
  },
  configCase(
    "a docker.subnet octet above 255",
    mutateStack(DEV, (m) => void ((clusters(m)[0]!.docker as Json).subnet = "10.10.300.0/24")),
    /^Invalid stack config lucid-mesh:mesh \(1 problem\):\n {2}- clusters\[0\]\.docker\.subnet: must be an IPv4 \/24.*\n {6}fix: /,
  ),
  configCase(
    "a consulDnsIP octet above 255",
    mutateStack(PROD, (m) => void ((clusters(m)[0]!.kubernetes as Json).consulDnsIP = "10.96.0.300")),
    /- clusters\[0\]\.kubernetes\.consulDnsIP: must be an IPv4 address.*\n {6}fix: give a free address inside the cluster's Service CIDR/,
  ),
  configCase(
    "a gateway.wanAddress given as a URL",
    mutateStack(PROD, (m) => void ((clusters(m)[0]!.gateway as Json).wanAddress = "https://203.0.113.10:8443")),
    /- clusters\[0\]\.gateway\.wanAddress: must be a host alone.*\n {6}fix: give only the host, such as 203\.0\.113\.10; the port is gateway\.port/,
  ),
  configCase(
    "a tracing.collectorHost with a port",
    mutateStack(DEV, (m) => void (m.observability = { tracing: { enabled: true, collectorHost: "otel:4317" } })),
    /- observability\.tracing\.collectorHost: must be a host alone/,
  ),
  configCase(
    "an intention description over 512 bytes",
    mutateStack(DEV, (m) => void ((m.intentions as Json[])[0]!.description = "ü".repeat(257))),
    /- intentions\[0\]\.description: must be at most 512 bytes in UTF-8, Consul's limit/,
  ),
  configCase(
    "a healthCheckPath with a query string",
    mutateStack(DEV, (m) => void (services(m)[0]!.healthCheckPath = "/health?deep=1")),
    /- services\[0\]\.healthCheckPath: must be a path alone, without a query string/,
  ),
  configCase(
    "a custom trustDomain the prod policy config does not allow",
    mutateStack(PROD, (m) => void (m.trustDomain = "acme.internal")),
    /^the stack's trustDomain is acme\.internal, but policy config policies\/config\/prod\.json enforces lucid\.mesh \("lucid-envoy-mtls-required"\.trustDomain and "lucid-envoy-rbac-default-deny"\.trustDomain and "lucid-envoy-rbac-matches-intentions"\.trustDomain and "lucid-pki-spiffe-identity"\.trustDomain\)\. Fix: set .* to "acme\.internal" in policies\/config\/prod\.json/,
  ),
  configCase(
    "a Docker container hostname over 64 bytes",
    mutateStack(DEV, (m) => void (clusters(m)[0]!.name = `east${"x".repeat(56)}`)),
    /- clusters\[0\]\.name: Consul server hostname "eastx+-consul-0" is 69 bytes; dockerd refuses hostnames over 64 bytes/,
  ),
  configCase(
    "two clusters publishing the same publishApiPort",
    mutateStack(DEV, (m) => void ((clusters(m)[1]!.consul as Json).publishApiPort = 8501)),
    /- clusters\[1\]\.consul\.publishApiPort: port 8501 is already published by clusters\[0\]/,
  ),
  configCase(
    "a cluster subnet equal to the WAN network",
    mutateStack(DEV, (m) => void ((clusters(m)[1]!.docker as Json).subnet = "10.10.255.0/24")),
    /- clusters\[1\]\.docker\.subnet: 10\.10\.255\.0\/24 is the shared WAN network's subnet/,
  ),
  configCase(
    "a service name that is not a DNS-1035 label",
    mutateStack(PROD, (m) => void (services(m)[0]!.name = "1api")),
    /- services\[0\]\.name: must be a DNS-1035 label: start with a letter/,
  ),
];

describe("render through a real process: bad input never crashes and never destroys data (issue 20)", function () {
  this.timeout(600_000);
  const root = tempDir("bad-input-process");
  const results = new Map<string, { dir: string; before: Record<string, string>; result: ChildResult }>();
  const rootBefore = new Set<string>();
  const projectBefore = new Set(fs.readdirSync(PROJECT_DIR));

  before(async () => {
    const prepared = cases.map((c, i) => {
      const dir = path.join(root, `case-${i}`);
      fs.mkdirSync(dir);
      const { args, cwd, script } = c.setup(dir);
      return { c, dir, args, cwd: cwd ?? dir, script, before: snapshot(dir) };
    });
    for (const entry of fs.readdirSync(root)) rootBefore.add(entry);
    const done = await pool(
      prepared.map((p) => () => runNode(p.args, p.cwd, p.script)),
      3,
    );
    prepared.forEach((p, i) => results.set(p.c.name, { dir: p.dir, before: p.before, result: done[i]! }));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  for (const c of cases) {
    it(`${c.name}: exit ${c.status ?? 2}, one message, nothing written or removed`, () => {
      const { dir, before, result } = results.get(c.name)!;
      assert.equal(result.status, c.status ?? 2, `exit ${result.status} (${result.signal}): ${result.stderr}`);
      assertOneMessage(result.stderr);
      assert.match(result.stderr, c.message);
      assert.equal(result.stdout, "");
      if (c.check) c.check(dir, before, result);
      else assert.deepEqual(snapshot(dir), before);
      // No temporary directory anywhere: not in the case's directory (walk lists hidden files too), nor beside it.
      assert.deepEqual(
        fs.readdirSync(dir, { recursive: true }).filter((f) => /\.tmp-/.test(String(f))),
        [],
      );
    });
  }

  it("left nothing beside the cases, nor in the project directory", () => {
    assert.deepEqual(new Set(fs.readdirSync(root)), rootBefore);
    assert.deepEqual(new Set(fs.readdirSync(PROJECT_DIR)), projectBefore);
  });
});
