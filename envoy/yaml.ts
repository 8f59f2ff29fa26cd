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

/** Options for `toYaml`. */
export interface YamlOptions {
  /**
   * Write each repeated subtree once, anchored (`key: &name`), and alias it afterwards (`key: *name`): plain YAML
   * anchors and aliases, which Envoy's loader (yaml-cpp) resolves. Never merge keys (`<<:`), which it does not.
   * Small collections are then also written in flow style on one line (`address: {socket_address: {...}}`, see
   * MAX_FLOW_LENGTH). For Envoy's bootstrap and discovery files only; Kubernetes manifests and everything else stay
   * in block style without anchors.
   */
  readonly anchors?: boolean;
}

/**
 * Sorted keys, lists kept in their (already stable) order, no line folding, lists not indented under their key, and
 * no anchors unless `options.anchors` asks for them (see `toEnvoyYaml`). The block structure is written here and
 * every scalar is formatted by js-yaml itself (memoised: the same strings recur in every file), so the bytes are
 * js-yaml's; values with anything the fast path does not cover (multi-line strings, non-plain objects) go to
 * js-yaml whole, without anchors.
 */
export function toYaml(value: unknown, options?: YamlOptions): string {
  const out: string[] = [];
  if (options?.anchors === true) {
    const anchors = Anchors.of(value);
    if (anchors !== undefined && writeBlock(value, "", out, anchors)) return out.join("");
    return dump(value, DUMP_OPTIONS);
  }
  if (!writeBlock(value, "", out, undefined)) return dump(value, DUMP_OPTIONS);
  return out.join("");
}

/**
 * An Envoy bootstrap or discovery file: `toYaml` with anchors. Each subtree that occurs again in the same document
 * (the JSON access log, SDS configs, TLS parameters, circuit breakers, ...) is written once with an anchor named after
 * the key it first appears under, and every later occurrence is an alias. A small collection with no anchor or alias
 * inside is written in flow style on one line (`socket_address: {address: 127.0.0.1, port_value: 9001}`). Envoy's yaml-cpp
 * and js-yaml both load the file to the same value as the plain block file.
 */
export function toEnvoyYaml(value: unknown): string {
  return toYaml(value, { anchors: true });
}

/** js-yaml's text for each scalar seen, by value (null: not a single line); cleared when it grows too big. */
const stringTexts = new Map<string, string | null>();
const otherTexts = new Map<number | boolean, string | null>();
const SCALAR_CACHE_LIMIT = 50_000;

/** `cache`'s value for `key`, computed and kept on first use; the cache is emptied when it reaches the limit. */
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

/** js-yaml's own text for a string, or null when it spans lines (the fast path's test, before asking js-yaml). */
function dumpString(value: string): string | null {
  return /[\n\r]/.test(value) ? null : dumpScalar(value);
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
 * value needs js-yaml (the caller then discards `out`). With `anchors`, every non-empty collection below the root
 * first asks `anchors.visit` whether it is written out (perhaps anchored) or aliased; `key` is the mapping key the
 * value sits under, which names anchors (a sequence's items are `<key>_item`).
 */
function writeBlock(value: unknown, indent: string, out: string[], anchors: Anchors | undefined, key = ""): boolean {
  if (Array.isArray(value)) {
    if (value.length === 0) return pushScalarLine("[]", out);
    anchors?.enter(value);
    const inner = `${indent}  `;
    const itemKey = `${key}_item`;
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(indent);
      out.push("- ");
      const item: unknown = value[i] === undefined ? null : value[i];
      if (anchors !== undefined && isNonEmptyCollection(item)) {
        // An anchored block item starts on its own line (`- &name`, then the block indented like the item); an
        // anchored flow item stays on the dash's line (`- &name {...}`).
        const flow = anchors.fitsFlow(item, indent.length + 2, itemKey);
        if (anchors.visit(item, out, itemKey, "", flow ? " " : `\n${inner}`)) continue;
        if (flow) {
          out.push(anchors.flow(item), "\n");
          continue;
        }
      }
      if (!writeBlock(item, inner, out, anchors, itemKey)) return false;
    }
    return true;
  }
  if (isPlainObject(value)) {
    const keys = anchors !== undefined ? anchors.enter(value) : sortedKeys(value);
    if (keys.length === 0) return pushScalarLine("{}", out);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const keyText = scalar(k);
      if (keyText === undefined) return false;
      if (i > 0) out.push(indent);
      out.push(keyText, ":");
      const v = value[k];
      if (isNonEmptyCollection(v)) {
        if (anchors !== undefined) {
          const flow = anchors.fitsFlow(v, indent.length + keyText.length + 2, k);
          if (anchors.visit(v, out, k, " ", "")) continue;
          if (flow) {
            out.push(" ", anchors.flow(v), "\n");
            continue;
          }
        }
        // seqNoIndent: a list under a key starts at the key's own column; a mapping is indented.
        const inner = Array.isArray(v) ? indent : `${indent}  `;
        out.push("\n", inner);
        if (!writeBlock(v, inner, out, anchors, k)) return false;
      } else {
        out.push(" ");
        if (!writeBlock(v, `${indent}  `, out, anchors)) return false;
      }
    }
    return true;
  }
  const text = scalar(value);
  return text !== undefined && pushScalarLine(text, out);
}

