/**
 * Writing a render: every file goes into a temporary directory beside the target (same filesystem, so the final
 * rename is atomic), and only a complete render replaces the target. A failed render leaves the previous one.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { compareStrings } from "../../model/mesh";
import { hasPem, withoutPems } from "./redact";
import type { OmittedFile, OutputFile } from "./types";

export const MANIFEST_FILE = "manifest.json";

export interface ManifestEntry {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly certificateMaterial: boolean;
  /** For certificate material: the hash with every PEM block replaced by a marker, which two renders share. */
  readonly sha256WithoutCertificates?: string;
}

export interface Manifest {
  readonly schemaVersion: number;
  readonly files: readonly ManifestEntry[];
  /** Files that exist in the deployment but not in the render (private keys, secrets.json). */
  readonly omitted: readonly OmittedFile[];
}

/** A target that cannot be written; the message names the directory and the fix. */
export class OutputDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutputDirError";
  }
}

export function buildManifest(entries: readonly ManifestEntry[], omitted: readonly OmittedFile[]): Manifest {
  return {
    schemaVersion: 1,
    files: [...entries].sort((a, b) => compareStrings(a.path, b.path)),
    omitted: [...omitted].sort((a, b) => compareStrings(a.path, b.path)),
  };
}

/**
 * Writes a file's text piece by piece (a text file is one piece), hashing as it goes. `certificateMaterial` is the
 * file's own flag, or, for a streamed file, whether any piece holds a PEM. The certificate-masked hash equals the
 * whole text's when every PEM block and certificate field lies inside one piece, as in plan.json, where each lies
 * inside one JSON string of one resource.
 */
function writeFile(file: string, f: OutputFile): ManifestEntry {
  const pieces = "pieces" in f ? f.pieces() : [f.content];
  const flagged = "pieces" in f ? undefined : f.certificateMaterial;
  const hash = createHash("sha256");
  const hashWithoutCertificates = flagged === false ? undefined : createHash("sha256");
  let bytes = 0;
  let hasCertificates = false;
  const fd = fs.openSync(file, "w");
  try {
    for (const piece of pieces) {
      fs.writeFileSync(fd, piece); // unlike writeSync, loops until the whole piece is written
      hash.update(piece);
      hashWithoutCertificates?.update(withoutPems(piece));
      bytes += Buffer.byteLength(piece);
      hasCertificates ||= hasPem(piece);
    }
  } finally {
    fs.closeSync(fd);
  }
  const certificateMaterial = flagged ?? hasCertificates;
  return {
    path: f.path,
    bytes,
    sha256: hash.digest("hex"),
    certificateMaterial,
    ...(certificateMaterial ? { sha256WithoutCertificates: hashWithoutCertificates!.digest("hex") } : {}),
  };
}

/** Rejects duplicate or escaping paths: a bug upstream must not overwrite a file or write outside the render. */
function checkPaths(files: readonly OutputFile[]): void {
  const seen = new Set<string>();
  for (const f of files) {
    const normal = path.posix.normalize(f.path);
    if (normal !== f.path || normal.startsWith("../") || path.posix.isAbsolute(normal)) {
      throw new Error(`render produced an unsafe path ${f.path}`);
    }
    if (seen.has(f.path)) throw new Error(`render produced ${f.path} twice`);
    seen.add(f.path);
  }
}

function describe(error: unknown): string {
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
      `cannot write output directory ${outDir} (${describe(error)}). Fix: pass a writable --out`,
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

/**
 * Creates the temporary directory the render is written into, beside `outDir`. Fails with an OutputDirError when
 * the target may not be replaced (see checkOutputDir) or cannot be written.
 */
export function prepareOutputDir(outDir: string): string {
  checkOutputDir(outDir);
  const target = path.resolve(outDir);
  const parent = path.dirname(target);
  try {
    fs.mkdirSync(parent, { recursive: true });
    const tempDir = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.tmp-`));
    pendingTempDirs.add(tempDir);
    return tempDir;
  } catch (error) {
    throw new OutputDirError(
      `cannot write output directory ${outDir} (${describe(error)}). Fix: pass a writable --out`,
    );
  }
}

/** Writes the files and the manifest into the temporary directory. */
export function writeFiles(tempDir: string, files: readonly OutputFile[], omitted: readonly OmittedFile[]): Manifest {
  checkPaths(files);
  const directories = new Set(files.map((f) => path.dirname(path.join(tempDir, f.path))));
  for (const dir of [...directories].sort()) fs.mkdirSync(dir, { recursive: true });
  const entries = files.map((f) => writeFile(path.join(tempDir, f.path), f));
  const manifest = buildManifest(entries, omitted);
  fs.writeFileSync(path.join(tempDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * Replaces `outDir` with the finished render. A directory cannot be renamed over a non-empty one, hence the swap.
 * The target is checked again here: only a previous render is ever removed.
 */
export function commitOutputDir(tempDir: string, outDir: string): void {
  checkOutputDir(outDir);
  const target = path.resolve(outDir);
  let previous: string | undefined;
  if (fs.existsSync(target)) {
    previous = `${tempDir}.previous-${randomBytes(4).toString("hex")}`;
    fs.renameSync(target, previous);
  }
  try {
    fs.renameSync(tempDir, target);
  } catch (error) {
    if (previous) fs.renameSync(previous, target);
    throw new OutputDirError(`cannot replace ${outDir} (${describe(error)}). Fix: check its permissions`);
  }
  pendingTempDirs.delete(tempDir);
  if (previous) fs.rmSync(previous, { recursive: true, force: true });
}

export function discardOutputDir(tempDir: string): void {
  fs.rmSync(tempDir, { recursive: true, force: true });
  pendingTempDirs.delete(tempDir);
}

/** Writes a complete render to `outDir` atomically: temp dir, files, manifest, rename. */
export function writeArtifacts(
  outDir: string,
  files: readonly OutputFile[],
  omitted: readonly OmittedFile[] = [],
): Manifest {
  const tempDir = prepareOutputDir(outDir);
  try {
    const manifest = writeFiles(tempDir, files, omitted);
    commitOutputDir(tempDir, outDir);
    return manifest;
  } catch (error) {
    discardOutputDir(tempDir);
    throw error;
  }
}
