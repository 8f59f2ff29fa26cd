// Structural validation of a JSON/YAML value against a protobufjs message Type, following the
// protobuf JSON mapping as Envoy's parser applies it, plus the protoc-gen-validate rules.
import * as protobuf from "protobufjs";
import { editDistance } from "../../model/editDistance";
import { isUnloadableType, lookupMessage } from "./protos";
import type { Report, Rules } from "./rules";
import { checkBytes, checkDuration, checkEnum, checkNumber, checkString, collectOption } from "./rules";
import type { ValidationIssue } from "./types";
import { isPlainObject, joinIndex, joinKey, toJsonName } from "./types";

/** Called for every message node whose type is in `interest`, after it was validated. */
export type MessageHook = (typeName: string, node: Record<string, unknown>, path: string) => void;

export interface WalkContext {
  file: string;
  issues: ValidationIssue[];
  interest?: ReadonlySet<string>;
  onMessage?: MessageHook;
}

type Kind = "scalar" | "enum" | "message";

interface CompiledField {
  name: string;
  jsonName: string;
  kind: Kind;
  /** protobuf scalar type name for kind "scalar". */
  scalar: string;
  enumType: protobuf.Enum | null;
  messageType: protobuf.Type | null;
  /** Full name (no leading dot) of messageType, or "". */
  messageName: string;
  repeated: boolean;
  map: boolean;
  keyType: string;
  rules: Rules | undefined;
  /** Name of the real (non-synthetic) oneof the field belongs to. */
  oneof: string | null;
  /** proto3 `optional`: explicit presence. */
  optional: boolean;
  deprecated: boolean;
}

interface CompiledOneof {
  name: string;
  required: boolean;
  fields: string[];
}

interface CompiledType {
  fullName: string;
  byKey: Map<string, CompiledField>;
  fields: CompiledField[];
  oneofs: CompiledOneof[];
}

const compiled = new WeakMap<protobuf.Type, CompiledType>();

function isDeprecated(obj: protobuf.ReflectionObject): boolean {
  const o = obj.options as Record<string, unknown> | undefined;
  return o?.deprecated === true;
}

function compileType(type: protobuf.Type): CompiledType {
  const cached = compiled.get(type);
  if (cached) return cached;
  const ct: CompiledType = {
    fullName: type.fullName.replace(/^\./, ""),
    byKey: new Map(),
    fields: [],
    oneofs: [],
  };
  compiled.set(type, ct);
  for (const f of type.fieldsArray) {
    f.resolve();
    const resolved = f.resolvedType;
    const partOf = f.partOf;
    const options = f.options as Record<string, unknown> | undefined;
    const optional = options?.proto3_optional === true;
    const cf: CompiledField = {
      name: f.name,
      jsonName: toJsonName(f.name),
      kind: resolved instanceof protobuf.Enum ? "enum" : resolved instanceof protobuf.Type ? "message" : "scalar",
      scalar: f.type,
      enumType: resolved instanceof protobuf.Enum ? resolved : null,
      messageType: resolved instanceof protobuf.Type ? resolved : null,
      messageName: resolved instanceof protobuf.Type ? resolved.fullName.replace(/^\./, "") : "",
      repeated: f.repeated,
      map: f instanceof protobuf.MapField,
      keyType: f instanceof protobuf.MapField ? f.keyType : "",
      rules: collectOption(f, "(validate.rules)") as Rules | undefined,
      oneof: partOf && !optional ? partOf.name : null,
      optional,
      deprecated: isDeprecated(f) || collectOption(f, "(envoy.annotations.deprecated_at_minor_version)") !== undefined,
    };
    ct.fields.push(cf);
    ct.byKey.set(cf.name, cf);
    if (cf.jsonName !== cf.name) ct.byKey.set(cf.jsonName, cf);
    const jsonName = (f as unknown as { options?: { json_name?: string } }).options?.json_name;
    if (jsonName) ct.byKey.set(jsonName, cf);
  }
  for (const o of type.oneofsArray) {
    const synthetic =
      o.fieldsArray.length === 1 &&
      (o.fieldsArray[0]?.options as Record<string, unknown> | undefined)?.proto3_optional === true;
    if (synthetic) continue;
    ct.oneofs.push({
      name: o.name,
      required: collectOption(o, "(validate.required)") === true,
      fields: o.fieldsArray.map((f) => f.name),
    });
  }
  return ct;
}

