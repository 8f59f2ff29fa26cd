/** Deterministic YAML: the bytes depend only on the value, never on insertion order or the machine. */
import { dump } from "js-yaml";
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
 * Sorted keys, lists kept in their (already stable) order, no anchors, no line folding. js-yaml sorts while it
 * dumps, so the value is not copied first; keys whose value is undefined are left out, as before.
 */
export function toYaml(value: unknown): string {
  return dump(value, { noRefs: true, lineWidth: -1, sortKeys: keyOrder });
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