function sortedKeys(value: Record<string, unknown>): string[] {
  return Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort(keyOrder);
}

function isNonEmptyCollection(value: unknown): value is object {
  if (Array.isArray(value)) return value.length > 0;
  return isPlainObject(value) && Object.keys(value).some((k) => value[k] !== undefined);
}

function pushScalarLine(text: string, out: string[]): boolean {
  out.push(text, "\n");
  return true;
}

/**
 * A subtree is aliased only when its compact JSON text is at least this long. 40 is the smallest that still pays
 * for the alias in every file we write (`tls_params: *tls_params` for a 60-byte block, `dns_failure_refresh_rate`);
 * below it the anchors and alias lines cost about what they save, and the largest sidecar grows again.
 */
const MIN_ALIAS_WEIGHT = 40;

// Token values for what has no id of its own (scalars are 4 * id, collections 4 * id + 1).
const EMPTY_SEQUENCE = 2;
const EMPTY_MAPPING = 6;
const NEGATIVE_ZERO = 10;
const SEQUENCE_START = -1;
const MAPPING_START = -2;
const FAILED = -3;

const NO_KEYS: readonly string[] = [];

/**
 * Flow style (only with anchors): a non-empty collection whose flow text (`{a: 1, b: [x, y]}`) is at most
 * MAX_FLOW_LENGTH characters is written on one line, `key: {...}` or `- {...}`, when that line stays within
 * MAX_FLOW_LINE characters (indentation, key and anchor included). What is left of an Envoy file after the aliases
 * is mostly the indentation of small leaf mappings (`socket_address`, RBAC principals, `path_config_source`, ...).
 * Each scalar's text is js-yaml's own for a flow collection (quoting differs there: `'a,b'`, `'x: y'`); a flow
 * collection never holds an anchor or alias (`plan`), though it may carry one itself (`key: &name {...}`).
 *
 * 80 and 120: on the 100-service synthetic mesh a longer flow text or line saves little more (90/120: -0.5% of the
 * largest sidecar, 100/130: -1.3%) for denser lines, while 120 rather than 110 puts each RBAC principal on one line
 * (`- authenticated: {principal_name: {exact: spiffe://...}}`) and stays under the longest block line already there
 * (a 123-character `'@type': ...`).
 *
 * yaml-cpp (Envoy's YAML loader) is checked outside the test suite, which cannot build against the C++ library: a
 * small program loads every Envoy file of the dev and prod stacks and of synthetic meshes with yaml-cpp 0.7 and the
 * result must equal what it loads from the block file, and js-yaml's value. yaml-cpp ends a plain scalar at any `?`
 * in flow context (`{path: /a?b}` fails to load), which YAML 1.2 and js-yaml allow, so a collection holding a plain
 * scalar with a `?` stays in block style.
 */
const MAX_FLOW_LENGTH = 80;
const MAX_FLOW_LINE = 120;

