/**
 * Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the Pulumi CLI would hand them to the program, without the
 * CLI: for the offline render, the tests and the benchmark. `secure:` values cannot be decrypted offline, so they
 * become redacted placeholders.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { CONFIG_KEY, MeshConfigError } from "./validate";

export const REDACTED = "[secret]";

export interface StackFile {
  /** Project name from Pulumi.yaml. */
  readonly project: string;
  readonly stack: string;
  /** Config keys as the CLI passes them (`project:key`), values as parsed YAML. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The file it came from. */
  readonly source: string;
}

/** A bad input file: the message names the file and the fix. */
export class StackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackFileError";
  }
}

/**
 * Bounds on the work one stack file may cause. A real stack file is a few KB with no aliases; a mesh of 1,000
 * services is about 200 KB and 30,000 values. The Pulumi CLI's own YAML library refuses alias bombs too
 * (go-yaml v3, decode.go: "document contains excessive aliasing").
 */
export const STACK_FILE_LIMITS = {
  /** Bytes read from a stack file. */
  maxBytes: 4 * 1024 * 1024,
  /** Aliases (`*name`) in one file: js-yaml's `maxAliases`. */
  maxAliases: 100,
  /** Nesting of mappings and sequences: js-yaml's `maxDepth`. */
  maxDepth: 64,
  /** Values after aliases are expanded (js-yaml shares an alias's object; anything that walks it sees every copy). */
  maxValues: 1_000_000,
} as const;

/**
 * Byte offset of the first byte that is not UTF-8, or undefined. The WHATWG decoder replaces each invalid
 * sequence with U+FFFD; walking the decoded text keeps the byte offset in step (a valid code point takes its UTF-8
 * length), so the first U+FFFD that the bytes do not spell as EF BF BD is where the invalid sequence starts.
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number | undefined {
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
  let offset = 0;
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    if (codePoint === 0xfffd && !(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) {
      return offset;
    }
    offset += codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
  }
  return undefined;
}

function readText(file: string): string {
  let bytes: Buffer;
  try {
    const stat = fs.statSync(file);
    // Not a device or a pipe: /dev/zero would never end.
    if (!stat.isFile()) throw new StackFileError(`${file} is not a regular file. Fix: pass the stack file itself`);
    const size = stat.size;
    if (size > STACK_FILE_LIMITS.maxBytes) {
      throw new StackFileError(
        `${file} is ${size} bytes, more than the ${STACK_FILE_LIMITS.maxBytes} a stack file may have. Fix: check that it is the stack file you meant`,
      );
    }
    bytes = fs.readFileSync(file);
  } catch (error) {
    if (error instanceof StackFileError) throw error;
    throw new StackFileError(`cannot read ${file}. Fix: check the path`);
  }
  const offset = firstInvalidUtf8Offset(bytes);
  if (offset !== undefined) {
    const byte = bytes[offset]!.toString(16).padStart(2, "0");
    throw new StackFileError(
      `${file}: not UTF-8: byte 0x${byte} at offset ${offset} does not start a valid UTF-8 sequence. Fix: save the file as UTF-8`,
    );
  }
  return bytes.toString("utf8");
}

function loadYaml(file: string): unknown {
  const text = readText(file);
  let doc: unknown;
  try {
    doc = yaml.load(text, { maxAliases: STACK_FILE_LIMITS.maxAliases, maxDepth: STACK_FILE_LIMITS.maxDepth });
  } catch (error) {
    const reason = error instanceof yaml.YAMLException ? error.reason : String(error);
    const line = error instanceof yaml.YAMLException && error.mark ? ` at line ${error.mark.line + 1}` : "";
    const fix = /maxAliases|maxDepth/.test(reason)
      ? `write the values out: a stack file may use at most ${STACK_FILE_LIMITS.maxAliases} aliases and nest ${STACK_FILE_LIMITS.maxDepth} levels`
      : "correct the YAML syntax";
    throw new StackFileError(`${file}: malformed YAML${line}: ${reason}. Fix: ${fix}`);
  }
  const values = countValues(doc, STACK_FILE_LIMITS.maxValues);
  if (values > STACK_FILE_LIMITS.maxValues) {
    throw new StackFileError(
      `${file}: its aliases expand to more than ${STACK_FILE_LIMITS.maxValues} values. Fix: write the values out instead of nesting aliases`,
    );
  }
  return doc;
}

/** Values in a document with aliases expanded, counting no further than just past `limit`. */
function countValues(root: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0 && count <= limit) {
    const value = stack.pop();
    count++;
    if (typeof value === "object" && value !== null) {
      for (const child of Array.isArray(value) ? (value as unknown[]) : Object.values(value)) stack.push(child);
    }
  }
  return count;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Replaces `{ secure: "..." }` values, which only the CLI can decrypt, with a placeholder. */
export function redactSecureValues(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecureValues);
  if (isRecord(value)) {
    if (Object.keys(value).length === 1 && typeof value.secure === "string") return REDACTED;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecureValues(v)]));
  }
  return value;
}

export function projectName(projectDir: string): string {
  const doc = loadYaml(path.join(projectDir, "Pulumi.yaml"));
  if (!isRecord(doc) || typeof doc.name !== "string") {
    throw new StackFileError(`${path.join(projectDir, "Pulumi.yaml")}: no project name. Fix: set name: lucid-mesh`);
  }
  return doc.name;
}

/** Stacks that have a `Pulumi.<stack>.yaml` in the project directory. */
export function knownStacks(projectDir: string): string[] {
  return fs
    .readdirSync(projectDir)
    .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** Reads a stack's config from `Pulumi.<stack>.yaml`, or from `configFile` (same shape) when given. */
export function readStackFile(projectDir: string, stack: string, configFile?: string): StackFile {
  const project = projectName(projectDir);
  const file = configFile ?? path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!configFile && !fs.existsSync(file)) {
    const stacks = knownStacks(projectDir);
    throw new StackFileError(
      `unknown stack "${stack}": ${file} does not exist. Fix: use one of ${stacks.join(", ") || "(none)"}, or pass --config <file>`,
    );
  }
  const doc = loadYaml(file);
  if (!isRecord(doc) || !isRecord(doc.config)) {
    throw new StackFileError(
      `${file}: no config: block. Fix: put the stack's settings under config:, as in Pulumi.dev.yaml`,
    );
  }
  const config = redactSecureValues(doc.config) as Record<string, unknown>;
  return { project, stack, config, source: file };
}

/** The raw `lucid-mesh:mesh` value of a stack file, or a config error naming what is missing. */
export function meshConfigValue(stackFile: StackFile): unknown {
  const key = `${stackFile.project}:mesh`;
  if (!(key in stackFile.config)) {
    throw new MeshConfigError(
      [{ path: "(root)", message: `${stackFile.source} has no ${key}`, fix: "add it; see Pulumi.dev.yaml" }],
      CONFIG_KEY,
    );
  }
  return stackFile.config[key];
}
