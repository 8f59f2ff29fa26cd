/** What every command module exports, and the typed flag parsing they share (node's util.parseArgs). */
import { parseArgs } from "node:util";

export interface OptionSpec {
  readonly type: "string" | "boolean";
  /** One line, shown in the usage text. */
  readonly describe: string;
  /** Allowed values of a string flag: anything else fails before the command runs. */
  readonly choices?: readonly string[];
  readonly default?: string;
  /** Placeholder for the usage text, such as `<file>`. */
  readonly value?: string;
}

/** Where a command writes; tests pass buffers, the CLI passes the process streams. */
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Whether stderr is a terminal (progress is shown there). */
  readonly stderrIsTTY: boolean;
}

export interface Command {
  readonly name: string;
  readonly describe: string;
  /** Positional arguments, for the usage line (such as `<plan.json>`). */
  readonly positionals?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  run(argv: readonly string[], io?: CommandIo): Promise<number>;
}

export const processIo: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  stderrIsTTY: process.stderr.isTTY === true,
};

/** Bad flags: the message names the flags; exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface ParsedFlags {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

/** Parses `argv` strictly against the command's options, then checks every `choices` flag. */
export function parseFlags(command: Command, argv: readonly string[]): ParsedFlags {
  const options = Object.fromEntries(
    Object.entries(command.options).map(([name, spec]) => [
      name,
      { type: spec.type, ...(spec.default !== undefined ? { default: spec.default } : {}) },
    ]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv.filter((a) => a !== "--"),
      options,
      strict: true,
      allowPositionals: command.positionals !== undefined,
    });
  } catch (error) {
    // parseArgs names the flag ("Unknown option '--x'", "Option '--out <value>' argument missing").
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  for (const [name, spec] of Object.entries(command.options)) {
    const value = parsed.values[name];
    if (spec.choices && typeof value === "string" && !spec.choices.includes(value)) {
      throw new UsageError(`--${name} must be one of ${spec.choices.join(", ")} (got "${value}")`);
    }
  }
  return { values: parsed.values as ParsedFlags["values"], positionals: parsed.positionals };
}

export function usage(command: Command, program = "npm run"): string {
  const lines = [
    `usage: ${program} ${command.name} --${command.positionals ? ` ${command.positionals}` : ""} [flags]`,
    command.describe,
    "",
  ];
  for (const [name, spec] of Object.entries(command.options)) {
    const value = spec.type === "string" ? ` ${spec.value ?? (spec.choices ? spec.choices.join("|") : "<value>")}` : "";
    const fallback = spec.default !== undefined ? ` (default ${spec.default})` : "";
    lines.push(`  --${name}${value}`.padEnd(34) + `${spec.describe}${fallback}`);
  }
  return `${lines.join("\n")}\n`;
}

export function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const value = flags.values[name];
  return typeof value === "string" ? value : undefined;
}

/** One line for an unexpected failure: a stack trace only with LUCID_MESH_DEBUG set. */
export function internalError(error: unknown): string {
  if (process.env.LUCID_MESH_DEBUG && error instanceof Error && error.stack) return `${error.stack}\n`;
  const message = error instanceof Error ? error.message : String(error);
  return `error: ${message} (set LUCID_MESH_DEBUG=1 for details)\n`;
}

/**
 * The first step of every command: parse the flags, answer `--help`, and turn a usage problem into one message and
 * exit code 2. Returns the command's typed flags, or the exit code to return.
 */
export function readFlags<F>(
  command: Command,
  argv: readonly string[],
  io: CommandIo,
  toFlags: (parsed: ParsedFlags) => F,
): { readonly flags: F } | { readonly exitCode: number } {
  try {
    const parsed = parseFlags(command, argv);
    if (parsed.values.help) {
      io.out(usage(command));
      return { exitCode: 0 };
    }
    return { flags: toFlags(parsed) };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`${command.name}: ${error.message} (see --help)\n`);
    return { exitCode: 2 };
  }
}
