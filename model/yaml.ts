/**
 * The one YAML writer for every generated file (Envoy, Kubernetes, Prometheus): plain block YAML that people review
 * in pull requests and in `kubectl get cm -o yaml`. Sorted keys, lists kept in their (already stable) order, no
 * line folding, no anchors or aliases, no flow style: the bytes depend only on the value.
 */
import { dump, DUMP_SCHEMA, NOT_RESOLVED, type DumpOptions } from "js-yaml";
// From ./order, not ./mesh's re-export: a transpiled re-export is a getter, read on every comparison.
import { compareStrings } from "./order";

/** Whether a key is an array index ("0", "17"): JavaScript objects order those first, numerically. */
function isArrayIndex(key: string): boolean {
  const first = key.charCodeAt(0);
  if (!(first >= 48 && first <= 57)) return false;
  return /^(?:0|[1-9]\d*)$/.test(key) && Number(key) < 4294967295;
}

/**
 * The key order of an object rebuilt from entries sorted with `compareStrings`: array-index keys first in numeric
 * order (JavaScript's own property order), then the others by `compareStrings`.
 */
function keyOrder(a: unknown, b: unknown): number {
  const x = String(a);
  const y = String(b);
  const xi = isArrayIndex(x);
  const yi = isArrayIndex(y);
  if (xi && yi) return Number(x) - Number(y);
  if (xi !== yi) return xi ? -1 : 1;
  return compareStrings(x, y);
}

/**
 * js-yaml's options for every file. `noRefs`: a value that occurs twice is written twice, never as an anchor and
 * alias. `seqNoIndent` (js-yaml 5's name for noArrayIndent): a list that is a mapping's value starts at the key's
 * column (`key:\n- item`), the layout kubectl and Envoy's docs use.
 */
export const YAML_DUMP_OPTIONS: DumpOptions = { noRefs: true, lineWidth: -1, seqNoIndent: true };
const DUMP_OPTIONS: DumpOptions = { ...YAML_DUMP_OPTIONS, sortKeys: keyOrder };

/**
 * The block structure is written here and every scalar's text is js-yaml's own: a string js-yaml writes as it is
 * (`isPlainAsIs`) or as a plain literal block (`isLiteralBlockAsIs`) is written without asking it, any other scalar
 * is formatted by js-yaml (memoised: the same values recur in every file), and a value with anything the fast path
 * does not cover (an explicit `? ` key, a carriage return, a `|+` block, a class instance) goes to js-yaml whole.
 * tests/model/yamlScalars.spec.ts holds every path to js-yaml's own `dump`.
 */
export function toYaml(value: unknown): string {
  if (value !== null && typeof value === "object") {
    // Pieces joined once: concatenating them instead leaves each file a tree of rope pieces, four times its size.
    const out: string[] = [];
    if (writeBlock(value, "", out)) return out.join("");
  }
  // A scalar document (js-yaml quotes `---` there, not below it) or something the fast path declined.
  return dump(value, DUMP_OPTIONS);
}

/**
 * A string js-yaml's dumper writes as it is when it is a key or a value below the document's root: printable ASCII
 * matching YAML's one-line plain scalar in block context (ns-plain-one-line, YAML 1.2 §7.3.3, as js-yaml spells it
 * in src/ast/scalar_styler.ts: no indicator first unless `-?:` precede a non-space, no `: ` or ` #`, no space at
 * either end; tabs excluded, which js-yaml double-quotes), that no implicit tag of its dump schema resolves (so
 * `yes`, `null`, `0x1F`, `1e3`, `2001-12-14`, `<<` are left to js-yaml), and is not `=` (js-yaml quotes it).
 */
const NS_CHAR = "[!-~]";
const INDICATOR = "[-?:,\\[\\]{}#&*!|>'\"%@`]";
const PLAIN_ASCII_ONE_LINE = new RegExp(
  `^(?:(?!${INDICATOR})${NS_CHAR}|[-?:](?=${NS_CHAR}))#*(?: *(?:(?![:#])${NS_CHAR}|:(?=${NS_CHAR}))#*)*$`,
);
const IMPLICIT_SCALAR_TAGS = DUMP_SCHEMA.tags.flatMap((tag) =>
  tag.nodeKind === "scalar" && tag.implicit && tag !== DUMP_SCHEMA.defaultScalarTag ? [tag] : [],
);

