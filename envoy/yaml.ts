/** Deterministic YAML: the bytes depend only on the value, never on insertion order or the machine. */
import { dump } from "js-yaml";
import { compareStrings } from "../model/mesh";

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

/** Sorted keys, lists kept in their (already stable) order, no anchors, no line folding. */
export function toYaml(value: unknown): string {
  return dump(sortKeysDeep(value), { noRefs: true, lineWidth: -1 });
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
