// lucid-mesh command dispatcher: `tsx cli/index.ts <command> [args...]`.
// Minimal for now (only envoy-validate); other commands (render, gate) are added by their owners.
import { runEnvoyValidate } from "../envoy/validator/cli";

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  "envoy-validate": runEnvoyValidate,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : commands[name];
  if (!command) {
    console.error(`usage: tsx cli/index.ts <${Object.keys(commands).join("|")}> [args...]`);
    return 2;
  }
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  },
);