/** A scalar as `Anchors` keeps it: its token, weight and flow texts (null: none, undefined: not asked yet). */
interface ScalarEntry {
  readonly ref: number;
  readonly weight: number;
  readonly value: FlowScalar;
  keyFlow: string | null | undefined;
  valueFlow: string | null | undefined;
}

type FlowScalar = string | number | boolean | null;

const NEGATIVE_ZERO_ENTRY: ScalarEntry = {
  ref: NEGATIVE_ZERO,
  weight: 2,
  value: -0,
  keyFlow: undefined,
  valueFlow: undefined,
};

const FLOW_DUMP_OPTIONS: DumpOptions = { ...DUMP_OPTIONS, flowLevel: 0 };
/** js-yaml's text for each scalar seen as a flow value / flow mapping key (null: none); cleared when too big. */
const flowValueTexts = new Map<FlowScalar, string | null>();
const flowKeyTexts = new Map<string, string | null>();

/**
 * js-yaml's own text for `value` as an item of a flow collection, or null when it has none that yaml-cpp reads the
 * same: a line break (the block fast path does not take those either) or a `?` in a plain scalar.
 */
function flowValueText(value: unknown): string | null {
  const scalarValue = value as FlowScalar;
  // A Map key's SameValueZero would take -0 for 0, which js-yaml writes differently.
  if (Object.is(scalarValue, -0)) return dumpFlowValue(scalarValue);
  return memoised(flowValueTexts, scalarValue, dumpFlowValue);
}

function dumpFlowValue(value: FlowScalar): string | null {
  if (typeof value === "string" && /[\n\r]/.test(value)) return null;
  return flowText(dump([value], FLOW_DUMP_OPTIONS), "[", "]\n");
}

/** js-yaml's own text for `key` as a flow mapping key, or null (as for `flowValueText`). */
function flowKeyText(key: string): string | null {
  return memoised(flowKeyTexts, key, dumpFlowKey);
}

function dumpFlowKey(key: string): string | null {
  return /[\n\r]/.test(key) ? null : flowText(dump({ [key]: null }, FLOW_DUMP_OPTIONS), "{", ": null}\n");
}

/** The scalar's text between `prefix` and `suffix` of js-yaml's one-item document, or null (see `flowValueText`). */
function flowText(document: string, prefix: string, suffix: string): string | null {
  if (!document.startsWith(prefix) || !document.endsWith(suffix)) return null;
  const text = document.slice(prefix.length, document.length - suffix.length);
  if (text.includes("\n")) return null;
  const quoted = text.startsWith("'") || text.startsWith('"');
  return !quoted && text.includes("?") ? null : text;
}

/**
 * Anchors and aliases for one document, decided while `writeBlock` writes it, in output order.
 *
 * `of` first walks the value in `writeBlock`'s order and numbers every non-empty collection (its index). For each it
 * keeps a structural id, equal exactly when the content is equal (hash-consing: a collection is the sequence of its
 * scalars' and children's tokens in key order, compared as numbers, so the pass is linear in the document and
 * allocates no strings), its weight (the length of its compact JSON), the number of collections in its subtree, for a
 * mapping its sorted keys, and the length of its flow text. `plan` then finds the ids that will be aliased and the
 * collections that may be written in flow style.
 * `writeBlock` then calls `fitsFlow` and `visit` for each non-empty collection below the root as it reaches it: the
 * first occurrence of an aliased id is written with an anchor named after the key it appears under (`<key>_item` for
 * a sequence item, `_2`, `_3` on clashes), every later one is an alias and its subtree is skipped; a collection
 * written in flow style (`flow`) has its subtree skipped too. There are no unused anchors, and the bytes depend only
 * on the value.
 */
class Anchors {
  // Per collection, by index (the order both walks meet them).
  private readonly nodes: object[] = [];
  private readonly nodeIds: number[] = [];
  private readonly weights: number[] = [];
  private readonly sizes: number[] = [];
  private readonly keys: Array<readonly string[] | undefined> = [];
  /** The next index `writeBlock` will meet. */
  private cursor = 0;

