// An evaluator for protoc-gen-validate (PGV) rules as protobufjs exposes them.
//
// protobufjs 8 parses `[(validate.rules).string = {min_len: 1}]` into
// `field.parsedOptions = [{ "(validate.rules)": { string: { min_len: 1 } } }]` (one entry per option
// statement; we deep-merge them). Repeated rule values (`in`, `not_in`) come out as an array, or as a
// bare scalar when the list has a single element. Duration bounds come out as `{seconds?, nanos?}`
// (`{}` is zero). Enum-typed rule values (well_known_regex) come out as the enum value name.
import type * as protobuf from "protobufjs";
import { isPlainObject } from "./types";

export type Rules = Record<string, unknown>;

function deepMerge(into: Rules, from: Rules): Rules {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if (isPlainObject(cur) && isPlainObject(v)) deepMerge(cur, v);
    else into[k] = isPlainObject(v) ? deepMerge({}, v) : v;
  }
  return into;
}

/** Collects an option like "(validate.rules)" from a reflection object's parsed or flat options. */
export function collectOption(obj: protobuf.ReflectionObject, option: string): unknown {
  const parsed = obj.parsedOptions as Array<Record<string, unknown>> | undefined;
  let merged: Rules | undefined;
  let scalar: unknown;
  if (parsed && parsed.length > 0) {
    for (const entry of parsed) {
      if (!(option in entry)) continue;
      const v = entry[option];
      if (isPlainObject(v)) merged = deepMerge(merged ?? {}, v);
      else scalar = v;
    }
    return merged ?? scalar;
  }
  // Fallback: flat options keyed like "(validate.rules).string.min_len".
  const flat = obj.options as Record<string, unknown> | undefined;
  if (!flat) return undefined;
  for (const [k, v] of Object.entries(flat)) {
    if (k === option) return v;
    if (!k.startsWith(option + ".")) continue;
    const parts = k.slice(option.length + 1).split(".");
    merged ??= {};
    let node: Rules = merged;
    for (const p of parts.slice(0, -1)) {
      const next = node[p];
      node = isPlainObject(next) ? next : (node[p] = {});
    }
    node[parts[parts.length - 1] as string] = v;
  }
  return merged;
}

export type Report = (path: string, message: string) => void;

function list(v: unknown): unknown[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function num(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "") return Number(v);
  if (typeof v === "bigint") return Number(v);
  if (v && typeof v === "object" && "toNumber" in v && typeof v.toNumber === "function") {
    return (v as { toNumber(): number }).toNumber();
  }
  return undefined;
}

/** Numeric rules (int*, uint*, sint*, fixed*, double, float): const/lt/lte/gt/gte/in/not_in. */
export function checkNumber(r: Rules, v: number, path: string, report: Report): void {
  const c = num(r.const);
  if (c !== undefined && v !== c) report(path, `value must equal ${c}`);
  const lt = num(r.lt);
  const lte = num(r.lte);
  const gt = num(r.gt);
  const gte = num(r.gte);
  const upper = lt ?? lte;
  const lower = gt ?? gte;
  const belowUpper = lt !== undefined ? v < lt : lte !== undefined ? v <= lte : true;
  const aboveLower = gt !== undefined ? v > gt : gte !== undefined ? v >= gte : true;
  if (upper !== undefined && lower !== undefined && upper < lower) {
    // PGV: an inverted range means "outside of".
    if (!belowUpper && !aboveLower) {
      report(
        path,
        `value must be outside range ${lt !== undefined ? "[" : "("}${upper}, ${lower}${gt !== undefined ? "]" : ")"}`,
      );
    }
  } else {
    if (!aboveLower)
      report(
        path,
        gt !== undefined ? `value must be greater than ${gt}` : `value must be greater than or equal to ${gte}`,
      );
    if (!belowUpper)
      report(path, lt !== undefined ? `value must be less than ${lt}` : `value must be less than or equal to ${lte}`);
  }
  const inList = list(r.in).map(num);
  if (inList.length > 0 && !inList.includes(v)) report(path, `value must be in list [${inList.join(", ")}]`);
  const notIn = list(r.not_in).map(num);
  if (notIn.includes(v)) report(path, `value must not be in list [${notIn.join(", ")}]`);
}

