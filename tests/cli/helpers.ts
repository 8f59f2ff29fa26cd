/** Shared pieces of the CLI tests: temp dirs, captured command output, walking a render. */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
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

const TSX = pathToFileURL(path.join(PROJECT_DIR, "node_modules", "tsx", "dist", "loader.mjs")).href;
const CLI = path.join(PROJECT_DIR, "cli", "index.ts");

export interface ChildResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs `node --import tsx <script> ...args` in `cwd`; the script defaults to the CLI. */
export function runNode(args: readonly string[], cwd: string, script = CLI): Promise<ChildResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", TSX, script, ...args], {
      cwd,
      env: { ...process.env, LUCID_MESH_DEBUG: "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status, signal) =>
      resolve({ status, signal, stdout, stderr, ms: Math.round(performance.now() - started) }),
    );
  });
}

/** Runs tasks with at most `limit` at a time. */
export async function pool<T>(tasks: ReadonlyArray<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/** One message: the first line, then only indented lines (a config error's list); no stack trace. */
export function assertOneMessage(stderr: string): void {
  assert.ok(stderr.length > 0, "no message on stderr");
  assert.ok(!/\n\s+at /.test(stderr) && !/\.(ts|js|mjs|cjs):\d+/.test(stderr), `stack trace in: ${stderr}`);
  const lines = stderr.trimEnd().split("\n");
  assert.ok(
    lines.slice(1).every((l) => l.startsWith("  ")),
    `more than one message: ${stderr}`,
  );
}

/** Every entry under `dir` with its content (files) so a test can show nothing changed. */
export function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(walk(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
}
