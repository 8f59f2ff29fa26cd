/**
 * Issue 20 item 6: random, mutated stack configs through the whole render command. Every run ends in exit 0 with a
 * clean render, exit 1 with a complete render that reports why the deploy would fail (a real system's refusal or a
 * mandatory policy: the distinction the render keeps), or exit 2 with one message and nothing written. Never a
 * crash, a stack trace, a temporary directory, or a file outside --out.
 *
 * Most runs call the command in-process (the same code path as the CLI after argument parsing, and a render costs
 * seconds); a few go through a real child process. The seed is printed; rerun one with LUCID_FUZZ_SEED=<seed>.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import * as yaml from "js-yaml";
import { renderCommand } from "../../cli/commands/render";
import { assertOneMessage, captureIo, PROJECT_DIR, runNode, tempDir, walk } from "./helpers";

const IN_PROCESS_RUNS = Number(process.env.LUCID_FUZZ_RUNS ?? 25);
const CHILD_RUNS = 2;
const SEED = Number(process.env.LUCID_FUZZ_SEED ?? Date.now() % 2 ** 31);

type Stack = "dev" | "prod";
type Path = ReadonlyArray<string | number>;

const BASE: Record<Stack, unknown> = {
  dev: (yaml.load(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")) as { config: unknown }).config,
  prod: (yaml.load(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8")) as { config: unknown }).config,
};

/** Every path inside the mesh config: where a mutation can land. */
function pathsOf(value: unknown, at: Path = []): Path[] {
  const here = at.length > 0 ? [at] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => pathsOf(v, [...at, i]))];
  if (typeof value === "object" && value !== null) {
    return [...here, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...at, k]))];
  }
  return here;
}

const MESH_KEY = "lucid-mesh:mesh";
const PATHS: Record<Stack, Path[]> = {
  dev: pathsOf((BASE.dev as Record<string, unknown>)[MESH_KEY]),
  prod: pathsOf((BASE.prod as Record<string, unknown>)[MESH_KEY]),
};

/** Values a careless or hostile user writes: near-misses of real values, wrong types, limits. */
const interestingValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    "10.10.300.0/24",
    "10.10.255.0/24",
    "10.10.1.0/24",
    "10.96.0.300",
    "https://gw.example.com:8443",
    "gw.example.com:8443",
    "",
    " ",
    "a".repeat(70),
    "1-api",
    "/health?deep=1",
    "ü".repeat(300),
    "acme.internal",
    "lucid.mesh",
    "docker",
    "kubernetes",
    "prod",
    "*",
    "east",
    "west",
    "api-gateway",
    0,
    -1,
    1,
    3,
    8501,
    65536,
    0.5,
    1e12,
    Number.NaN,
    true,
    null,
    [],
    {},
    { secure: "AAABAcipher" },
  ),
  fc.string({ maxLength: 20 }),
  fc.integer({ min: -1, max: 70_000 }),
);

type Mutation =
  | { kind: "set"; pick: number; value: unknown }
  | { kind: "delete"; pick: number }
  | { kind: "unknownKey"; pick: number; key: string }
  | { kind: "duplicate"; pick: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("set" as const), pick: fc.nat(), value: interestingValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("unknownKey" as const),
      pick: fc.nat(),
      key: fc.string({ minLength: 1 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("duplicate" as const), pick: fc.nat() }) },
);

/** Byte-level damage to the YAML text (one run in four): invalid UTF-8, stray YAML syntax, aliases. */
const textDamage = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  {
    weight: 1,
    arbitrary: fc.record({
      at: fc.nat(),
      bytes: fc.oneof(
        fc.constantFrom(
          [0xff],
          [0xc3],
          [0xe2, 0x82],
          [0x00],
          [0x09],
          Array.from(Buffer.from("*a")),
          Array.from(Buffer.from(": [")),
        ),
        fc.uint8Array({ minLength: 1, maxLength: 3 }).map((b) => [...b]),
      ),
    }),
  },
);

export interface FuzzCase {
  readonly stack: Stack;
  readonly mutations: readonly Mutation[];
  readonly damage: { at: number; bytes: number[] } | null;
}

const fuzzCase: fc.Arbitrary<FuzzCase> = fc.record({
  stack: fc.constantFrom<Stack>("dev", "prod"),
  mutations: fc.array(mutation, { minLength: 0, maxLength: 3 }),
  damage: textDamage,
});

function container(root: unknown, at: Path): unknown {
  return at.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)?.[key], root);
}

