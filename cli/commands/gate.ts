/** `gate`: run the policy rules again over a plan.json (as rendered, or edited), with the render's exit codes. */
import * as path from "node:path";
import type { GateResult } from "../render/gate";
import { formatGateSummary } from "../render/summary";
import { internalError, readFlags, processIo, stringFlag, UsageError, type Command, type ParsedFlags } from "./command";

const PROJECT_DIR = path.resolve(__dirname, "..", "..");

export interface GateFlags {
  readonly planFile: string;
  readonly policyConfigFile?: string;
  readonly format: "text" | "json";
}

export function gateFlags(flags: ParsedFlags): GateFlags {
  if (flags.positionals.length === 0) throw new UsageError("<plan.json> is required (the plan a render wrote)");
  if (flags.positionals.length > 1) {
    throw new UsageError(`exactly one <plan.json> is checked at a time (got ${flags.positionals.length})`);
  }
  const policyConfigFile = stringFlag(flags, "policy-config");
  return {
    planFile: flags.positionals[0]!,
    format: stringFlag(flags, "format") === "json" ? "json" : "text",
    ...(policyConfigFile !== undefined ? { policyConfigFile } : {}),
  };
}

export const gateCommand: Command = {
  name: "gate",
  describe: "Re-run the policy rules over a rendered (or edited) plan.json.",
  positionals: "<plan.json>",
  options: {
    "policy-config": {
      type: "string",
      value: "<file>",
      describe: "policy pack config (default policies/config/<dev|prod>.json by the plan's environment)",
    },
    format: { type: "string", choices: ["text", "json"], default: "text", describe: "summary format on stdout" },
    help: { type: "boolean", describe: "show this help" },
  },
  async run(argv, io = processIo) {
    const read = readFlags(this, argv, io, gateFlags);
    if ("exitCode" in read) return read.exitCode;
    const { flags } = read;
    let result: GateResult;
    try {
      // Loaded on use: the CLI starts without the policy runner unless this command runs.
      const { gatePlan } = await import("../render/gate");
      result = await gatePlan({
        planFile: flags.planFile,
        projectDir: PROJECT_DIR,
        ...(flags.policyConfigFile !== undefined ? { policyConfigFile: flags.policyConfigFile } : {}),
      });
    } catch (error) {
      io.err(internalError(error));
      return 1;
    }
    if (result.error !== undefined) io.err(`${result.error}\n`);
    if (flags.format === "json") {
      io.out(
        `${JSON.stringify({ exitCode: result.exitCode, ...(result.error !== undefined ? { error: result.error } : {}), resources: result.resources, report: result.report, rendered: result.rendered ?? [] }, null, 2)}\n`,
      );
    } else if (result.report) {
      const summary = formatGateSummary(flags.planFile, result.resources, result.report, result.exitCode);
      // traffic.json and drift.json problems go above the result line.
      const rendered = (result.rendered ?? []).map((p) => `${path.basename(p.file)}: ${p.message}\n`).join("");
      io.out(rendered === "" ? summary : summary.replace(/(result: [^\n]*\n?)$/, `${rendered}$1`));
    }
    return result.exitCode;
  },
};

export const { name, describe, options } = gateCommand;
export const run = gateCommand.run.bind(gateCommand);