const HEADER_NAME_STRICT = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;
// eslint-disable-next-line no-control-regex
const HEADER_VALUE_STRICT = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
// eslint-disable-next-line no-control-regex
const HEADER_LOOSE = /^[^\u0000\u000A\u000D]*$/;
const HOSTNAME =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function isIpv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(":")) return false;
  const dbl = s.split("::");
  if (dbl.length > 2) return false;
  const groups = s.split(":").filter((g) => g !== "");
  const last = groups[groups.length - 1] ?? "";
  const v4 = last.includes(".");
  if (v4 && !IPV4.test(last)) return false;
  const hexGroups = v4 ? groups.slice(0, -1) : groups;
  if (!hexGroups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const count = hexGroups.length + (v4 ? 2 : 0);
  return dbl.length === 2 ? count < 8 : count === 8;
}

const regexCache = new Map<string, RegExp | null>();
function compilePattern(p: string): RegExp | null {
  let re = regexCache.get(p);
  if (re === undefined) {
    try {
      re = new RegExp(p, "u");
    } catch {
      re = null; // RE2 syntax JS cannot express: do not guess.
    }
    regexCache.set(p, re);
  }
  return re;
}

export function checkString(r: Rules, v: string, path: string, report: Report): void {
  if (r.ignore_empty === true && v === "") return;
  const runes = [...v].length;
  const bytes = Buffer.byteLength(v, "utf8");
  if (typeof r.const === "string" && v !== r.const) report(path, `value must equal ${JSON.stringify(r.const)}`);
  const len = num(r.len);
  if (len !== undefined && runes !== len) report(path, `value length must be ${len} runes`);
  const minLen = num(r.min_len);
  if (minLen !== undefined && runes < minLen) {
    report(
      path,
      minLen === 1 && v === ""
        ? "value is required (length must be at least 1)"
        : `value length must be at least ${minLen} runes`,
    );
  }
  const maxLen = num(r.max_len);
  if (maxLen !== undefined && runes > maxLen) report(path, `value length must be at most ${maxLen} runes`);
  const lenBytes = num(r.len_bytes);
  if (lenBytes !== undefined && bytes !== lenBytes) report(path, `value length must be ${lenBytes} bytes`);
  const minBytes = num(r.min_bytes);
  if (minBytes !== undefined && bytes < minBytes) report(path, `value length must be at least ${minBytes} bytes`);
  const maxBytes = num(r.max_bytes);
  if (maxBytes !== undefined && bytes > maxBytes) report(path, `value length must be at most ${maxBytes} bytes`);
  if (typeof r.pattern === "string") {
    const re = compilePattern(r.pattern);
    if (re && !re.test(v)) report(path, `value does not match regex pattern ${JSON.stringify(r.pattern)}`);
  }
  if (typeof r.prefix === "string" && !v.startsWith(r.prefix))
    report(path, `value does not have prefix ${JSON.stringify(r.prefix)}`);
  if (typeof r.suffix === "string" && !v.endsWith(r.suffix))
    report(path, `value does not have suffix ${JSON.stringify(r.suffix)}`);
  if (typeof r.contains === "string" && !v.includes(r.contains))
    report(path, `value does not contain ${JSON.stringify(r.contains)}`);
  if (typeof r.not_contains === "string" && v.includes(r.not_contains)) {
    report(path, `value contains ${JSON.stringify(r.not_contains)}`);
  }
  const inList = list(r.in);
  if (inList.length > 0 && !inList.includes(v)) report(path, `value must be in list [${inList.join(", ")}]`);
  if (list(r.not_in).includes(v)) report(path, `value must not be in list [${list(r.not_in).join(", ")}]`);
  if (r.hostname === true && !HOSTNAME.test(v)) report(path, "value must be a valid hostname");
  if (r.ipv4 === true && !IPV4.test(v)) report(path, "value must be a valid IPv4 address");
  if (r.ipv6 === true && !isIpv6(v)) report(path, "value must be a valid IPv6 address");
  if (r.ip === true && !IPV4.test(v) && !isIpv6(v)) report(path, "value must be a valid IP address");
  if (r.address === true && !IPV4.test(v) && !isIpv6(v) && !HOSTNAME.test(v)) {
    report(path, "value must be a valid hostname or IP address");
  }
  if (r.uuid === true && !UUID.test(v)) report(path, "value must be a valid UUID");
  if (r.email === true && !/^[^@\s]+@[^@\s]+$/.test(v)) report(path, "value must be a valid email address");
  if (r.uri === true && !/^[A-Za-z][A-Za-z0-9+.-]*:\S*$/.test(v)) report(path, "value must be a valid absolute URI");
  if (r.well_known_regex !== undefined) {
    const strict = r.strict !== false;
    const kind = r.well_known_regex;
    if (kind === "HTTP_HEADER_NAME" || kind === 1) {
      if (!(strict ? HEADER_NAME_STRICT : HEADER_LOOSE).test(v)) report(path, "value must be a valid HTTP header name");
    } else if (kind === "HTTP_HEADER_VALUE" || kind === 2) {
      if (!(strict ? HEADER_VALUE_STRICT : HEADER_LOOSE).test(v))
        report(path, "value must be a valid HTTP header value");
    }
  }
}