function applyMutation(mesh: unknown, paths: readonly Path[], m: Mutation): void {
  const target = paths[m.pick % paths.length]!;
  const parent = container(mesh, target.slice(0, -1)) as Record<string | number, unknown> | unknown[] | undefined;
  const key = target[target.length - 1]!;
  if (parent === undefined || parent === null || typeof parent !== "object") return;
  switch (m.kind) {
    case "set":
      (parent as Record<string | number, unknown>)[key] = structuredClone(m.value);
      return;
    case "delete":
      if (Array.isArray(parent) && typeof key === "number") parent.splice(key, 1);
      else delete (parent as Record<string | number, unknown>)[key];
      return;
    case "unknownKey": {
      const node = (parent as Record<string | number, unknown>)[key];
      if (typeof node === "object" && node !== null && !Array.isArray(node))
        (node as Record<string, unknown>)[m.key] = 1;
      return;
    }
    case "duplicate":
      if (Array.isArray(parent) && typeof key === "number") parent.push(structuredClone(parent[key]));
      return;
  }
}

/** The stack file a case describes, as bytes. */
export function stackFileBytes(c: FuzzCase): Buffer {
  const config = structuredClone(BASE[c.stack]) as Record<string, unknown>;
  for (const m of c.mutations) applyMutation(config[MESH_KEY], PATHS[c.stack], m);
  const bytes = Buffer.from(yaml.dump({ config }, { noRefs: true }), "utf8");
  if (!c.damage) return bytes;
  const at = c.damage.at % (bytes.length + 1);
  return Buffer.concat([bytes.subarray(0, at), Buffer.from(c.damage.bytes), bytes.subarray(at)]);
}

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** What every run must satisfy, given its own directory (holding only stack.yaml before the run). */
function checkOutcome(dir: string, outcome: Outcome): void {
  const out = path.join(dir, "out");
  assert.ok([0, 1, 2].includes(outcome.code), `exit ${outcome.code}: ${outcome.stderr}`);
  assert.ok(!/\n\s+at /.test(outcome.stderr), `stack trace: ${outcome.stderr}`);
  const beside = fs.readdirSync(dir).sort();
  if (outcome.code === 2) {
    assertOneMessage(outcome.stderr);
    assert.deepEqual(beside, ["stack.yaml"], "exit 2 wrote something");
    return;
  }
  // A render: complete (a manifest listing every file), and nothing else beside it.
  assert.deepEqual(beside, ["out", "stack.yaml"]);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")) as {
    files: Array<{ path: string }>;
  };
  assert.deepEqual(walk(out), [...manifest.files.map((f) => f.path), "manifest.json"].sort());
  if (outcome.code === 0) assert.match(outcome.stdout, /result: clean \(exit 0\)/);
  else assert.match(outcome.stdout, /result: FAILED/);
}

describe("render fuzz: random, mutated stack configs through the whole command (issue 20 item 6)", function () {
  this.timeout(600_000);
  const root = tempDir("fuzz");
  const projectBefore = new Set(fs.readdirSync(PROJECT_DIR));
  const codes: Record<number, number> = {};
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it(`${IN_PROCESS_RUNS} runs in-process: exit 0, 1 (a complete render) or 2 (one message), nothing else`, async () => {
    console.log(`      fuzz: ${IN_PROCESS_RUNS} in-process runs, seed ${SEED} (rerun: LUCID_FUZZ_SEED=${SEED})`);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fuzzCase, async (c) => {
        const dir = path.join(root, `run-${run++}`);
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, "stack.yaml"), stackFileBytes(c));
        const io = captureIo();
        const code = await renderCommand.run(
          ["--stack", c.stack, "--config", path.join(dir, "stack.yaml"), "--out", path.join(dir, "out")],
          io,
        );
        codes[code] = (codes[code] ?? 0) + 1;
        checkOutcome(dir, { code, stdout: io.stdout(), stderr: io.stderr() });
        fs.rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: IN_PROCESS_RUNS, seed: SEED, endOnFailure: true },
    );
    console.log(`      fuzz: exit codes ${JSON.stringify(codes)}`);
    assert.deepEqual(fs.readdirSync(root), []);
    assert.deepEqual(new Set(fs.readdirSync(PROJECT_DIR)), projectBefore);
  });

  it(`${CHILD_RUNS} runs through a real child process, same rules`, async () => {
    const cases = fc.sample(fuzzCase, { numRuns: CHILD_RUNS, seed: SEED + 1 });
    console.log(`      fuzz: ${CHILD_RUNS} child-process runs, seed ${SEED + 1}`);
    for (const [i, c] of cases.entries()) {
      const dir = path.join(root, `child-${i}`);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, "stack.yaml"), stackFileBytes(c));
      const result = await runNode(["render", "--stack", c.stack, "--config", "stack.yaml", "--out", "out"], dir);
      assert.equal(result.signal, null);
      checkOutcome(dir, { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr });
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(fs.readdirSync(root), []);
    assert.deepEqual(new Set(fs.readdirSync(PROJECT_DIR)), projectBefore);
  });
});
