/**
 * toYaml's scalar fast paths (`isPlainAsIs`, `isLiteralBlockAsIs`) against js-yaml's own dump: over a generated
 * corpus (YAML 1.1 and 1.2 keywords, numbers, timestamps, indicators, spaces, unicode, every string of up to three
 * characters over an alphabet of the awkward ones) and every string in the dev and prod sidecars' and the goldens'
 * Envoy files. A string the fast path takes must come out exactly as js-yaml writes it, at any depth, as a key and
 * as a value; one it declines still does (js-yaml formats it).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { dump, load } from "js-yaml";
import { isLiteralBlockAsIs, isPlainAsIs, toYaml, YAML_DUMP_OPTIONS } from "../../model/yaml";
import { instancesOf } from "../../model/mesh";
import { sidecarConfig } from "../../envoy";
import { stackMesh } from "../helpers/stacks";

const jsYaml = (value: unknown): string => dump(value, YAML_DUMP_OPTIONS);

/** The value at `depth` mappings below the root, then as a list item and as a key there. */
function placements(value: string, depth: number): unknown[] {
  const nest = (inner: unknown): unknown => {
    let v = inner;
    for (let d = 0; d < depth; d++) v = { k: v };
    return v;
  };
  return [nest(value), nest([value, "x"]), nest([[value]]), nest({ [value]: 1 }), nest([{ [value]: value }])];
}

const KEYWORDS = [
  ...["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE"],
  ...["on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "nULL", "~", "", "=", "<<", "<", "yess", "tru"],
  ...["0", "-0", "+1", "1_000", "0x1F", "0X1F", "0xG", "0o17", "0o8", "017", "09", "0b101", "0b2", "1:20", "190:20:30"],
  ...["1.5", "1e3", "1E3", "1e+3", "-1.5e-3", ".5", "5.", "+.5", "1_000.5", "6.8523015e+5", "685.230_15e+03"],
  ...[".inf", ".Inf", ".INF", "-.inf", "+.inf", ".nan", ".NaN", ".NAN", ".iNf", "inf", "nan", "NaN", "Infinity"],
  ...["2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2002-12-14", "2001-1-1", "1-2-3"],
  ...["127.0.0.1", "10.0.0.0/8", "::1", "[::1]:80", "5s", "0.25s", "300s", "1.5.6", "v1", "1h", "80:80"],
];
const INDICATORS = ["-", "?", ":", ",", "[", "]", "{", "}", "#", "&", "*", "!", "|", ">", "'", '"', "%", "@", "`"];
const ODD = [
  ...INDICATORS.flatMap((c) => [c, `${c}x`, `${c} x`, `x${c}`, `x${c}y`, `x ${c}`, `x ${c}y`, `x${c} y`, `${c}${c}`]),
  ...["---", "--- x", "---x", "...", "... x", "....", "- ", " -", "a: b", "a:b", "a :b", "a #b", "a#b", "a# b"],
  ...[" a", "a ", "  ", " ", "\t", "a\tb", "a\t", "é", "aé", "x\u2028y", "\uFEFFx", "x\x7F", "x\x85", "x\xA0", "💥"],
  ...["%REQ(:METHOD)%", "@type", "type.googleapis.com/envoy.config.core.v3.Node", "spiffe://lucid.mesh/ns/a", "a,b"],
  ...["{a}", "[a]", "a{b}", "*x", "&x", "!x", "!!str", "|x", ">x", "'x'", '"x"', "a'b", 'a"b', "a\\b", "a\u0000b"],
];
const ALPHABET = ["a", "y", "n", "0", "1", ".", "-", ":", "#", " ", "?", "~", "<", "=", "'", "\t", "é", "_", "e"];
function allStrings(maxLength: number): string[] {
  let level = [""];
  const all = [""];
  for (let n = 1; n <= maxLength; n++) {
    level = level.flatMap((s) => ALPHABET.map((c) => s + c));
    all.push(...level);
  }
  return all;
}

/** Every string (key or value) in a parsed YAML document. */
function stringsIn(value: unknown, into: Set<string>): Set<string> {
  if (typeof value === "string") into.add(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, into);
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      into.add(k);
      stringsIn(v, into);
    }
  }
  return into;
}

