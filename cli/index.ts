// lucid-mesh command dispatcher: `tsx cli/index.ts <command> [args...]`. Commands live in cli/commands/.
import { internalError, processIo, type Command } from "./commands/command";
import { deployCommand } from "./commands/deploy";
import { diffCommand } from "./commands/diff";
import { envoyValidateCommand } from "./commands/envoyValidate";
import { gateCommand } from "./commands/gate";
import { renderCommand } from "./commands/render";
import { discardPendingOutputDirs } from "./render/outputDir";

const commands: readonly Command[] = [renderCommand, gateCommand, envoyValidateCommand, diffCommand, deployCommand];

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

// With a handler, an interrupt waits for the synchronous write-and-swap to finish, so it never leaves half a render
// or a temporary directory: whatever is still pending is removed here.
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const) {
  process.once(signal, () => {
    discardPendingOutputDirs();
    processIo.err(`interrupted (${signal}): nothing was written\n`);
    process.exit(code);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    processIo.err(internalError(error));
    process.exitCode = 2;
  },
);
