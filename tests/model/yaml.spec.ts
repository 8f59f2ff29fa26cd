import { strict as assert } from "node:assert";
import { YAML_ANCHOR_OR_ALIAS } from "../helpers/yaml";
import fc from "fast-check";
import { dump } from "js-yaml";
import { toYaml, YAML_DUMP_OPTIONS } from "../../model/yaml";
import { compareStrings } from "../../model/mesh";
import { yamlScalars, yamlTrees } from "./yamlValues";

/** The reference: a deep copy with sorted keys (undefined dropped), then js-yaml's dump with toYaml's options. */
function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compareStrings(a, b));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeysDeep(v)]));
  }
  return value;
}
const reference = (value: unknown): string =>
  dump(sortKeysDeep(value), { noRefs: true, lineWidth: -1, seqNoIndent: true });

const oddStrings = fc.constantFrom(
  "",
  " a",
  "a ",
  "- x",
  "? x",
  ": x",
  "a: b",
  "a #b",
  "#x",
  "'",
  '"',
  "yes",
  "on",
  "null",
  "~",
  "1",
  "0x1F",
  "1e3",
  ".5",
  "-",
  "*x",
  "&x",
  "!x",
  "%REQ(:METHOD)%",
  "@type",
  "{a}",
  "[a]",
  "a,b",
  "\t",
  "é",
  "2001-12-14",
  "<<",
  "line\nbreak",
  "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
  "10",
  "2",
);
const strings = fc.oneof(fc.string(), oddStrings, fc.string({ unit: "binary", maxLength: 6 }));
const scalars = yamlScalars(strings);
const trees = yamlTrees(strings, scalars);

describe("toYaml: plain block YAML, one writer for every file", () => {
  it("writes a subtree that occurs twice twice, with no anchor, alias or flow collection", () => {
    const shared = { socket_address: { address: "127.0.0.1", port_value: 9001 } };
    const text = toYaml({ a: shared, b: [shared, shared], c: { d: shared } });
    assert.doesNotMatch(text, YAML_ANCHOR_OR_ALIAS);
    assert.doesNotMatch(text, /[{[]\S/, "no flow collection");
    assert.equal(text.split("port_value: 9001").length - 1, 4);
  });

  it("the anchor pattern finds js-yaml's own anchors and aliases (so its silence above means something)", () => {
    const shared = { x: 1 };
    assert.match(dump({ a: shared, b: shared }), YAML_ANCHOR_OR_ALIAS);
    assert.match(dump([shared, shared]), YAML_ANCHOR_OR_ALIAS);
  });
});

describe("toYaml fast path", () => {
  it("writes exactly what sorted keys + js-yaml dump write, for any JSON-like value", () => {
    fc.assert(
      fc.property(trees, (value) => toYaml(value) === reference(value)),
      { numRuns: 3000 },
    );
  });

  it("lists under a key start at the key's column; lists in lists and mappings in lists as js-yaml writes them", () => {
    assert.deepEqual(YAML_DUMP_OPTIONS, { noRefs: true, lineWidth: -1, seqNoIndent: true });
    const value = { resources: [{ name: "a", list: [[1, 2], { k: [3] }] }], top: { inner: ["x"] } };
    assert.equal(
      toYaml(value),
      [
        "resources:",
        "- list:",
        "  - - 1",
        "    - 2",
        "  - k:",
        "    - 3",
        "  name: a",
        "top:",
        "  inner:",
        "  - x",
        "",
      ].join("\n"),
    );
    assert.equal(toYaml(value), reference(value));
    assert.equal(toYaml([["a"], []]), reference([["a"], []]));
  });

  it("orders array-index keys first, numerically, as the sorted copy did", () => {
    const value = { b: 1, "10": 2, "2": 3, "@type": 4, "01": 5 };
    assert.equal(toYaml(value), reference(value));
    assert.match(toYaml(value), /^'2': 3\n'10': 2\n/);
  });

  it("drops undefined values in mappings and writes null for them in sequences", () => {
    const value = { a: undefined, b: [undefined, 1], c: { d: undefined } };
    assert.equal(toYaml(value), "b:\n- null\n- 1\nc: {}\n");
    assert.equal(toYaml(value), reference(value));
  });
});
