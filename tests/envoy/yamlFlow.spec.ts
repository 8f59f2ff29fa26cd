import { strict as assert } from "node:assert";
import fc from "fast-check";
import { COLLECTION_STYLE, EVENT_ID, dump, load, parseEvents } from "js-yaml";
import { syntheticMeshConfig } from "../../bench/syntheticMesh";
import { gatewayConfig, sidecarConfig } from "../../envoy";
import { YAML_DUMP_OPTIONS, toEnvoyYaml, toYaml } from "../../envoy/yaml";
import { allInstances, parseMeshConfig } from "../../model";
import { compareStrings } from "../../model/mesh";
import { normalize, reversedKeys, yamlScalars, yamlTrees } from "./yamlValues";

/** The flow style's limits (envoy/yaml.ts MAX_FLOW_LENGTH, MAX_FLOW_LINE). */
const MAX_FLOW_LENGTH = 80;
const MAX_FLOW_LINE = 120;

/** toYaml's key order, written out again: array-index keys first in numeric order, then compareStrings. */
function keyOrder(a: unknown, b: unknown): number {
  const x = String(a);
  const y = String(b);
  const index = (k: string): boolean => /^(?:0|[1-9]\d*)$/.test(k) && Number(k) < 4294967295;
  if (index(x) && index(y)) return Number(x) - Number(y);
  if (index(x) !== index(y)) return index(x) ? -1 : 1;
  return compareStrings(x, y);
}

/** js-yaml's own flow rendering of a value, keys in toYaml's order. */
function jsYamlFlow(value: unknown): string {
  return dump(value, { ...YAML_DUMP_OPTIONS, flowLevel: 0, sortKeys: keyOrder }).replace(/\n$/, "");
}

interface FlowCollection {
  /** Its text: from its opening bracket to the end of its line. */
  readonly text: string;
  /** The whole line it ends. */
  readonly line: string;
  readonly anchored: boolean;
}

/**
 * The outermost flow collections of a document, as js-yaml's parser reads them. Fails when anything inside a flow
 * collection carries an anchor or is an alias, or when a flow collection does not end its line.
 */
function flowCollections(text: string): FlowCollection[] {
  const found: FlowCollection[] = [];
  const styles: number[] = [];
  let flowDepth = 0;
  for (const event of parseEvents(text, {})) {
    switch (event.type) {
      case EVENT_ID.DOCUMENT:
        styles.push(0);
        break;
      case EVENT_ID.SEQUENCE:
      case EVENT_ID.MAPPING: {
        const flow = event.style === COLLECTION_STYLE.FLOW;
        if (flowDepth > 0) assert.equal(event.anchorStart, -1, "no anchor inside a flow collection");
        else if (flow) {
          const end = text.indexOf("\n", event.start);
          const lineStart = text.lastIndexOf("\n", event.start) + 1;
          found.push({
            text: text.slice(event.start, end),
            line: text.slice(lineStart, end),
            anchored: event.anchorStart >= 0,
          });
        }
        styles.push(flow ? 1 : 0);
        if (flow) flowDepth++;
        break;
      }
      case EVENT_ID.SCALAR:
        assert.equal(event.anchorStart, -1, "no anchors on scalars");
        break;
      case EVENT_ID.ALIAS:
        assert.equal(flowDepth, 0, "no alias inside a flow collection");
        break;
      case EVENT_ID.POP:
        if (styles.pop() === 1) flowDepth--;
        break;
    }
  }
  return found;
}

/**
 * Round trip, and every flow collection is js-yaml's own flow text for its value (so each scalar is quoted as
 * js-yaml quotes it in flow context), ends its line, and is within the limits; none holds an anchor or alias.
 */
function assertFlow(value: unknown): FlowCollection[] {
  const text = toEnvoyYaml(value);
  assert.deepStrictEqual(load(text), normalize(value));
  const found = flowCollections(text);
  for (const flow of found) {
    assert.ok(flow.text.length <= MAX_FLOW_LENGTH, flow.text);
    assert.ok(flow.line.length <= MAX_FLOW_LINE, flow.line);
    assert.equal(flow.text, jsYamlFlow(load(flow.text)));
  }
  return found;
}

const access = {
  name: "envoy.access_loggers.file",
  typed_config: { "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog", path: "/x" },
};

