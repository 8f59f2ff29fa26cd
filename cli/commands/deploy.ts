/**
 * `deploy`: deploy a split mesh's stacks in the order its design needs (deploy/plan.ts), clusters in parallel,
 * through Pulumi's Automation API and the user's `pulumi` CLI. `--plan` prints the order and runs nothing.
 */
import { stackMesh, checkSplitStackFiles } from "../../model/partStackFile";
import { readStackFile } from "../../model/stackFile";
import { MeshConfigError } from "../../model/validate";
import { splitProblems } from "../../model/stackParts";
import { FIRST_DEPLOY, deployPlan } from "../../deploy/plan";
import { formatChanges, formatPlan, runDeploy, type DeployEvent, type StackRunner } from "../../deploy/orchestrator";
import { isBadInput } from "../render/input";
import { PROJECT_DIR } from "./render";
import {
  internalError,
  processIo,
  readFlags,
  stringFlag,
  UsageError,
  type Command,
  type CommandIo,
  type ParsedFlags,
} from "./command";

export interface DeployFlags {
  readonly env: string;
  readonly planOnly: boolean;
  /** Print every line the CLI writes, prefixed by its stack, instead of one line per finished stack. */
  readonly verbose: boolean;
}

export function deployFlags(flags: ParsedFlags): DeployFlags {
  const env = stringFlag(flags, "env");
  if (env === undefined || env === "") {
    throw new UsageError("--env is required (it names Pulumi.<env>.yaml, the split mesh's shared model)");
  }
  if (flags.positionals.length > 0) throw new UsageError(`unexpected argument ${flags.positionals[0]}`);
  return { env, planOnly: flags.values.plan === true, verbose: flags.values.verbose === true };
}

/** Progress on stderr: the plan, each phase as it starts, each stack as it finishes. */
export function progressPrinter(io: CommandIo, verbose: boolean): (event: DeployEvent) => void {
  return (event) => {
    if (event.kind === "plan") io.err(`deploy plan:\n${formatPlan(event.phases)}\n`);
    else if (event.kind === "phase") {
      const stacks = event.phase.steps.map((s) => s.stack).join(", ");
      io.err(`[${event.index + 1}/${event.total}] ${event.phase.name}: ${stacks}\n`);
    } else if (event.kind === "output") {
      if (verbose) io.err(event.text.replace(/^(?=.)/gm, `  ${event.stack} | `));
    } else if (event.kind === "done") {
      io.err(`  ✓ ${event.stack}: ${formatChanges(event.changes)} (${(event.ms / 1000).toFixed(1)} s)\n`);
    } else {
      io.err(`  ✗ ${event.stack} failed after ${(event.ms / 1000).toFixed(1)} s: ${event.error.trim()}\n`);
    }
  };
}

/** Why the Automation API could not start, in one line: most often, no `pulumi` on PATH. */
export function cliStartError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/ENOENT/.test(message)) {
    return "the Pulumi CLI (pulumi) is not on PATH. Fix: install it (https://www.pulumi.com/docs/install/), or run the stacks from CI as the README shows";
  }
  const first = message.trim().split("\n")[0] ?? message;
  return `cannot start the Pulumi CLI: ${first}. Fix: check \`pulumi version\` and \`pulumi login\``;
}

/** The deploy command with its runner factory injected: the Automation API in the CLI, a fake in the tests. */
export function deployCommandWith(makeRunner: (projectDir: string) => Promise<StackRunner>, projectDir = PROJECT_DIR) {
  const command: Command = {
    name: "deploy",
    describe: "Deploy a split mesh's stacks in order (root, clusters in parallel, peerings) with the Pulumi CLI.",
    options: {
      env: { type: "string", value: "<env>", describe: "the environment: Pulumi.<env>.yaml holds the shared mesh" },
      plan: { type: "boolean", describe: "print the order of a first deploy and run nothing (no Pulumi CLI needed)" },
      verbose: { type: "boolean", describe: "print the Pulumi CLI's output of every stack" },
      help: { type: "boolean", describe: "show this help" },
    },
    async run(argv, io = processIo) {
      const read = readFlags(command, argv, io, deployFlags);
      if ("exitCode" in read) return read.exitCode;
      const { flags } = read;
      let mesh;
      try {
        const shared = stackMesh(projectDir, readStackFile(projectDir, flags.env));
        if (shared.part) {
          throw new UsageError(
            `Pulumi.${flags.env}.yaml is a part of mesh ${shared.part.mesh}. Fix: pass --env ${shared.part.mesh}`,
          );
        }
        mesh = shared.mesh;
        const problems = splitProblems(flags.env, mesh);
        if (problems.length > 0) throw new MeshConfigError(problems, `lucid-mesh:mesh in Pulumi.${flags.env}.yaml`);
        checkSplitStackFiles(projectDir, flags.env, mesh);
      } catch (error) {
        if (error instanceof UsageError || isBadInput(error)) {
          io.err(`deploy: ${error.message}\n`);
          return 2;
        }
        io.err(internalError(error));
        return 2;
      }
      if (flags.planOnly) {
        io.out(`${formatPlan(deployPlan(flags.env, mesh, FIRST_DEPLOY))}\n`);
        return 0;
      }
      let runner: StackRunner;
      try {
        runner = await makeRunner(projectDir);
      } catch (error) {
        io.err(`deploy: ${cliStartError(error)}\n`);
        return 2;
      }
      const result = await runDeploy(flags.env, mesh, runner, progressPrinter(io, flags.verbose));
      if (!result.ok) {
        io.err(`deploy: ${result.failed.map((f) => f.stack).join(", ")} failed; the phases after it did not run\n`);
        return 1;
      }
      io.err(`deploy: ${result.updated.length} updates of ${new Set(result.updated).size} stacks, all done\n`);
      return 0;
    },
  };
  return command;
}

export const deployCommand = deployCommandWith(async (projectDir) => {
  const { automationRunner } = await import("../../deploy/automation");
  return automationRunner(projectDir);
});
