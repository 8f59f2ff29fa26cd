/** Shared pieces of the CLI tests: temp dirs, captured command output, walking a render. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { CommandIo } from "../../cli/commands/command";

export const PROJECT_DIR = path.resolve(__dirname, "..", "..");

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `lucid-${prefix}-`));
}

export interface CapturedIo extends CommandIo {
  readonly stdout: () => string;
  readonly stderr: () => string;
}

export function captureIo(stderrIsTTY = false): CapturedIo {
  let out = "";
  let err = "";
  return {
    out: (t) => (out += t),
    err: (t) => (err += t),
    stderrIsTTY,
    stdout: () => out,
    stderr: () => err,
  };
}

/** Every file under `dir`, as paths relative to it with `/` separators, sorted. */
export function walk(dir: string, base = dir): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const full = path.join(dir, e.name);
      return e.isDirectory() ? walk(full, base) : [path.relative(base, full).split(path.sep).join("/")];
    })
    .sort();
}

export function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}
