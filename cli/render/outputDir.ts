/**
 * What --out may be: absent, empty, or a previous render. Kept apart from the writer (and free of the SDK) so the
 * command can check its input before it loads the program.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const MANIFEST_FILE = "manifest.json";

/** A target that cannot be written; the message names the directory and the fix. */
export class OutputDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutputDirError";
  }
}

export function describeError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message.replace(/^[A-Z]+: /, "")}` : String(error);
}

/** Every path under `dir` (directories end in `/`), relative to it with `/` separators; symlinks are not followed. */
function entriesUnder(dir: string, base = dir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    const relative = path.relative(base, full).split(path.sep).join("/");
    return e.isDirectory() ? [`${relative}/`, ...entriesUnder(full, base)] : [relative];
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Why `dir` is not a render this command may replace, or undefined when it is one: an empty directory, or a
 * directory holding a manifest.json of this shape and nothing the manifest does not list. So a render is never
 * written over a checkout, a home directory or a folder someone added files to.
 */
export function notAPreviousRender(dir: string): string | undefined {
  if (fs.readdirSync(dir).length === 0) return undefined;
  let manifest: unknown;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), "utf8"));
  } catch {
    return `it is not empty and has no readable ${MANIFEST_FILE}, so it is not a previous render`;
  }
  if (
    !isRecord(manifest) ||
    typeof manifest.schemaVersion !== "number" ||
    !Array.isArray(manifest.files) ||
    !Array.isArray(manifest.omitted)
  ) {
    return `its ${MANIFEST_FILE} is not a render's manifest`;
  }
  const listed = new Set<string>([MANIFEST_FILE]);
  for (const entry of manifest.files as unknown[]) {
    const file = isRecord(entry) ? entry.path : undefined;
    if (typeof file !== "string") return `its ${MANIFEST_FILE} is not a render's manifest`;
    const parts = file.split("/");
    parts.forEach((_, i) => listed.add(i < parts.length - 1 ? `${parts.slice(0, i + 1).join("/")}/` : file));
  }
  // Walked only once the manifest says this is a render: never a whole home directory or file system.
  const unknown = entriesUnder(dir).find((e) => !listed.has(e));
  return unknown === undefined ? undefined : `it holds ${unknown}, which no render wrote`;
}

/**
 * Checks that `outDir` can be replaced by a render: absent, or a directory that is empty or a previous render.
 * Throws an OutputDirError naming the directory and the fix; changes nothing.
 */
export function checkOutputDir(outDir: string): void {
  const target = path.resolve(outDir);
  let reason: string | undefined;
  try {
    const stat = fs.lstatSync(target, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isSymbolicLink()) reason = "it is a symbolic link";
    else if (!stat.isDirectory()) reason = "it exists and is not a directory";
    else reason = notAPreviousRender(target);
  } catch (error) {
    throw new OutputDirError(
      `cannot write output directory ${outDir} (${describeError(error)}). Fix: pass a writable --out`,
    );
  }
  if (reason !== undefined) {
    throw new OutputDirError(
      `refusing to replace output directory ${outDir}: ${reason}. Fix: pass a new or empty directory as --out (a render replaces only a previous render)`,
    );
  }
}

/** Temporary directories not yet committed or discarded: removed if the process is interrupted. */
const pendingTempDirs = new Set<string>();

/** Removes every temporary directory of a render still under way (for SIGINT and SIGTERM). */
export function discardPendingOutputDirs(): void {
  for (const dir of pendingTempDirs) discardOutputDir(dir);
}

/** Notes a temporary directory of a render under way, until it is committed or discarded. */
export function trackTempDir(dir: string): void {
  pendingTempDirs.add(dir);
}

export function untrackTempDir(dir: string): void {
  pendingTempDirs.delete(dir);
}

export function discardOutputDir(tempDir: string): void {
  fs.rmSync(tempDir, { recursive: true, force: true });
  untrackTempDir(tempDir);
}
