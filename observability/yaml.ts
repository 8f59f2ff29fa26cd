/** Deterministic YAML for the Prometheus files: sorted keys, no anchors, no folding. */
import { dump } from "js-yaml";
import { compareStrings } from "../model/mesh";

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => compareStrings(a, b))
        .map(([k, v]) => [k, sortKeysDeep(v)]),
    );
  }
  return value;
}

export function prometheusYaml(value: unknown): string {
  return dump(sortKeysDeep(value), { noRefs: true, lineWidth: -1 });
}