export function checkBytes(r: Rules, b64: string, path: string, report: Report): void {
  const buf = Buffer.from(b64, "base64");
  if (r.ignore_empty === true && buf.length === 0) return;
  const len = num(r.len);
  if (len !== undefined && buf.length !== len) report(path, `value length must be ${len} bytes`);
  const minLen = num(r.min_len);
  if (minLen !== undefined && buf.length < minLen) report(path, `value length must be at least ${minLen} bytes`);
  const maxLen = num(r.max_len);
  if (maxLen !== undefined && buf.length > maxLen) report(path, `value length must be at most ${maxLen} bytes`);
  if (typeof r.pattern === "string") {
    const re = compilePattern(r.pattern);
    if (re && !re.test(buf.toString("latin1")))
      report(path, `value does not match regex pattern ${JSON.stringify(r.pattern)}`);
  }
  if (r.ipv4 === true && buf.length !== 4) report(path, "value must be a valid IPv4 address (4 bytes)");
  if (r.ipv6 === true && buf.length !== 16) report(path, "value must be a valid IPv6 address (16 bytes)");
  if (r.ip === true && buf.length !== 4 && buf.length !== 16) report(path, "value must be a valid IP address");
}

export function checkEnum(r: Rules, v: number, defined: boolean, path: string, report: Report): void {
  if (r.defined_only === true && !defined) report(path, `value ${v} must be one of the defined enum values`);
  checkNumber({ const: r.const, in: r.in, not_in: r.not_in }, v, path, report);
}

/** Converts a PGV duration bound ({seconds, nanos}) to nanoseconds. */
export function durationBoundNanos(v: unknown): bigint | undefined {
  if (!isPlainObject(v)) return undefined;
  const s = num(v.seconds) ?? 0;
  const n = num(v.nanos) ?? 0;
  return BigInt(Math.trunc(s)) * 1_000_000_000n + BigInt(Math.trunc(n));
}

export function formatNanos(n: bigint): string {
  const neg = n < 0n;
  const a = neg ? -n : n;
  const s = a / 1_000_000_000n;
  const frac = a % 1_000_000_000n;
  const fracStr = frac === 0n ? "" : "." + frac.toString().padStart(9, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${s}${fracStr}s`;
}

export function checkDuration(r: Rules, v: bigint, path: string, report: Report): void {
  const c = durationBoundNanos(r.const);
  if (c !== undefined && v !== c) report(path, `value must equal ${formatNanos(c)}`);
  const lt = durationBoundNanos(r.lt);
  const lte = durationBoundNanos(r.lte);
  const gt = durationBoundNanos(r.gt);
  const gte = durationBoundNanos(r.gte);
  if (gt !== undefined && !(v > gt)) report(path, `value must be greater than ${formatNanos(gt)}`);
  if (gte !== undefined && !(v >= gte)) report(path, `value must be greater than or equal to ${formatNanos(gte)}`);
  if (lt !== undefined && !(v < lt)) report(path, `value must be less than ${formatNanos(lt)}`);
  if (lte !== undefined && !(v <= lte)) report(path, `value must be less than or equal to ${formatNanos(lte)}`);
  const inList = list(r.in).map(durationBoundNanos);
  if (inList.length > 0 && !inList.includes(v))
    report(path, `value must be in list [${inList.map((x) => formatNanos(x ?? 0n)).join(", ")}]`);
  const notIn = list(r.not_in).map(durationBoundNanos);
  if (notIn.includes(v))
    report(path, `value must not be in list [${notIn.map((x) => formatNanos(x ?? 0n)).join(", ")}]`);
}