export function isPlainAsIs(value: string): boolean {
  if (value === "=" || !PLAIN_ASCII_ONE_LINE.test(value)) return false;
  const first = value.charAt(0);
  for (const tag of IMPLICIT_SCALAR_TAGS) {
    // implicitFirstChars: the first characters for which `resolve` may succeed, as js-yaml's own dispatch reads it.
    if (tag.implicitFirstChars !== null && !tag.implicitFirstChars.includes(first)) continue;
    if (tag.resolve(value, false, tag.tagName) !== NOT_RESOLVED) return false;
  }
  return true;
}

/**
 * A multi-line string js-yaml writes as a literal block with no indentation indicator and clip or strip chomping
 * (`|` or `|-`): printable ASCII and line feeds only (no tab, carriage return or other character js-yaml
 * double-quotes), starting with neither a space nor a line break, and not ending with an empty line (`|+`).
 */
const LITERAL_ASCII = /^[ -~][ -~\n]*$/;

export function isLiteralBlockAsIs(value: string): boolean {
  return value.includes("\n") && value.charAt(0) !== " " && !value.endsWith("\n\n") && LITERAL_ASCII.test(value);
}

/** The literal block as js-yaml writes it below the root: each non-empty line starting at `indent`. */
function literalBlock(value: string, indent: string): string {
  const clip = value.endsWith("\n");
  const lines = (clip ? value.slice(0, -1) : value).split("\n");
  return `|${clip ? "" : "-"}\n${lines.map((line) => (line === "" ? "" : indent + line)).join("\n")}`;
}

/**
 * js-yaml's text for each string seen, by value: `lineTexts` for strings with no line break (null: declined),
 * `dumpedBlocks` for multi-line strings js-yaml formatted, as written one level below the root (null: declined).
 * Literal blocks the fast path writes are not kept: a certificate chain occurs once. Cleared when too big.
 */
const lineTexts = new Map<string, string | null>();
const dumpedBlocks = new Map<string, string | null>();
const otherTexts = new Map<number | boolean, string | null>();
const SCALAR_CACHE_LIMIT = 50_000;

