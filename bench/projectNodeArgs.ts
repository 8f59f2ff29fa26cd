/**
 * The node arguments `pulumi up` starts this program with: Pulumi.yaml's `runtime.options.nodeargs`, which the
 * Node.js language host splits with shlex and puts before the program (pulumi/pulumi
 * sdk/nodejs/cmd/pulumi-language-nodejs/main.go, `parseOptions` and `Run`). The bench's `up` runs use them, so its
 * peak RSS is the one a real `up` of this project has.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";

export const PROJECT_FILE = join(__dirname, "..", "Pulumi.yaml");

/** Splits `nodeargs` as shlex does for plain words; quoting is refused rather than half-parsed. */
export function splitNodeArgs(nodeargs: string): string[] {
  if (/["'\\]/.test(nodeargs)) throw new Error(`nodeargs: quoting is not supported here: ${nodeargs}`);
  return nodeargs.split(/\s+/).filter((word) => word !== "");
}

export function projectNodeArgs(projectFile = PROJECT_FILE): string[] {
  const project = load(readFileSync(projectFile, "utf8")) as { runtime?: { options?: { nodeargs?: unknown } } };
  const nodeargs = project.runtime?.options?.nodeargs;
  if (nodeargs === undefined) return [];
  if (typeof nodeargs !== "string") throw new Error(`${projectFile}: runtime.options.nodeargs must be a string`);
  return splitNodeArgs(nodeargs);
}
