/** `envoy-validate FILE...`: validates files as one proxy's config set (the validator lives in envoy/validator/). */
import { processIo, type Command } from "./command";

export const envoyValidateCommand: Command = {
  name: "envoy-validate",
  describe: "Validate a bootstrap and its file-based LDS/CDS/SDS files (YAML or JSON) as one proxy's config.",
  positionals: "FILE...",
  options: {},
  async run(argv, io = processIo) {
    // The validator's CLI reads its own arguments (FILE..., --help); it predates the shared flag parser. Loaded on
    // use, as the protos are.
    const { runEnvoyValidate } = await import("../../envoy/validator/cli");
    return runEnvoyValidate([...argv], (line) => io.out(`${line}\n`));
  },
};

export const { name, describe, options } = envoyValidateCommand;
export const run = envoyValidateCommand.run.bind(envoyValidateCommand);