function remember<K, V>(cache: Map<K, V>, key: K, value: V): V {
  if (cache.size >= SCALAR_CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

/**
 * js-yaml's text for a string with no line break (as a key or a value below the root), or null for any other: a
 * key with a line break is an explicit `? ` key even when its text is one double-quoted line.
 */
function lineText(value: string): string | null {
  const text = lineTexts.get(value);
  if (text !== undefined) return text;
  if (value.includes("\n")) return null;
  return remember(lineTexts, value, stringText(value));
}

/** js-yaml's text for a multi-line string below the root, its lines starting at `indent`; null: declined. */
function blockText(value: string, indent: string): string | null {
  if (isLiteralBlockAsIs(value)) return literalBlock(value, indent);
  let text = dumpedBlocks.get(value);
  if (text === undefined) text = remember(dumpedBlocks, value, stringText(value));
  // A literal block's lines are indented for one level below the root (two spaces); here they start at `indent`.
  return text === null || indent.length === 2 ? text : text.replaceAll("\n  ", `\n${indent}`);
}

/**
 * js-yaml's text for a scalar below the root, with `indent` the column a literal block's lines start at, or
 * undefined when the fast path must not apply.
 */
function scalar(value: unknown, indent: string): string | undefined {
  switch (typeof value) {
    case "string":
      return lineText(value) ?? (value.includes("\n") ? blockText(value, indent) : null) ?? undefined;
    case "number":
    case "boolean": {
      // A Map key's SameValueZero would take -0 for 0, which js-yaml writes differently.
      if (Object.is(value, -0)) return dumpItem(value) ?? undefined;
      const text = otherTexts.get(value);
      return (text === undefined ? remember(otherTexts, value, dumpItem(value)) : text) ?? undefined;
    }
    default:
      return value === null ? "null" : undefined;
  }
}

/**
 * A string's text as a list item's: js-yaml writes a key's or a value's text the same at any depth below the root,
 * except a literal block's indentation (re-indented by `blockText`). Declined: a carriage return, and a block kept with
 * its final empty lines (`|+`), after which js-yaml may end the document with `...`.
 */
function stringText(value: string): string | null {
  if (isPlainAsIs(value)) return value;
  if (value.includes("\r") || value === "\n" || value.endsWith("\n\n")) return null;
  return dumpItem(value);
}

function dumpItem(value: string | number | boolean): string | null {
  const text = dump([value], DUMP_OPTIONS);
  if (!text.startsWith("- ") || !text.endsWith("\n")) return null;
  const body = text.slice(2, -1);
  // Only a literal block may span lines (lineWidth -1: never folded).
  return body.includes("\n") && !body.startsWith("|") ? null : body;
}

/** A key's text, or undefined when js-yaml would write it as an explicit `? ` key (a line break or over 1,024). */
function keyText(key: string): string | undefined {
  const text = lineText(key);
  return text === null || text.length > 1024 ? undefined : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * The keys js-yaml writes (those whose value is not undefined) in `keyOrder`. `Object.keys` lists array-index keys
 * first in ascending numeric order (ECMA-262 OrdinaryOwnPropertyKeys), which is `keyOrder`'s own order for them, so
 * only the keys after them are sorted, with `compareStrings`; keys are distinct, so any correct sort gives one order.
 */
function writtenKeys(value: Record<string, unknown>): string[] {
  const all = Object.keys(value);
  let keys = all;
  for (let i = 0; i < all.length; i++) {
    if (value[all[i]!] === undefined) {
      keys = all.filter((k) => value[k] !== undefined);
      break;
    }
  }
  let first = 0;
  while (first < keys.length && isArrayIndex(keys[first]!)) first++;
  const count = keys.length - first;
  if (count > 16) {
    const sorted = keys.slice(first).sort(compareStrings);
    for (let i = 0; i < count; i++) keys[first + i] = sorted[i]!;
  } else {
    // Insertion sort: most mappings have a handful of keys, often already in order.
    for (let i = first + 1; i < keys.length; i++) {
      const key = keys[i]!;
      let j = i - 1;
      while (j >= first && compareStrings(keys[j]!, key) > 0) {
        keys[j + 1] = keys[j]!;
        j--;
      }
      keys[j + 1] = key;
    }
  }
  return keys;
}

/**
 * Writes a collection as block lines whose first line continues the current one and whose others start at
 * `indent`; false when the value needs js-yaml (the caller discards the text).
 */
function writeBlock(value: object, indent: string, out: string[]): boolean {
  if (Array.isArray(value)) return writeSequence(value, indent, out);
  if (!isPlainObject(value)) return false;
  const keys = writtenKeys(value);
  if (keys.length > 0) return writeMapping(value, keys, indent, out);
  out.push("{}\n");
  return true;
}

function writeSequence(value: readonly unknown[], indent: string, out: string[]): boolean {
  if (value.length === 0) {
    out.push("[]\n");
    return true;
  }
  const inner = `${indent}  `;
  for (let i = 0; i < value.length; i++) {
    out.push(i > 0 ? `${indent}- ` : "- ");
    if (!writeValue(value[i] === undefined ? null : value[i], inner, out)) return false;
  }
  return true;
}

/** A mapping with at least one written key, `keys` in the order they are written. */
function writeMapping(value: Record<string, unknown>, keys: readonly string[], indent: string, out: string[]): boolean {
  const inner = `${indent}  `;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const text = keyText(k);
    if (text === undefined) return false;
    if (i > 0) out.push(indent);
    const v = value[k];
    if (v !== null && typeof v === "object") {
      // seqNoIndent: a list under a key starts at the key's own column; a mapping is indented.
      if (Array.isArray(v)) {
        if (v.length > 0) {
          out.push(text, ":\n", indent);
          if (!writeSequence(v, indent, out)) return false;
          continue;
        }
      } else if (isPlainObject(v)) {
        const innerKeys = writtenKeys(v);
        if (innerKeys.length > 0) {
          out.push(text, ":\n", inner);
          if (!writeMapping(v, innerKeys, inner, out)) return false;
          continue;
        }
      }
    }
    out.push(text, ": ");
    if (!writeValue(v, inner, out)) return false;
  }
  return true;
}

/** A value after `key: ` or `- `: a collection or a scalar line. */
function writeValue(value: unknown, indent: string, out: string[]): boolean {
  if (value !== null && typeof value === "object") return writeBlock(value, indent, out);
  const text = scalar(value, indent);
  if (text === undefined) return false;
  out.push(text, "\n");
  return true;
}
