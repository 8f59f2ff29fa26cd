/** Deterministic YAML: the bytes depend only on the value, never on insertion order or the machine. */
import { dump, type DumpOptions } from "js-yaml";
import { compareStrings } from "../model/mesh";

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
 * js-yaml's options for every file. `seqNoIndent` (js-yaml 5's name for noArrayIndent): a list that is a mapping's value starts at the key's column
 * (`key:\n- item`), the layout kubectl and Envoy's docs use; a third of the bytes were indentation before.
 */
export const YAML_DUMP_OPTIONS: DumpOptions = { noRefs: true, lineWidth: -1, seqNoIndent: true };
const DUMP_OPTIONS: DumpOptions = { ...YAML_DUMP_OPTIONS, sortKeys: keyOrder };

/**
 * Sorted keys, lists kept in their (already stable) order, no anchors, no line folding, lists not indented under
 * their key. The block structure is
 * written here and every scalar is formatted by js-yaml itself (memoised: the same strings recur in every file), so
 * the bytes are js-yaml's; values with anything the fast path does not cover (multi-line strings, non-plain
 * objects) go to js-yaml whole.
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

/** js-yaml's text for a single-line scalar (without the newline), or undefined when the fast path must not apply. */
function scalar(value: unknown): string | undefined {
  switch (typeof value) {
    case "string": {
      let text = stringTexts.get(value);
      if (text === undefined) {
        text = /[\n\r]/.test(value) ? null : dumpScalar(value);
        if (stringTexts.size >= SCALAR_CACHE_LIMIT) stringTexts.clear();
        stringTexts.set(value, text);
      }
      return text ?? undefined;
    }
    case "number":
    case "boolean": {
      // A Map key's SameValueZero would take -0 for 0, which js-yaml writes differently.
      if (Object.is(value, -0)) return dumpScalar(value) ?? undefined;
      let text = otherTexts.get(value);
      if (text === undefined) {
        text = dumpScalar(value);
        if (otherTexts.size >= SCALAR_CACHE_LIMIT) otherTexts.clear();
        otherTexts.set(value, text);
      }
      return text ?? undefined;
    }
    default:
      return value === null ? "null" : undefined;
  }
}

/** js-yaml's own text for a scalar, or null when it is not a single line. */
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

/**
 * Writes `value` as a block document whose lines start with `indent`, ending in a newline. Returns false when the
 * value needs js-yaml (the caller then discards `out`).
 */
function writeBlock(value: unknown, indent: string, out: string[]): boolean {
  if (Array.isArray(value)) {
    if (value.length === 0) return pushScalarLine("[]", out);
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(indent);
      out.push("- ");
      if (!writeBlock(value[i] === undefined ? null : value[i], `${indent}  `, out)) return false;
    }
    return true;
  }
  if (isPlainObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort(keyOrder);
    if (keys.length === 0) return pushScalarLine("{}", out);
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
  return text !== undefined && pushScalarLine(text, out);
}

function isNonEmptyCollection(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return isPlainObject(value) && Object.keys(value).some((k) => value[k] !== undefined);
}

function pushScalarLine(text: string, out: string[]): boolean {
  out.push(text, "\n");
  return true;
}

/**
 * A protobuf JSON Duration ("0.250s", "15s"). Proto3 JSON writes 0, 3, 6 or 9 fractional digits; we do the same
 * so the text reads the way Envoy echoes it back in config_dump.
 */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`duration: ${seconds} is not a non-negative number`);
  const totalNanos = Math.round(seconds * 1e9);
  const whole = Math.floor(totalNanos / 1e9);
  const nanos = totalNanos - whole * 1e9;
  if (nanos === 0) return `${whole}s`;
  const digits = nanos % 1e6 === 0 ? 3 : nanos % 1e3 === 0 ? 6 : 9;
  const fraction = String(nanos).padStart(9, "0").slice(0, digits);
  return `${whole}.${fraction}s`;
}