function suggest(ct: CompiledType, key: string): string {
  let best = "";
  let bestD = Infinity;
  const k = key.toLowerCase();
  for (const f of ct.fields) {
    const d = Math.min(editDistance(k, f.name.toLowerCase()), editDistance(k, f.jsonName.toLowerCase()));
    if (d < bestD) {
      bestD = d;
      best = f.name;
    }
  }
  return bestD <= Math.max(2, Math.floor(key.length / 4)) ? ` (did you mean "${best}"?)` : "";
}

function typeOfValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  if (typeof v === "object") return "object";
  return typeof v;
}

const DURATION_RE = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
const MAX_DURATION_SECONDS = 315_576_000_000n;
const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const INT_RE = /^-?\d+$/;
const B64_RE = /^[A-Za-z0-9+/\-_]*={0,2}$/;

const INT_RANGES: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

const WRAPPERS: Record<string, string> = {
  "google.protobuf.DoubleValue": "double",
  "google.protobuf.FloatValue": "float",
  "google.protobuf.Int64Value": "int64",
  "google.protobuf.UInt64Value": "uint64",
  "google.protobuf.Int32Value": "int32",
  "google.protobuf.UInt32Value": "uint32",
  "google.protobuf.BoolValue": "bool",
  "google.protobuf.StringValue": "string",
  "google.protobuf.BytesValue": "bytes",
};

/** Types whose JSON form is not an object; inside an Any their body sits under "value". */
const SPECIAL_JSON = new Set([
  ...Object.keys(WRAPPERS),
  "google.protobuf.Duration",
  "google.protobuf.Timestamp",
  "google.protobuf.FieldMask",
  "google.protobuf.Struct",
  "google.protobuf.Value",
  "google.protobuf.ListValue",
  "google.protobuf.Any",
]);

const TYPED_STRUCTS = new Set(["udpa.type.v1.TypedStruct", "xds.type.v3.TypedStruct"]);

class Walker {
  constructor(private readonly ctx: WalkContext) {}

  readonly report: Report = (path, message) => {
    this.ctx.issues.push({ file: this.ctx.file, path, message, severity: "error" });
  };

  warn(path: string, message: string): void {
    this.ctx.issues.push({ file: this.ctx.file, path, message, severity: "warning" });
  }

  /** Validates a scalar; returns its numeric value (numbers), the string (string/bytes), or undefined if invalid. */
  scalar(type: string, v: unknown, path: string): number | string | boolean | undefined {
    switch (type) {
      case "string":
        if (typeof v !== "string") return this.typeError(path, "a string", v);
        return v;
      case "bool":
        if (typeof v !== "boolean") return this.typeError(path, "a boolean (true/false)", v);
        return v;
      case "bytes":
        if (typeof v !== "string") return this.typeError(path, "a base64 string", v);
        if (!B64_RE.test(v)) {
          this.report(path, "invalid base64 in bytes field");
          return undefined;
        }
        return v;
      case "double":
      case "float": {
        if (typeof v === "number") return v;
        if (typeof v === "string") {
          if (v === "NaN" || v === "Infinity" || v === "-Infinity") return Number(v);
          const n = Number(v);
          if (v.trim() !== "" && Number.isFinite(n)) return n;
        }
        return this.typeError(path, "a number", v);
      }
      default: {
        const range = INT_RANGES[type];
        if (!range) return v as number;
        let big: bigint;
        if (typeof v === "number") {
          if (!Number.isInteger(v)) return this.typeError(path, `an integer (${type})`, v);
          big = BigInt(v);
        } else if (typeof v === "string" && INT_RE.test(v)) {
          big = BigInt(v);
        } else {
          return this.typeError(path, `an integer (${type})`, v);
        }
        if (big < range[0] || big > range[1]) {
          this.report(path, `value ${v} is out of range for ${type} [${range[0]}, ${range[1]}]`);
          return undefined;
        }
        return Number(big);
      }
    }
  }

