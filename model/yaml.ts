/**
 * The one YAML writer for every generated file (Envoy, Kubernetes, Prometheus): plain block YAML that people review
 * in pull requests and in `kubectl get cm -o yaml`. Sorted keys, lists kept in their (already stable) order, no
 * line folding, no anchors or aliases, no flow style: the bytes depend only on the value.
 */
import { dump, type DumpOptions } from "js-yaml";
import { compareStrings } from "./mesh";

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
 * The block structure is written here and every scalar is formatted by js-yaml itself (memoised: the same strings
 * recur in every file), so the bytes are js-yaml's own; a value with anything the fast path does not cover
 * (multi-line strings, non-plain objects) goes to js-yaml whole.
 */
export function toYaml(value: unknown): string {
  const out: string[] = [];
  if (!writeBlock(value, "", out)) return dump(value, DUMP_OPTIONS);
  return out.join("");
}

/** js-yaml's text for each scalar seen, by value (null: not a single line); cleared when it grows too big. */
const stringTexts = new Map<string, string | null>();
const otherTexts = new Map<number | boolean, string | null>();
const SCALAR_CACHE_LIMIT = 50_000;

function memoised<K, V>(cache: Map<K, V>, key: K, compute: (key: K) => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    value = compute(key);
    if (cache.size >= SCALAR_CACHE_LIMIT) cache.clear();
    cache.set(key, value);
  }
  return value;
}

/** js-yaml's text for a single-line scalar (without the newline), or undefined when the fast path must not apply. */
function scalar(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return memoised(stringTexts, value, dumpString) ?? undefined;
    case "number":
    case "boolean": {
      // A Map key's SameValueZero would take -0 for 0, which js-yaml writes differently.
      if (Object.is(value, -0)) return dumpScalar(value) ?? undefined;
      return memoised(otherTexts, value, dumpScalar) ?? undefined;
    }
    default:
      return value === null ? "null" : undefined;
  }
}

function dumpString(value: string): string | null {
  return /[\n\r]/.test(value) ? null : dumpScalar(value);
}

function dumpScalar(value: string | number | boolean): string | null {
  const text = dump(value, DUMP_OPTIONS);
  if (!text.endsWith("\n") || text.indexOf("\n") !== text.length - 1) return null;
  return text.slice(0, -1);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Writes `value` as block lines starting at `indent`; false when the value needs js-yaml (the caller discards `out`). */
function writeBlock(value: unknown, indent: string, out: string[]): boolean {
  if (Array.isArray(value)) {
    if (value.length === 0) return pushLine("[]", out);
    const inner = `${indent}  `;
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(indent);
      out.push("- ");
      if (!writeBlock(value[i] === undefined ? null : value[i], inner, out)) return false;
    }
    return true;
  }
  if (isPlainObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort(keyOrder);
    if (keys.length === 0) return pushLine("{}", out);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const keyText = scalar(k);
      if (keyText === undefined) return false;
      if (i > 0) out.push(indent);
      out.push(keyText, ":");
      const v = value[k];
      if (isNonEmptyCollection(v)) {
        // seqNoIndent: a list under a key starts at the key's own column; a mapping is indented.
        const inner = Array.isArray(v) ? indent : `${indent}  `;
        out.push("\n", inner);
        if (!writeBlock(v, inner, out)) return false;
      } else {
        out.push(" ");
        if (!writeBlock(v, `${indent}  `, out)) return false;
      }
    }
    return true;
  }
  const text = scalar(value);
  return text !== undefined && pushLine(text, out);
}

function isNonEmptyCollection(value: unknown): value is object {
  if (Array.isArray(value)) return value.length > 0;
  return isPlainObject(value) && Object.keys(value).some((k) => value[k] !== undefined);
}

function pushLine(text: string, out: string[]): boolean {
  out.push(text, "\n");
  return true;
}
