import { strict as assert } from "node:assert";
import fc from "fast-check";
import { redactPaths, redactSecrets, secretPathsOf, unwrapSecrets, unwrapSecretsAt } from "../../simulate/recorder";

/** The engine's secret wrapper, as MockMonitor hands it to `newResource`. */
const wrap = (value: unknown): Record<string, unknown> => ({
  "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
  value,
});

const keys = fc.constantFrom("a", "b", "uploads", "content", "file", "x.y", "0");
const trees = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small" },
    fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
    fc.array(tie("node"), { maxLength: 3 }),
    fc.dictionary(keys, tie("node"), { maxKeys: 3 }),
    tie("node").map(wrap),
  ),
})).node;

describe("recorder redaction on demand", () => {
  it("redactPaths over the unwrapped inputs gives exactly what redactSecrets gave over the wrapped ones", () => {
    fc.assert(
      fc.property(fc.dictionary(keys, trees, { maxKeys: 4 }), (inputs) => {
        const eager = redactSecrets(inputs);
        const paths = secretPathsOf(inputs);
        assert.deepEqual(paths, eager.paths);
        assert.deepEqual(redactPaths(unwrapSecrets(inputs).value, new Set(paths)), eager.value);
      }),
      { numRuns: 1000 },
    );
  });

  it("unwrapSecrets returns a subtree without secrets as it is, and copies only the paths above a secret", () => {
    const plain = { files: [{ file: "/etc/envoy/bootstrap.yaml", content: "x" }] };
    const inputs = { plain, secret: { key: wrap("k") } };
    const unwrapped = unwrapSecrets(inputs).value as typeof inputs;
    assert.equal(unwrapped.plain, plain);
    assert.notEqual(unwrapped, inputs);
    assert.deepEqual(unwrapped.secret, { key: "k" });
    assert.deepEqual(inputs.secret.key, wrap("k"), "the wrapped inputs are not mutated");
  });

  it("unwrapSecretsAt gives unwrapSecrets' value and secretPathsOf's paths in one walk, sharing what holds no secret", () => {
    fc.assert(
      fc.property(fc.dictionary(keys, trees, { maxKeys: 4 }), (inputs) => {
        const together = unwrapSecretsAt(inputs);
        assert.deepEqual(together.value, unwrapSecrets(inputs).value);
        assert.deepEqual(together.secretPaths, secretPathsOf(inputs));
      }),
      { numRuns: 1000 },
    );
    const plain = { files: [{ content: "x" }] };
    const inputs = { plain, list: ["a", wrap("k")], top: wrap({ inner: wrap("deep") }) };
    const together = unwrapSecretsAt(inputs);
    assert.deepEqual(together.secretPaths, ["list[1]", "top"]);
    assert.deepEqual(together.value, { plain, list: ["a", "k"], top: { inner: "deep" } });
    assert.equal((together.value as typeof inputs).plain, plain);
    assert.deepEqual(unwrapSecretsAt(wrap("root")), { value: "root", secretPaths: ["(root)"] });
  });
});