  typeError(path: string, expected: string, v: unknown): undefined {
    this.report(
      path,
      `expected ${expected}, got ${typeOfValue(v)}${typeof v === "string" ? ` ${JSON.stringify(v)}` : typeof v === "number" || typeof v === "boolean" ? ` ${v}` : ""}`,
    );
    return undefined;
  }

  /** Parses a Duration (string "1.5s" or {seconds, nanos}); returns nanoseconds. */
  duration(v: unknown, path: string): bigint | undefined {
    if (typeof v === "string") {
      const m = DURATION_RE.exec(v);
      if (!m) {
        this.report(
          path,
          `invalid duration ${JSON.stringify(v)}: expected seconds with an "s" suffix, e.g. "0.250s", "1s", "1.5s"`,
        );
        return undefined;
      }
      const secs = BigInt(m[2] as string);
      if (secs > MAX_DURATION_SECONDS) {
        this.report(path, `duration ${JSON.stringify(v)} is out of range (max ${MAX_DURATION_SECONDS}s)`);
        return undefined;
      }
      const nanos = BigInt((m[3] ?? "").padEnd(9, "0"));
      const total = secs * 1_000_000_000n + nanos;
      return m[1] ? -total : total;
    }
    if (isPlainObject(v)) {
      let ok = true;
      for (const k of Object.keys(v)) {
        if (k !== "seconds" && k !== "nanos") {
          this.report(path, `unknown field "${k}" in duration (expected seconds, nanos)`);
          ok = false;
        }
      }
      const s = v.seconds === undefined ? 0 : this.scalar("int64", v.seconds, joinKey(path, "seconds"));
      const n = v.nanos === undefined ? 0 : this.scalar("int32", v.nanos, joinKey(path, "nanos"));
      if (typeof s !== "number" || typeof n !== "number" || !ok) return undefined;
      if (Math.abs(n) > 999_999_999) {
        this.report(joinKey(path, "nanos"), "nanos must be within [-999999999, 999999999]");
        return undefined;
      }
      return BigInt(s) * 1_000_000_000n + BigInt(n);
    }
    if (typeof v === "number") {
      this.report(path, `invalid duration ${v}: durations are strings with an "s" suffix, e.g. "${v}s"`);
      return undefined;
    }
    return this.typeError(path, 'a duration string like "1s"', v);
  }

  /** Validates a JSON value against a message type. Returns false if the value is not an object-like message. */
  message(type: protobuf.Type, v: unknown, path: string): void {
    const ct = compileType(type);
    const name = ct.fullName;
    const wrapped = WRAPPERS[name];
    if (wrapped !== undefined) {
      this.scalar(wrapped, v, path);
      return;
    }
    switch (name) {
      case "google.protobuf.Any":
        this.any(v, path, undefined);
        return;
      case "google.protobuf.Duration":
        this.duration(v, path);
        return;
      case "google.protobuf.Timestamp":
        if (typeof v !== "string") this.typeError(path, "an RFC 3339 timestamp string", v);
        else if (!TIMESTAMP_RE.test(v) || Number.isNaN(Date.parse(v)))
          this.report(path, `invalid timestamp ${JSON.stringify(v)} (RFC 3339 expected)`);
        return;
      case "google.protobuf.FieldMask":
        if (typeof v !== "string") this.typeError(path, 'a field mask string like "a.b,c"', v);
        return;
      case "google.protobuf.Struct":
        if (!isPlainObject(v)) this.typeError(path, "an object (Struct)", v);
        return;
      case "google.protobuf.ListValue":
        if (!Array.isArray(v)) this.typeError(path, "a list (ListValue)", v);
        return;
      case "google.protobuf.Value":
        return; // any JSON value
      case "google.protobuf.Empty":
        if (!isPlainObject(v)) this.typeError(path, "an empty object", v);
        else for (const k of Object.keys(v)) this.report(path, `unknown field "${k}"`);
        return;
    }
    if (!isPlainObject(v)) {
      this.typeError(path, `an object (${name})`, v);
      return;
    }
    this.fields(ct, v, path, null);
  }

