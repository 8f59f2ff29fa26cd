/** `render`: run a stack's program under mocks, write what it would deploy, validate it and run the policies. */
import * as path from "node:path";
import type { ProgressFn, RenderResult } from "../render";
import { emptySummary, isBadInput, readRenderInput } from "../render/input";
import { renderMarkdown } from "../render/markdown";
import { formatRenderSummary } from "../render/summary";
import {
  internalError,
  readFlags,
  processIo,
  stringFlag,
  UsageError,
  type Command,
  type CommandIo,
  type ParsedFlags,
} from "./command";

/** The project this CLI belongs to: Pulumi.yaml and policies/config/ live here. */
export const PROJECT_DIR = path.resolve(__dirname, "..", "..");

/** Meshes with at least this many resources in a phase show progress even when stderr is not a terminal. */
export const LARGE_PHASE = 500;

export interface RenderFlags {
  readonly stack: string;
  readonly configFile?: string;
  readonly outDir: string;
  readonly policyConfigFile?: string;
  readonly format: "text" | "json" | "markdown";
}

function formatFlag(value: string | undefined): RenderFlags["format"] {
  return value === "json" || value === "markdown" ? value : "text";
}

/** Checks required and conflicting flags: pure, so every case is a table row in the tests. */
export function renderFlags(flags: ParsedFlags): RenderFlags {
  const stack = stringFlag(flags, "stack");
  if (stack === undefined || stack === "") {
    throw new UsageError("--stack is required (it names Pulumi.<stack>.yaml, or the stack a --config file is for)");
  }
  const out = stringFlag(flags, "out");
  if (out === "") throw new UsageError("--out must name a directory");
  const configFile = stringFlag(flags, "config");
  const policyConfigFile = stringFlag(flags, "policy-config");
  if (
    configFile !== undefined &&
    policyConfigFile !== undefined &&
    path.resolve(configFile) === path.resolve(policyConfigFile)
  ) {
    throw new UsageError(
      "--config and --policy-config name the same file: --config is the stack config, --policy-config the policy pack's",
    );
  }
  return {
    stack,
    outDir: out ?? path.join("out", stack),
    format: formatFlag(stringFlag(flags, "format")),
    ...(configFile !== undefined ? { configFile } : {}),
    ...(policyConfigFile !== undefined ? { policyConfigFile } : {}),
  };
}

/** Progress on stderr, per phase: always on a terminal, otherwise only for large phases. */
export function progressReporter(io: CommandIo): ProgressFn {
  return (done, total, phase) => {
    if (!io.stderrIsTTY && total < LARGE_PHASE) return;
    io.err(`render: ${phase} ${done}/${total}\n`);
  };
}

function jsonDocument(result: RenderResult): string {
  return `${JSON.stringify(
    {
      exitCode: result.exitCode,
      outDir: result.outDir,
      ...(result.error !== undefined ? { error: result.error } : {}),
      summary: result.summary,
      ...(result.policy ? { violations: result.policy.violations } : {}),
    },
    null,
    2,
  )}\n`;
}

export const renderCommand: Command = {
  name: "render",
  describe: "Run a stack's program under mocks; write, validate and policy-check what it would deploy.",
  options: {
    stack: { type: "string", value: "<name>", describe: "stack to render (reads Pulumi.<name>.yaml)" },
    config: { type: "string", value: "<file>", describe: "stack config file to read instead of Pulumi.<name>.yaml" },
    out: { type: "string", value: "<dir>", describe: "output directory, replaced atomically (default out/<stack>)" },
    "policy-config": {
      type: "string",
      value: "<file>",
      describe: "policy pack config (default policies/config/<dev|prod>.json by environment)",
    },
    format: {
      type: "string",
      choices: ["text", "json", "markdown"],
      default: "text",
      describe: "summary format on stdout (markdown: the review summary for a pull request)",
    },
    help: { type: "boolean", describe: "show this help" },
  },
  async run(argv, io = processIo) {
    const read = readFlags(this, argv, io, renderFlags);
    if ("exitCode" in read) return read.exitCode;
    const { flags } = read;
    const input = {
      projectDir: PROJECT_DIR,
      stack: flags.stack,
      outDir: flags.outDir,
      ...(flags.configFile !== undefined ? { configFile: flags.configFile } : {}),
      ...(flags.policyConfigFile !== undefined ? { policyConfigFile: flags.policyConfigFile } : {}),
    };
    let result: RenderResult | undefined;
    try {
      // Bad input is refused before the program and the SDK are loaded; renderStack checks the same again.
      readRenderInput(input);
    } catch (error) {
      if (!isBadInput(error)) {
        io.err(internalError(error));
        return 2;
      }
      result = { exitCode: 2, summary: emptySummary(flags.stack), outDir: flags.outDir, error: error.message };
    }
    try {
      if (result === undefined) {
        const { renderStack } = await import("../render");
        result = await renderStack({ ...input, onProgress: progressReporter(io) });
      }
    } catch (error) {
      // Not bad input, but still no render: one line and exit 2 (exit 1 means "rendered, and the deploy would fail").
      io.err(internalError(error));
      return 2;
    }
    if (result.error !== undefined) io.err(`${result.error}\n`);
    if (flags.format === "json") io.out(jsonDocument(result));
    else if (flags.format === "markdown" && result.error === undefined) io.out(renderMarkdown(result));
    else if (result.error === undefined)
      io.out(formatRenderSummary(result.summary, result.outDir, result.exitCode, result.policy));
    return result.exitCode;
  },
};

export const { name, describe, options } = renderCommand;
export const run = renderCommand.run.bind(renderCommand);