  /**
   * Hash-consing: each distinct collection (id) is its token sequence (a start marker, then its items' tokens, or
   * its keys' and values' tokens in key order), kept in `idTokens` from `idStart[id]` to `idStart[id + 1]`; ids with
   * the same hash are chained from `byHash` through `sameHash`.
   */
  private readonly byHash = new Map<number, number>();
  private readonly sameHash: number[] = [];
  private readonly idStart: number[] = [0];
  private readonly idTokens: number[] = [];
  /** The tokens of the collections being interned, innermost last. */
  private readonly stack: number[] = [];
  /** Per scalar value: its token, its weight and (once asked for) its flow texts. */
  private readonly scalars = new Map<unknown, ScalarEntry>();
  /** Weight of the node `intern` or `scalarRef` last returned. */
  private weight = 0;
  /** The scalar `scalarRef` last returned, or undefined when `intern` last returned a collection (see `flowLength`). */
  private lastScalar: ScalarEntry | undefined;
  /** Flow length of the collection `intern` last returned. */
  private lastFlow = 0;

  /** Per collection, by index: the length of its flow text (`{a: 1, b: [x, y]}`), or Infinity when it has none. */
  private readonly flowLengths: number[] = [];
  /** Per collection, by index: written in flow style when it fits the line (see `plan`). */
  private flowable: Uint8Array = new Uint8Array(0);
  /** Per id: 1 when some occurrence is an alias, so its first occurrence carries an anchor (see `plan`). */
  private aliasedIds: Uint8Array = new Uint8Array(0);

  /** Per aliased id, once its anchor is written: the anchor's name. */
  private readonly names = new Map<number, string>();
  private readonly taken = new Set<string>();

  private constructor() {}

  /** Undefined when the value holds something `writeBlock` would hand to js-yaml anyway. */
  static of(value: unknown): Anchors | undefined {
    const anchors = new Anchors();
    if (anchors.intern(value) === FAILED) return undefined;
    anchors.plan();
    return anchors;
  }

  /**
   * A dry run of `visit` over the indices (the writer meets them in the same order and skips an alias's subtree):
   * an id is aliased when a collection of at least MIN_ALIAS_WEIGHT meets it a second time, and then its first
   * occurrence carries the anchor. A collection may be written in flow style when its flow text is at most
   * MAX_FLOW_LENGTH characters and no descendant carries an anchor or is an alias. Skipping such a subtree changes
   * no other anchor or alias, since nothing inside it is either, so the dry run stays exact.
   */
  private plan(): void {
    const count = this.nodes.length;
    const ids = this.sameHash.length;
    const seen = new Uint8Array(ids);
    const aliased = new Uint8Array(ids);
    for (let i = 1; i < count;) {
      if (this.weights[i]! >= MIN_ALIAS_WEIGHT) {
        const id = this.nodeIds[i]!;
        if (seen[id] === 1) {
          aliased[id] = 1;
          i += this.sizes[i]!;
          continue;
        }
        seen[id] = 1;
      }
      i++;
    }
    // marked[i]: collections before index i that are an anchor or alias; the descendants of i are i+1 .. i+size-1.
    const marked = new Int32Array(count + 1);
    for (let i = 0; i < count; i++) {
      const mark = this.weights[i]! >= MIN_ALIAS_WEIGHT && aliased[this.nodeIds[i]!] === 1 ? 1 : 0;
      marked[i + 1] = marked[i]! + mark;
    }
    const flowable = new Uint8Array(count);
    for (let i = 1; i < count; i++) {
      if (this.flowLengths[i]! <= MAX_FLOW_LENGTH && marked[i + this.sizes[i]!] === marked[i + 1]) flowable[i] = 1;
    }
    this.flowable = flowable;
    this.aliasedIds = aliased;
  }

  /**
   * Whether `node`, the next collection `writeBlock` meets, is written in flow style when its text starts at
   * `column`: it may be (see `plan`) and the line, with the anchor it may carry, stays within MAX_FLOW_LINE.
   */
  fitsFlow(node: object, column: number, key: string): boolean {
    const index = this.cursor;
    if (this.nodes[index] !== node) throw new Error("toYaml: anchors out of step with the writer");
    if (this.flowable[index] !== 1) return false;
    const id = this.nodeIds[index]!;
    // The first occurrence of an aliased id carries `&name `.
    const anchor = this.aliasedIds[id] === 1 && !this.names.has(id) ? this.nextName(key).length + 2 : 0;
    return column + anchor + this.flowLengths[index]! <= MAX_FLOW_LINE;
  }

