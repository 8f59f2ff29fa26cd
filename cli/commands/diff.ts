/** `diff`: what a change does to the mesh, from two render folders (base and head), as Markdown or JSON. */
import { meshDiffJson, meshDiffMarkdown } from "../diff/format";
import { meshDiff } from "../diff/meshDiff";
import { readRenderFolder, RenderFolderError } from "../diff/read";
import { systemModels } from "../../simulate/providers";
import { internalError, processIo, readFlags, stringFlag, UsageError, type Command, type ParsedFlags } from "./command";

export interface DiffFlags {
  readonly base: string;
  readonly head: string;
  readonly format: "markdown" | "json";
}

export function diffFlags(flags: ParsedFlags): DiffFlags {
  const [base, head, ...extra] = flags.positionals;
  if (base === undefined || head === undefined || extra.length > 0) {
    throw new UsageError("expects two render folders: <base> <head>");
  }
  return { base, head, format: stringFlag(flags, "format") === "json" ? "json" : "markdown" };
}

export const diffCommand: Command = {
  name: "diff",
  describe:
    "Compare two render folders: services, allowed edges, Envoy files, reissued certificates, restarts, policy.",
  positionals: "<base render> <head render>",
  options: {
    format: { type: "string", choices: ["markdown", "json"], default: "markdown", describe: "output on stdout" },
    help: { type: "boolean", describe: "show this help" },
  },
  async run(argv, io = processIo) {
    const read = readFlags(this, argv, io, diffFlags);
    if ("exitCode" in read) return read.exitCode;
    const { flags } = read;
    try {
      const diff = meshDiff(systemModels, readRenderFolder(flags.base), readRenderFolder(flags.head));
      io.out(flags.format === "json" ? meshDiffJson(diff) : meshDiffMarkdown(diff));
      return 0;
    } catch (error) {
      if (error instanceof RenderFolderError) {
        io.err(`diff: ${error.message}\n`);
        return 2;
      }
      io.err(internalError(error));
      return 1;
    }
  },
};
