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
import {
  checkOutputDir,
  describeError,
  discardOutputDir,
  MANIFEST_FILE,
  OutputDirError,
  trackTempDir,
  untrackTempDir,
} from "./outputDir";

export {
  checkOutputDir,
  discardOutputDir,
  discardPendingOutputDirs,
  MANIFEST_FILE,
  notAPreviousRender,
  OutputDirError,
} from "./outputDir";

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
    trackTempDir(tempDir);
    return tempDir;
  } catch (error) {
    throw new OutputDirError(
      `cannot write output directory ${outDir} (${describeError(error)}). Fix: pass a writable --out`,
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
    throw new OutputDirError(`cannot replace ${outDir} (${describeError(error)}). Fix: check its permissions`);
  }
  untrackTempDir(tempDir);
  if (previous) fs.rmSync(previous, { recursive: true, force: true });
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
