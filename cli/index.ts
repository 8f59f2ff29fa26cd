// lucid-mesh command dispatcher: `tsx cli/index.ts <command> [args...]`. Commands live in cli/commands/.
import { processIo, type Command } from "./commands/command";
import { diffCommand } from "./commands/diff";
import { envoyValidateCommand } from "./commands/envoyValidate";
import { gateCommand } from "./commands/gate";
import { renderCommand } from "./commands/render";

const commands: readonly Command[] = [renderCommand, gateCommand, envoyValidateCommand, diffCommand];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "usage: tsx cli/index.ts <command> [args...]",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.describe}`),
    "",
  ].join("\n");
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = commands.find((c) => c.name === name);
  if (!command) {
    processIo.err(`${name === undefined ? "" : `unknown command "${name}"\n`}${usage()}`);
    return 2;
  }
  return command.run(rest, processIo);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    processIo.err(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