function renderedStrings(): Set<string> {
  const strings = new Set<string>();
  for (const stack of ["dev", "prod"] as const) {
    const mesh = stackMesh(stack);
    for (const service of mesh.services) {
      for (const instance of instancesOf(mesh, service)) stringsIn(sidecarConfig(mesh, instance), strings);
    }
  }
  const goldens = path.join(__dirname, "..", "envoy", "testdata", "golden");
  for (const dir of fs.readdirSync(goldens)) {
    for (const file of fs.readdirSync(path.join(goldens, dir))) {
      stringsIn(load(fs.readFileSync(path.join(goldens, dir, file), "utf8")), strings);
    }
  }
  return strings;
}

const PEM = [
  "-----BEGIN CERTIFICATE-----",
  "MIICjTCCAjSgAwIBAgIQcS4gYeoKsDnRH+n/HbesjzAKBggqhkjOPQQDAjBOMRMw",
  "EQYDVQQKEwpsdWNpZC1tZXNoMQ0wCwYDVQQLEwRlYXN0MSgwJgYDVQQDEx9sdWNp",
  "-----END CERTIFICATE-----",
  "",
].join("\n");
const MULTI_LINE = [
  PEM,
  PEM + PEM,
  PEM.slice(0, -1),
  "a\nb",
  "a\n",
  "a\n\nb",
  "a\n\nb\n",
  "a\n b",
  "a\n  b\n",
  "a \nb",
  "a\n---\nb",
  "a\n...\n",
  "---\nx",
  "#a\nb",
  "- a\nb",
  "a: b\nc",
  "'a\nb'",
  "yes\nno",
  "a\n\n",
  "a\n\n\n",
  " a\nb",
  "\na",
  "\n",
  "\n\n",
  "a\tb\nc",
  "a\r\nb",
  "a\rb",
  "é\nx",
  "x\n\uFEFF",
  "x\n\u2028",
  " \n ",
];

function assertSameAsJsYaml(value: string, depths: readonly number[]): void {
  for (const depth of depths) {
    for (const doc of placements(value, depth)) {
      assert.equal(toYaml(doc), jsYaml(doc), `${JSON.stringify(value)} at depth ${depth}: ${JSON.stringify(doc)}`);
    }
  }
}

describe("toYaml scalar fast paths: exactly js-yaml's bytes", () => {
  const generated = [...KEYWORDS, ...ODD, ...allStrings(3)];

  it("takes a one-line string as is only when js-yaml writes it as is, as a key and as a value", () => {
    let taken = 0;
    for (const s of generated) {
      const asItem = jsYaml([s]) === `- ${s}\n`;
      const asKey = jsYaml({ [s]: 1 }) === `${s}: 1\n`;
      if (isPlainAsIs(s)) {
        taken++;
        assert.ok(asItem && asKey, `fast path took ${JSON.stringify(s)}, which js-yaml quotes`);
      } else if (/^[ -~]*$/.test(s)) {
        // Printable ASCII: the fast path follows js-yaml's grammar exactly, so it declines only what js-yaml quotes.
        assert.ok(!asItem, `fast path declined ${JSON.stringify(s)}, which js-yaml writes as is`);
      }
    }
    assert.ok(taken > 1000, `only ${taken} strings took the fast path`);
  });

  it("writes every generated string as js-yaml does, at the root's level and below, in lists and as keys", () => {
    for (const s of generated) assertSameAsJsYaml(s, [0, 1, 3]);
  });

  it("writes every string of the dev and prod sidecars and the goldens as js-yaml does", () => {
    const strings = renderedStrings();
    assert.ok(strings.size > 300, `only ${strings.size} strings`);
    let plain = 0;
    for (const s of strings) {
      if (isPlainAsIs(s)) plain++;
      assertSameAsJsYaml(s, [1, 2]);
    }
    assert.ok(plain > strings.size / 2, "most rendered strings take the fast path");
  });

  it("writes random strings as js-yaml does (ASCII, printable and not, and any unicode)", () => {
    const strings = fc.oneof(
      fc.string({ unit: "binary-ascii", maxLength: 12 }),
      fc.stringMatching(/^[ -~]{0,12}$/),
      fc.string({ unit: "grapheme", maxLength: 8 }),
      fc.string({ unit: fc.constantFrom(...ALPHABET, "\n", "\r", "\t"), maxLength: 10 }),
    );
    fc.assert(
      fc.property(strings, fc.integer({ min: 0, max: 4 }), (s, depth) => {
        for (const doc of placements(s, depth)) if (toYaml(doc) !== jsYaml(doc)) return false;
        return true;
      }),
      { numRuns: 5000 },
    );
  });

  it("declines what js-yaml must format: keywords, numbers, timestamps, indicators, edge spaces, non-ASCII", () => {
    const declined = ["yes", "No", "on", "OFF", "y", "n", "null", "~", "", "=", "<<", "0x1F", "0o17", "017", "0b101"];
    declined.push("1:20", "1e3", ".5", ".inf", "-.inf", ".NaN", "2001-12-14", "2001-12-14 21:59:43.10 -5", "123");
    declined.push(" a", "a ", "- x", "? x", ": x", "-", "a: b", "a #b", "#x", "@type", "%x", "'x", "*x", "a\tb");
    declined.push("é", "a\u2028b", "a\nb", "a\rb");
    for (const s of declined) assert.equal(isPlainAsIs(s), false, JSON.stringify(s));
    for (const s of ["a", "east-api-gateway", "a:b", "a#b", "-x", "?x", ":x", "/etc/envoy", "yess", "0.25s"]) {
      assert.equal(isPlainAsIs(s), true, JSON.stringify(s));
    }
  });

  it("writes a string below the root as js-yaml does there, where `---` and `...` need no quotes", () => {
    assert.equal(toYaml({ a: "---", "...": ["--- x"] }), "...:\n- --- x\na: ---\n");
    assert.equal(toYaml({ a: "---", "...": ["--- x"] }), jsYaml({ "...": ["--- x"], a: "---" }));
    // At the root, a document marker must be quoted: toYaml leaves a scalar document to js-yaml.
    assert.equal(toYaml("---"), "'---'\n");
  });
});

