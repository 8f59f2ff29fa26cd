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

function loadYaml(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new StackFileError(`cannot read ${file}. Fix: check the path`);
  }
  try {
    return yaml.load(text);
  } catch (error) {
    const reason = error instanceof yaml.YAMLException ? error.reason : String(error);
    const line = error instanceof yaml.YAMLException && error.mark ? ` at line ${error.mark.line + 1}` : "";
    throw new StackFileError(`${file}: malformed YAML${line}: ${reason}. Fix: correct the YAML syntax`);
  }
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
