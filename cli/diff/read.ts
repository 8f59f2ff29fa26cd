/** A finished render folder, read back for the mesh diff: its plan, manifest, policy report and any file's text. */
import * as fs from "node:fs";
import * as path from "node:path";
import { parsePlan } from "../render/plan";
import type { Plan, PolicyReport } from "../render/types";
import { MANIFEST_FILE, type Manifest } from "../render/write";

export interface RenderFolder {
  /** The folder as the user named it (shown in the report). */
  readonly label: string;
  readonly plan: Plan;
  readonly manifest: Manifest;
  readonly policy: PolicyReport;
  /** Paths of every written file, relative to the folder, `/`-separated, sorted (from manifest.json). */
  readonly files: readonly string[];
  /** A written file's text. */
  readonly read: (file: string) => string;
}

/** Not a render folder (or an unreadable one): the message names the folder and the fix. */
export class RenderFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RenderFolderError";
  }
}

function readJsonFile(dir: string, file: string): unknown {
  const full = path.join(dir, file);
  if (!fs.existsSync(full)) {
    throw new RenderFolderError(
      `${dir}: no ${file}. Fix: pass a folder written by \`npm run render -- --stack <name> --out <dir>\``,
    );
  }
  try {
    return JSON.parse(fs.readFileSync(full, "utf8")) as unknown;
  } catch (error) {
    throw new RenderFolderError(`${full}: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

export function readRenderFolder(dir: string, label = dir): RenderFolder {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new RenderFolderError(`${dir}: not a directory. Fix: render it first (npm run render -- --out ${dir})`);
  }
  const manifest = readJsonFile(dir, MANIFEST_FILE) as Manifest;
  if (!Array.isArray(manifest.files)) throw new RenderFolderError(`${dir}/${MANIFEST_FILE}: no files list`);
  let plan: Plan;
  try {
    plan = parsePlan(readJsonFile(dir, "plan.json"), path.join(dir, "plan.json"));
  } catch (error) {
    if (error instanceof RenderFolderError) throw error;
    throw new RenderFolderError(error instanceof Error ? error.message : String(error));
  }
  const policy = readJsonFile(dir, "policy-report.json") as PolicyReport;
  const files = manifest.files.map((f) => f.path).sort();
  return {
    label,
    plan,
    manifest,
    policy,
    files,
    read: (file) => fs.readFileSync(path.join(dir, ...file.split("/")), "utf8"),
  };
}