  /** Validates the fields of a message object (skipKey: "@type" inside an Any). */
  fields(ct: CompiledType, obj: Record<string, unknown>, path: string, skipKey: string | null): void {
    const present = new Map<string, CompiledField>();
    for (const key of Object.keys(obj)) {
      if (key === skipKey) continue;
      const f = ct.byKey.get(key);
      if (!f) {
        this.report(path, `unknown field "${key}"${suggest(ct, key)} in ${ct.fullName}`);
        continue;
      }
      if (present.has(f.name)) {
        this.report(joinKey(path, key), `field "${f.name}" is set twice (as "${f.name}" and "${f.jsonName}")`);
        continue;
      }
      const val = obj[key];
      if (val === null && !(f.kind === "message" && f.messageName === "google.protobuf.Value")) continue; // null == unset
      present.set(f.name, f);
      const fp = joinKey(path, key);
      if (f.deprecated) this.warn(fp, `field "${f.name}" of ${ct.fullName} is deprecated`);
      this.field(f, val, fp);
    }
    // Unset fields: PGV still evaluates rules on implicit proto3 scalar defaults, repeated and map fields.
    for (const f of ct.fields) {
      if (present.has(f.name) || !f.rules || f.oneof !== null || f.optional) continue;
      this.rulesForUnset(f, joinKey(path, f.name));
    }
    for (const o of ct.oneofs) {
      const set = o.fields.filter((n) => present.has(n));
      if (set.length > 1) {
        this.report(path, `only one of ${o.fields.join(", ")} may be set (oneof "${o.name}"), got ${set.join(", ")}`);
      } else if (set.length === 0 && o.required) {
        this.report(path, `one of ${o.fields.join(", ")} is required (oneof "${o.name}")`);
      }
    }
    if (TYPED_STRUCTS.has(ct.fullName)) this.typedStruct(obj, path);
    if (this.ctx.interest?.has(ct.fullName)) this.ctx.onMessage?.(ct.fullName, obj, path);
  }

  rulesForUnset(f: CompiledField, path: string): void {
    const r = f.rules as Rules;
    if (f.map) {
      const m = r.map;
      if (isPlainObject(m) && m.ignore_empty !== true && typeof m.min_pairs === "number" && m.min_pairs > 0) {
        this.report(path, `at least ${m.min_pairs} entr${m.min_pairs === 1 ? "y is" : "ies are"} required`);
      }
      return;
    }
    if (f.repeated) {
      const rr = r.repeated;
      if (isPlainObject(rr) && rr.ignore_empty !== true && typeof rr.min_items === "number" && rr.min_items > 0) {
        this.report(path, `value must contain at least ${rr.min_items} item(s)`);
      }
      return;
    }
    if (f.kind === "message") {
      const mr = r.message;
      const name = f.messageName;
      const sub =
        name === "google.protobuf.Duration"
          ? r.duration
          : name === "google.protobuf.Any"
            ? r.any
            : name === "google.protobuf.Timestamp"
              ? r.timestamp
              : undefined;
      if ((isPlainObject(mr) && mr.required === true) || (isPlainObject(sub) && sub.required === true)) {
        this.report(path, "value is required");
      }
      return;
    }
    // Implicit-presence scalar: evaluate against the default.
    if (f.kind === "enum") this.scalarRules(f, 0, path);
    else if (f.scalar === "string" || f.scalar === "bytes") this.scalarRules(f, "", path);
    else if (f.scalar === "bool") this.scalarRules(f, false, path);
    else this.scalarRules(f, 0, path);
  }

  scalarRules(f: CompiledField, v: number | string | boolean, path: string, rules: Rules | undefined = f.rules): void {
    if (!rules) return;
    if (f.kind === "enum") {
      const er = rules.enum;
      if (isPlainObject(er) && typeof v === "number") {
        checkEnum(er, v, f.enumType !== null && f.enumType.valuesById[v] !== undefined, path, this.report);
      }
      return;
    }
    const type = f.kind === "message" ? (WRAPPERS[f.messageName] ?? "") : f.scalar;
    const r = rules[type];
    if (!isPlainObject(r)) return;
    if (type === "string" && typeof v === "string") checkString(r, v, path, this.report);
    else if (type === "bytes" && typeof v === "string") checkBytes(r, v, path, this.report);
    else if (type === "bool") {
      if (typeof r.const === "boolean" && v !== r.const) this.report(path, `value must equal ${r.const}`);
    } else if (typeof v === "number") {
      if (r.ignore_empty === true && v === 0) return;
      checkNumber(r, v, path, this.report);
    }
  }