  /** The flow text of `node`, the next collection, which `fitsFlow` accepted; skips its subtree. */
  flow(node: object): string {
    const end = this.cursor + this.sizes[this.cursor]!;
    const text = this.flowText(node);
    if (this.cursor !== end) throw new Error("toYaml: anchors out of step with the writer");
    return text;
  }

  private flowText(value: unknown): string {
    if (value === null || typeof value !== "object") return flowValueText(value === undefined ? null : value)!;
    // Empty collections have no index.
    if (this.nodes[this.cursor] !== value) return Array.isArray(value) ? "[]" : "{}";
    const keys = this.keys[this.cursor++];
    const parts: string[] = [];
    if (keys === undefined) {
      for (const item of value as unknown[]) parts.push(this.flowText(item));
      return `[${parts.join(", ")}]`;
    }
    const record = value as Record<string, unknown>;
    for (const k of keys) parts.push(`${flowKeyText(k)!}: ${this.flowText(record[k])}`);
    return `{${parts.join(", ")}}`;
  }

  /** `writeBlock` enters a collection: a mapping's keys in order (none for an empty mapping). */
  enter(value: object): readonly string[] {
    if (this.nodes[this.cursor] === value) return this.keys[this.cursor++] ?? NO_KEYS;
    // Empty collections have no index.
    if (Array.isArray(value) ? value.length > 0 : sortedKeys(value as Record<string, unknown>).length > 0) {
      throw new Error("toYaml: anchors out of step with the writer");
    }
    return NO_KEYS;
  }

  /**
   * Called with `out` ending in `key:` (before " ") or `- ` (before ""), for a non-empty collection. Returns true
   * when `node` was written as an alias (with its newline). Otherwise writes its anchor if it is the first occurrence
   * of an aliased id (then `after`) and returns false: the caller writes the collection.
   */
  visit(node: object, out: string[], key: string, before: string, after: string): boolean {
    const index = this.cursor;
    if (this.nodes[index] !== node) throw new Error("toYaml: anchors out of step with the writer");
    if (this.weights[index]! < MIN_ALIAS_WEIGHT) return false;
    const id = this.nodeIds[index]!;
    // Never met again where the writer goes (see `plan`): no anchor.
    if (this.aliasedIds[id] !== 1) return false;
    const name = this.names.get(id);
    if (name !== undefined) {
      out.push(`${before}*${name}`, "\n");
      this.cursor += this.sizes[index]!;
      return true;
    }
    const anchor = this.nextName(key);
    this.taken.add(anchor);
    this.names.set(id, anchor);
    out.push(`${before}&${anchor}${after}`);
    return false;
  }

  /** The name the next anchor under `key` gets: after the key, `_2`, `_3` on clashes. */
  private nextName(key: string): string {
    const base = anchorName(key);
    let name = base;
    for (let n = 2; this.taken.has(name); n++) name = `${base}_${n}`;
    return name;
  }

