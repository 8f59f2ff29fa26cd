// `npm run envoy:validate -- FILE...`: validates the files as one proxy's config set.
import * as fs from "fs";
import { validateConfigSetSync } from "./configSet";
import type { ConfigFile } from "./types";

export async function runEnvoyValidate(
  argv: string[],
  out: (line: string) => void = (l) => console.log(l),
): Promise<number> {
  const paths = argv.filter((a) => a !== "--");
  if (paths.length === 0 || paths.includes("--help") || paths.includes("-h")) {
    out("usage: envoy-validate FILE... (a bootstrap and its file-based LDS/CDS/SDS files, YAML or JSON)");
    return paths.length === 0 ? 2 : 0;
  }
  const files: ConfigFile[] = [];
  for (const p of paths) {
    try {
      files.push({ path: p, content: fs.readFileSync(p, "utf8") });
    } catch (e) {
      out(`${p}: error: cannot read file: ${(e as Error).message}`);
      return 2;
    }
  }
  const issues = validateConfigSetSync(files);
  for (const i of issues) out(`${i.file}: ${i.path ? i.path + ": " : ""}${i.severity}: ${i.message}`);
  const errors = issues.filter((i) => i.severity === "error").length;
  const warnings = issues.length - errors;
  out(`${files.length} file(s) checked: ${errors} error(s), ${warnings} warning(s)`);
  return errors > 0 ? 1 : 0;
}