  field(f: CompiledField, v: unknown, path: string): void {
    if (f.map) {
      if (!isPlainObject(v)) {
        this.typeError(path, "an object (map)", v);
        return;
      }
      const mr = isPlainObject(f.rules?.map) ? f.rules.map : undefined;
      const entries = Object.entries(v);
      if (mr && !(mr.ignore_empty === true && entries.length === 0)) {
        if (typeof mr.min_pairs === "number" && entries.length < mr.min_pairs)
          this.report(path, `map must have at least ${mr.min_pairs} pair(s)`);
        if (typeof mr.max_pairs === "number" && entries.length > mr.max_pairs)
          this.report(path, `map must have at most ${mr.max_pairs} pair(s)`);
      }
      const keyRules = mr && isPlainObject(mr.keys) ? mr.keys : undefined;
      const valueRules = mr && isPlainObject(mr.values) ? mr.values : undefined;
      for (const [k, val] of entries) {
        const ep = joinKey(path, k);
        if (f.keyType !== "string") {
          const kv = this.scalar(
            f.keyType,
            f.keyType === "bool" ? (k === "true" ? true : k === "false" ? false : k) : k,
            ep,
          );
          if (keyRules && kv !== undefined)
            this.scalarRules({ ...f, kind: "scalar", scalar: f.keyType }, kv, ep, keyRules);
        } else if (keyRules) {
          this.scalarRules({ ...f, kind: "scalar", scalar: "string" }, k, ep, keyRules);
        }
        this.single(f, val, ep, valueRules);
      }
      return;
    }
    if (f.repeated) {
      if (!Array.isArray(v)) {
        this.typeError(path, "a list", v);
        return;
      }
      const rr = isPlainObject(f.rules?.repeated) ? f.rules.repeated : undefined;
      if (rr && !(rr.ignore_empty === true && v.length === 0)) {
        if (typeof rr.min_items === "number" && v.length < rr.min_items)
          this.report(path, `value must contain at least ${rr.min_items} item(s), got ${v.length}`);
        if (typeof rr.max_items === "number" && v.length > rr.max_items)
          this.report(path, `value must contain at most ${rr.max_items} item(s), got ${v.length}`);
        if (rr.unique === true) {
          const seen = new Set<string>();
          v.forEach((item, i) => {
            const key = JSON.stringify(item);
            if (seen.has(key)) this.report(joinIndex(path, i), "repeated value must contain unique items");
            seen.add(key);
          });
        }
      }
      const itemRules = rr && isPlainObject(rr.items) ? rr.items : undefined;
      v.forEach((item, i) => this.single(f, item, joinIndex(path, i), itemRules));
      return;
    }
    this.single(f, v, path, f.rules);
  }