describe("toEnvoyYaml flow style", () => {
  it("writes small collections on one line, an anchored one too; long ones and ones holding an anchor or alias stay block", () => {
    const principal = (svc: string): unknown => ({
      authenticated: { principal_name: { exact: `spiffe://lucid.mesh/ns/lucid/dc/east/svc/${svc}` } },
    });
    const retry = { num_retries: 2, per_try_timeout: "2s", retry_on: "connect-failure" };
    const value = {
      address: { socket_address: { address: "127.0.0.1", port_value: 9001 } },
      alpn: ["h2", "http/1.1"],
      principals: [principal("a"), principal("b")],
      long: { a: "x".repeat(30), b: "y".repeat(30), c: "z".repeat(30) },
      logs: { access_log: [access], other: { access_log: [access], size: 1 } },
      routes: [
        { retry_policy: retry, timeout: "1s" },
        { retry_policy: { ...retry }, timeout: "2s" },
      ],
      empty: { list: [], map: {} },
    };
    assert.equal(
      toEnvoyYaml(value),
      [
        "address: {socket_address: {address: 127.0.0.1, port_value: 9001}}",
        "alpn: [h2, http/1.1]",
        "empty: {list: [], map: {}}",
        "logs:",
        "  access_log: &access_log",
        "  - name: envoy.access_loggers.file",
        "    typed_config:",
        "      '@type': type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
        "      path: /x",
        "  other:",
        "    access_log: *access_log",
        "    size: 1",
        "long:",
        `  a: ${"x".repeat(30)}`,
        `  b: ${"y".repeat(30)}`,
        `  c: ${"z".repeat(30)}`,
        "principals:",
        "- authenticated: {principal_name: {exact: spiffe://lucid.mesh/ns/lucid/dc/east/svc/a}}",
        "- authenticated: {principal_name: {exact: spiffe://lucid.mesh/ns/lucid/dc/east/svc/b}}",
        "routes:",
        "- retry_policy: &retry_policy {num_retries: 2, per_try_timeout: 2s, retry_on: connect-failure}",
        "  timeout: 1s",
        "- retry_policy: *retry_policy",
        "  timeout: 2s",
        "",
      ].join("\n"),
    );
    assertFlow(value);
  });

  it("a whole sequence item on the dash's line, anchored or not", () => {
    const big = { name: "n".repeat(20), value: "v".repeat(20) };
    const value = { a: [{ x: 1, z: [1, 2] }, big, [1, 2]], b: [{ ...big }] };
    assert.equal(
      toEnvoyYaml(value),
      [
        "a:",
        "- {x: 1, z: [1, 2]}",
        `- &a_item {name: ${"n".repeat(20)}, value: ${"v".repeat(20)}}`,
        "- [1, 2]",
        "b:",
        "- *a_item",
        "",
      ].join("\n"),
    );
    assertFlow(value);
  });

  it("quotes each scalar as js-yaml does in flow context, keys too", () => {
    const cases: Array<[string, string]> = [
      ["a,b", "'a,b'"],
      ["x: y", "'x: y'"],
      ["[1]", "'[1]'"],
      ["{a}", "'{a}'"],
      ["*star", "'*star'"],
      ["&amp", "'&amp'"],
      ["#hash", "'#hash'"],
      ["a #b", "'a #b'"],
      ["", "''"],
      ["null", "'null'"],
      ["true", "'true'"],
      ["y", "'y'"],
      ["1", "'1'"],
      ["it's", "it's"],
      ["0.250s", "0.250s"],
      ["spiffe://x/y", "spiffe://x/y"],
      ["%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%", "'%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%'"],
    ];
    for (const [string, text] of cases) {
      assert.equal(toEnvoyYaml({ v: { s: string } }), `v: {s: ${text}}\n`, string);
      assert.equal(toEnvoyYaml({ v: { [string]: 1 } }), `v: {${text}: 1}\n`, string);
      assert.equal(toEnvoyYaml({ v: [string, 2] }), `v: [${text}, 2]\n`, string);
      assertFlow({ v: { s: string, [string]: [string] } });
    }
    assert.equal(toEnvoyYaml({ v: [1.5, -0, true, null, 1e21] }), "v: [1.5, -0.0, true, null, 1.e+21]\n");
  });

  it("keeps a collection in block style when js-yaml writes a plain scalar with a '?' (yaml-cpp ends plain scalars there in flow)", () => {
    assert.equal(toEnvoyYaml({ m: { path: "/a?b" } }), "m:\n  path: /a?b\n");
    assert.equal(toEnvoyYaml({ m: { "?k": 1 } }), "m:\n  ?k: 1\n");
    assert.equal(toEnvoyYaml({ m: ["?x"] }), "m:\n- ?x\n");
    assert.equal(toEnvoyYaml({ m: { path: "'/a?b" } }), "m: {path: '''/a?b'}\n");
  });

  it("flow text up to 80 characters, line (indentation, key and anchor included) up to 120", () => {
    const of = (n: number): unknown => ({ k: "x".repeat(n) });
    assert.equal(toEnvoyYaml({ a: of(75) }), `a: {k: ${"x".repeat(75)}}\n`);
    assert.equal(toEnvoyYaml({ a: of(76) }), `a:\n  k: ${"x".repeat(76)}\n`);
    const key = (n: number): string => "p".repeat(n);
    assert.equal(toEnvoyYaml({ [key(38)]: of(75) }), `${key(38)}: {k: ${"x".repeat(75)}}\n`);
    assert.equal(toEnvoyYaml({ [key(39)]: of(75) }), `${key(39)}:\n  k: ${"x".repeat(75)}\n`);
    // The anchor counts: 2 + 32 + 80 fits, 2 + 32 + 32 + 80 does not.
    const k = key(30);
    assert.equal(
      toEnvoyYaml({ b: { [k]: of(75) }, [k]: of(75) }),
      ["b:", `  ${k}: &${k}`, `    k: ${"x".repeat(75)}`, `${k}: *${k}`, ""].join("\n"),
    );
    assert.equal(
      toEnvoyYaml({ b: { p: of(75) }, p: of(75) }),
      ["b:", `  p: &p {k: ${"x".repeat(75)}}`, "p: *p", ""].join("\n"),
    );
    // Deeper, an inner collection may still fit when its parent does not.
    assert.equal(
      toEnvoyYaml({ a: { b: of(70), c: 1 } }),
      ["a:", `  b: {k: ${"x".repeat(70)}}`, "  c: 1", ""].join("\n"),
    );
  });

  it("a string with a line break sends the document to js-yaml whole, as before", () => {
    const value = { a: { b: "line\nbreak" }, c: { d: 1 } };
    assert.equal(toEnvoyYaml(value), toYaml(value));
    assert.deepEqual(load(toEnvoyYaml(value)), value);
  });

  it("plain toYaml writes no flow collection", () => {
    const value = { address: { socket_address: { address: "127.0.0.1", port_value: 9001 } }, l: [[1, 2]] };
    assert.equal(
      toYaml(value),
      [
        "address:",
        "  socket_address:",
        "    address: 127.0.0.1",
        "    port_value: 9001",
        "l:",
        "- - 1",
        "  - 2",
        "",
      ].join("\n"),
    );
  });

  it("every Envoy file of a synthetic mesh: flow collections are js-yaml's own text, within the limits, free of anchors and aliases", () => {
    const mesh = parseMeshConfig(syntheticMeshConfig({ services: 12 }));
    const configs = [
      ...allInstances(mesh).map((instance) => sidecarConfig(mesh, instance)),
      ...mesh.clusters.map((cluster) => gatewayConfig(mesh, cluster.name)),
    ];
    let flows = 0;
    for (const config of configs) {
      for (const document of [config.bootstrap, config.listeners, config.clusters]) {
        flows += assertFlow(document).length;
        assert.equal(toEnvoyYaml(reversedKeys(document)), toEnvoyYaml(document));
      }
    }
    assert.ok(flows > 100, `${flows} flow collections`);
  });

  describe("random values", () => {
    const awkward = fc.constantFrom(
      "a,b",
      "x: y",
      "[1]",
      "{a}",
      "*star",
      "&amp",
      "#hash",
      "a #b",
      "",
      "null",
      "true",
      "0.250s",
      "spiffe://x/y",
      "?x",
      "a?b",
      "- x",
      "'q",
      '"',
      "1",
      "<<",
      " lead",
      "trail ",
      "line\nbreak",
    );
    const keys = fc.oneof(awkward, fc.constantFrom("a", "b", "name", "1", "0"), fc.string({ maxLength: 6 }));
    const scalars = yamlScalars(
      awkward,
      fc.string({ maxLength: 12 }),
      fc.string({ unit: fc.constantFrom(..."ab:?,[]{}#&*!|>'\"%@`- ."), maxLength: 6 }),
    );
    const trees = yamlTrees(keys, scalars);
    /** Random trees, some repeated (so some flow candidates are anchored, aliased or hold an alias). */
    const documents = fc
      .tuple(trees, trees, trees)
      .map(([t0, t1, t2]) => ({ a: t0, b: [t1, structuredClone(t0), { t2 }], c: { d: t2, e: [t1, t0] } }));

    it("round-trips; flow collections are js-yaml's own flow text, within the limits, without anchors or aliases inside", () => {
      fc.assert(
        fc.property(fc.oneof(trees, documents), (value) => {
          if (value === undefined) return;
          assertFlow(value);
        }),
        { numRuns: 2000 },
      );
    });

    it("is deterministic whatever the key insertion order", () => {
      fc.assert(
        fc.property(documents, (value) => {
          const text = toEnvoyYaml(value);
          return toEnvoyYaml(value) === text && toEnvoyYaml(reversedKeys(value)) === text;
        }),
        { numRuns: 500 },
      );
    });

    it("plain toYaml writes every non-empty collection in block style", () => {
      fc.assert(
        fc.property(documents, (value) => {
          for (const event of parseEvents(toYaml(value), {})) {
            if (event.type === EVENT_ID.SEQUENCE || event.type === EVENT_ID.MAPPING) {
              if (event.style === COLLECTION_STYLE.FLOW) {
                const text = toYaml(value);
                assert.ok(["[]", "{}"].includes(text.slice(event.start, event.start + 2)), "only empty flow");
              }
            }
          }
        }),
        { numRuns: 300 },
      );
    });
  });
});