describe("toYaml literal blocks: exactly js-yaml's bytes", () => {
  it("takes a multi-line string as a literal block only when js-yaml writes one with no indicator and no keep", () => {
    for (const s of MULTI_LINE) {
      const text = jsYaml({ k: s });
      if (isLiteralBlockAsIs(s)) assert.match(text, /^k: \|-?\n/, JSON.stringify(s));
    }
  });

  it("writes every multi-line string as js-yaml does, at any depth and in lists", () => {
    for (const s of MULTI_LINE) {
      for (let depth = 0; depth <= 5; depth++) {
        // As a key too: the fast path hands a multi-line key to js-yaml whole (an explicit `? ` key).
        for (const doc of placements(s, depth)) {
          assert.equal(toYaml(doc), jsYaml(doc), `${JSON.stringify(s)} at depth ${depth}`);
        }
      }
    }
  });

  it("declines a leading space or line break, a kept final line break, tabs, carriage returns and non-ASCII", () => {
    for (const s of [" a\nb", "\na", "\n", "a\n\n", "a\n\n\n", "a\tb\nc", "a\r\nb", "é\nx", "x\n\uFEFF", "a", " \n "]) {
      assert.equal(isLiteralBlockAsIs(s), false, JSON.stringify(s));
    }
    for (const s of [PEM, "a\nb", "a\n", "a\n\nb", "a\n b", "a \nb"]) assert.equal(isLiteralBlockAsIs(s), true);
  });

  it("a certificate chain several levels down is the literal block js-yaml writes, indented to its level", () => {
    const doc = { resources: [{ tls: { chain: { inline_string: PEM } } }] };
    assert.equal(toYaml(doc), jsYaml(doc));
    assert.match(toYaml(doc), /\n {6}inline_string: \|\n {8}-----BEGIN CERTIFICATE-----\n/);
  });
});

describe("toYaml key order", () => {
  it("array-index keys first in numeric order, the rest sorted, as js-yaml's sorted dump writes them", () => {
    const keys = ["b", "10", "2", "4294967294", "4294967295", "01", "-1", "@type", "a", "0", "Z", "_", "1e3"];
    const value = Object.fromEntries(keys.map((k, i) => [k, i]));
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${(i * 7) % 40}`, i]));
    for (const doc of [value, many, { x: value, y: [many] }, { a: undefined, "3": undefined, b: 1, "1": 2 }]) {
      const sorted = (v: unknown): unknown =>
        Array.isArray(v)
          ? v.map(sorted)
          : v !== null && typeof v === "object"
            ? Object.fromEntries(
                Object.keys(v)
                  .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
                  .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
                  .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
              )
            : v;
      assert.equal(toYaml(doc), jsYaml(sorted(doc)));
    }
    assert.match(toYaml(value), /^'0': 9\n'2': 2\n'10': 1\n'4294967294': 3\n'-1': 6\n/);
  });
});