  /** One (non-repeated) value of a field, with the rules applying to it. */
  single(f: CompiledField, v: unknown, path: string, rules: Rules | undefined): void {
    if (f.kind === "scalar") {
      const sv = this.scalar(f.scalar, v, path);
      if (sv !== undefined && rules) this.scalarRules(f, sv, path, rules);
      return;
    }
    if (f.kind === "enum") {
      const e = f.enumType as protobuf.Enum;
      let n: number | undefined;
      if (typeof v === "string") {
        n = e.values[v];
        if (n === undefined) {
          const names = Object.keys(e.values);
          this.report(
            path,
            `unknown enum value ${JSON.stringify(v)} for ${e.fullName.replace(/^\./, "")} (expected one of ${names.slice(0, 12).join(", ")}${names.length > 12 ? ", ..." : ""})`,
          );
          return;
        }
        const vo = e.valuesOptions?.[v] as Record<string, unknown> | undefined;
        if (vo?.deprecated === true)
          this.warn(path, `enum value ${v} of ${e.fullName.replace(/^\./, "")} is deprecated`);
      } else if (typeof v === "number" && Number.isInteger(v)) {
        n = v;
        if (n < -(2 ** 31) || n >= 2 ** 31) {
          this.report(path, `enum number ${n} is out of int32 range`);
          return;
        }
      } else {
        this.typeError(path, `an enum name or number (${e.fullName.replace(/^\./, "")})`, v);
        return;
      }
      if (rules) this.scalarRules(f, n, path, rules);
      return;
    }
    const mt = f.messageType as protobuf.Type;
    const name = f.messageName;
    const mr = rules?.message;
    if (name === "google.protobuf.Duration") {
      const d = this.duration(v, path);
      const dr = rules?.duration;
      if (d !== undefined && isPlainObject(dr)) checkDuration(dr, d, path, this.report);
      return;
    }
    if (name === "google.protobuf.Any") {
      this.any(v, path, isPlainObject(rules?.any) ? rules.any : undefined);
      return;
    }
    const wrapped = WRAPPERS[name];
    if (wrapped !== undefined) {
      const sv = this.scalar(wrapped, v, path);
      if (sv !== undefined && rules) this.scalarRules(f, sv, path, rules);
      return;
    }
    if (isPlainObject(mr) && mr.skip === true) {
      // PGV skip: still a structural check, no rules inside. (Rules inside are rarely skipped in Envoy.)
    }
    this.message(mt, v, path);
  }

  any(v: unknown, path: string, rules: Rules | undefined): void {
    if (!isPlainObject(v)) {
      this.typeError(path, 'an object with "@type" (Any)', v);
      return;
    }
    const url = v["@type"];
    const tp = joinKey(path, "@type");
    if (typeof url !== "string" || url === "") {
      if (Object.keys(v).length > 0 || rules?.required === true) this.report(path, 'Any is missing its "@type"');
      return;
    }
    if (rules) {
      const inList = Array.isArray(rules.in) ? rules.in : rules.in !== undefined ? [rules.in] : [];
      if (inList.length > 0 && !inList.includes(url))
        this.report(tp, `type URL must be in list [${inList.join(", ")}]`);
      const notIn = Array.isArray(rules.not_in) ? rules.not_in : rules.not_in !== undefined ? [rules.not_in] : [];
      if (notIn.includes(url)) this.report(tp, `type URL must not be in list [${notIn.join(", ")}]`);
    }
    const slash = url.lastIndexOf("/");
    if (slash < 0) {
      this.report(tp, `invalid type URL ${JSON.stringify(url)} (expected "type.googleapis.com/<full.message.Name>")`);
      return;
    }
    const typeName = url.slice(slash + 1);
    const t = lookupMessage(typeName);
    if (!t) {
      if (isUnloadableType(typeName)) {
        this.warn(
          tp,
          `type ${typeName} is not checked: its proto's dependencies are not vendored in @grpc/grpc-js-xds`,
        );
      } else {
        this.report(tp, `unknown type ${JSON.stringify(url)}: no message ${typeName} in Envoy's v3 API`);
      }
      return;
    }
    const full = compileType(t).fullName;
    if (SPECIAL_JSON.has(full)) {
      for (const k of Object.keys(v))
        if (k !== "@type" && k !== "value") this.report(path, `unknown field "${k}" in Any of ${full}`);
      if (v.value !== undefined) this.message(t, v.value, joinKey(path, "value"));
      return;
    }
    this.fields(compileType(t), v, path, "@type");
  }

  typedStruct(obj: Record<string, unknown>, path: string): void {
    const url = obj.type_url ?? obj.typeUrl;
    if (typeof url !== "string" || url === "") return;
    const typeName = url.slice(url.lastIndexOf("/") + 1);
    const t = lookupMessage(typeName);
    if (!t) {
      this.report(
        joinKey(path, obj.type_url !== undefined ? "type_url" : "typeUrl"),
        `unknown type ${JSON.stringify(url)}`,
      );
      return;
    }
    if (obj.value !== undefined && obj.value !== null) this.message(t, obj.value, joinKey(path, "value"));
  }
}

/** Walks `value` as message `type` and appends issues to ctx.issues. */
export function walkMessage(type: protobuf.Type, value: unknown, path: string, ctx: WalkContext): void {
  new Walker(ctx).message(type, value, path);
}