  /**
   * The node's token in its parent's token sequence: `4 * id + 1` for a non-empty collection, fixed ones for empty
   * collections, the scalar's per-document `4 * id` otherwise (a Map keyed by the value itself). Sets `this.weight`.
   * FAILED for what the fast path cannot write.
   */
  private intern(value: unknown): number {
    if (value === null || typeof value !== "object") return this.scalarRef(value);
    let keys: string[] | undefined;
    if (Array.isArray(value)) {
      if (value.length === 0) return this.empty(EMPTY_SEQUENCE);
    } else if (isPlainObject(value)) {
      keys = sortedKeys(value);
      if (keys.length === 0) return this.empty(EMPTY_MAPPING);
    } else {
      return FAILED;
    }
    const index = this.nodes.length;
    this.nodes.push(value);
    this.nodeIds.push(0);
    this.weights.push(0);
    this.sizes.push(0);
    this.keys.push(keys);
    this.flowLengths.push(0);
    const stack = this.stack;
    const start = stack.length;
    let weight = 2;
    // `[` or `{`, the items joined by ", ", `]` or `}`; no longer counted once over MAX_FLOW_LENGTH.
    let flow = 0;
    if (keys === undefined) {
      stack.push(SEQUENCE_START);
      for (const item of value as unknown[]) {
        const child = this.intern(item);
        if (child === FAILED) return FAILED;
        stack.push(child);
        weight += this.weight + 1;
        if (flow <= MAX_FLOW_LENGTH) flow += this.flowLength(false) + 2;
      }
    } else {
      stack.push(MAPPING_START);
      const record = value as Record<string, unknown>;
      for (const k of keys) {
        const child = this.intern(record[k]);
        if (child === FAILED) return FAILED;
        const childWeight = this.weight;
        if (flow <= MAX_FLOW_LENGTH) flow += this.flowLength(false) + 4;
        stack.push(this.scalarRef(k), child);
        weight += this.weight + 1 + childWeight + 1;
        if (flow <= MAX_FLOW_LENGTH) flow += this.flowLength(true);
      }
    }
    const id = this.idOf(start);
    stack.length = start;
    this.nodeIds[index] = id;
    this.weights[index] = weight;
    this.sizes[index] = this.nodes.length - index;
    this.flowLengths[index] = flow;
    this.weight = weight;
    this.lastScalar = undefined;
    this.lastFlow = flow;
    return 4 * id + 1;
  }

  /** The flow length of the node `intern` or `scalarRef` last returned, as a mapping key or as a value. */
  private flowLength(isKey: boolean): number {
    const entry = this.lastScalar;
    if (entry === undefined) return this.lastFlow;
    let text = isKey ? entry.keyFlow : entry.valueFlow;
    if (text === undefined) {
      text = isKey ? flowKeyText(entry.value as string) : flowValueText(entry.value);
      if (isKey) entry.keyFlow = text;
      else entry.valueFlow = text;
    }
    return text === null ? Infinity : text.length;
  }

  /** The id of the token sequence on the stack from `start`: an earlier one's if equal, else a new one. */
  private idOf(start: number): number {
    const stack = this.stack;
    const end = stack.length;
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ stack[i]!, 0x01000193);
    const head = this.byHash.get(hash);
    for (let id = head ?? -1; id >= 0; id = this.sameHash[id]!) {
      const from = this.idStart[id]!;
      if (this.idStart[id + 1]! - from !== end - start) continue;
      let i = 0;
      while (i < end - start && this.idTokens[from + i] === stack[start + i]) i++;
      if (i === end - start) return id;
    }
    const id = this.sameHash.length;
    this.sameHash.push(head ?? -1);
    this.byHash.set(hash, id);
    for (let i = start; i < end; i++) this.idTokens.push(stack[i]!);
    this.idStart.push(this.idTokens.length);
    return id;
  }

  private empty(token: number): number {
    this.weight = 2;
    this.lastScalar = undefined;
    this.lastFlow = 2;
    return token;
  }

  private scalarRef(value: unknown): number {
    switch (typeof value) {
      case "string":
      case "number":
      case "boolean":
        break;
      case "undefined": // a sequence item; writeBlock writes null
        value = null;
        break;
      case "object":
        if (value === null) break;
        return FAILED;
      default:
        return FAILED;
    }
    // The Map's SameValueZero would make -0 the same key as 0, but they are written differently.
    if (Object.is(value, -0)) {
      this.weight = 2;
      this.lastScalar = NEGATIVE_ZERO_ENTRY;
      return NEGATIVE_ZERO;
    }
    let known = this.scalars.get(value);
    if (known === undefined) {
      const weight = typeof value === "string" ? value.length + 2 : String(value).length;
      known = {
        ref: 4 * this.scalars.size,
        weight,
        value: value as FlowScalar,
        keyFlow: undefined,
        valueFlow: undefined,
      };
      this.scalars.set(value, known);
    }
    this.weight = known.weight;
    this.lastScalar = known;
    return known.ref;
  }
}

/** A YAML anchor name from a mapping key: letters, digits, `_` and `-` only. */
function anchorName(key: string): string {
  const name = key.replace(/[^A-Za-z0-9_-]+/g, "_");
  return name === "" || name === "_" ? "node" : name;
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
