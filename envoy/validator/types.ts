export interface ValidationIssue {
  file: string;
  path: string;
  message: string;
  severity: "error" | "warning";
}

export interface ConfigFile {
  path: string;
  content: string;
}

/** Joins a field key onto a path ("" is the document root). */
export function joinKey(path: string, key: string): string {
  if (/^[A-Za-z_@][A-Za-z0-9_]*$/.test(key)) return path === "" ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

export function joinIndex(path: string, i: number): string {
  return `${path}[${i}]`;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads a field by its proto name, accepting the lowerCamelCase JSON name too. */
export function getField(obj: unknown, protoName: string): unknown {
  if (!isPlainObject(obj)) return undefined;
  const direct = obj[protoName];
  if (direct !== undefined) return direct;
  return obj[toJsonName(protoName)];
}

/** The key under which a field is present in obj (proto or JSON name), or the proto name. */
export function keyOf(obj: unknown, protoName: string): string {
  if (isPlainObject(obj) && obj[protoName] === undefined && obj[toJsonName(protoName)] !== undefined) {
    return toJsonName(protoName);
  }
  return protoName;
}

/** protoc's ToJsonName: drop underscores, upper-case the following letter. */
export function toJsonName(name: string): string {
  let out = "";
  let upper = false;
  for (const ch of name) {
    if (ch === "_") {
      upper = true;
    } else if (upper) {
      out += ch.toUpperCase();
      upper = false;
    } else {
      out += ch;
    }
  }
  return out;
}
