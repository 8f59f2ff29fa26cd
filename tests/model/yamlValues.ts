/** Values for the YAML writer's tests (yamlFastPath, yamlAnchors, yamlFlow): what YAML can hold, and random trees. */
import fc from "fast-check";

/** The value as YAML can hold it: undefined dropped from mappings, null in sequences. */
export function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : normalize(v)));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, normalize(v)]),
    );
  }
  return value;
}

/** A deep copy whose mappings list their keys in reverse: the same value, another insertion order. */
export function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .reverse()
        .map(([k, v]) => [k, reversedKeys(v)]),
    );
  }
  return value;
}

/**
 * Scalars for `yamlTrees`: the given string arbitraries, then every other kind the writer must handle (numbers,
 * booleans, null, undefined and -0), each as likely as one of the string arbitraries.
 */
export function yamlScalars(...strings: fc.Arbitrary<string>[]): fc.Arbitrary<unknown> {
  return fc.oneof<fc.Arbitrary<unknown>[]>(
    ...strings,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.constant(-0),
  );
}

/** Random JSON-like trees, small and nested: sequences of up to 4 items, mappings of up to 4 of `keys`. */
export function yamlTrees(keys: fc.Arbitrary<string>, scalars: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: "small" },
      scalars,
      fc.array(tie("node"), { maxLength: 4 }),
      fc.dictionary(keys, tie("node"), { maxKeys: 4 }),
    ),
  })).node;
}
