/**
 * A stack file's mesh, whole or split: `lucid-mesh:mesh` of the stack itself, or, for a part of a split mesh
 * (`lucid-mesh:part`), the shared `lucid-mesh:mesh` of `Pulumi.<env>.yaml`. Checked with the same standards as the
 * mesh itself: one error naming the file, the config path and the fix.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parseMeshConfig } from "./validate";
import type { Mesh } from "./mesh";
import { meshConfigValue, readStackFile, StackFileError, type StackFile } from "./stackFile";
import {
  checkPart,
  describePart,
  parsePartConfig,
  PART_CONFIG_KEY,
  splitStacks,
  type PartConfig,
  type StackPart,
} from "./stackParts";

export interface StackMesh {
  readonly mesh: Mesh;
  /** The raw `lucid-mesh:mesh` value the mesh was parsed from. */
  readonly meshConfig: unknown;
  /** Set for a part of a split mesh. */
  readonly part?: PartConfig;
}

export function stackPartConfig(stackFile: StackFile): PartConfig | undefined {
  const key = `${stackFile.project}:part`;
  if (!(key in stackFile.config)) return undefined;
  return parsePartConfig(stackFile.config[key], `${PART_CONFIG_KEY} in ${stackFile.source}`);
}

/** The mesh a stack file declares (all of it, or its part), validated. */
export function stackMesh(projectDir: string, stackFile: StackFile): StackMesh {
  const part = stackPartConfig(stackFile);
  if (!part) {
    const meshConfig = meshConfigValue(stackFile);
    return { mesh: parseMeshConfig(meshConfig), meshConfig };
  }
  const shared = readStackFile(projectDir, part.mesh);
  const meshConfig = meshConfigValue(shared);
  const mesh = parseMeshConfig(meshConfig, `lucid-mesh:mesh in ${shared.source} (shared by ${stackFile.source})`);
  checkPart(part, mesh, stackFile.stack, `${PART_CONFIG_KEY} in ${stackFile.source}`);
  return { mesh, meshConfig, part };
}

/** The `Pulumi.<stack>.yaml` a part needs, as text: what the error for a missing or wrong one tells the user to write. */
export function partStackFileText(env: string, part: StackPart): string {
  const lines = [`config:`, `  ${PART_CONFIG_KEY}:`, `    mesh: ${env}`, `    role: ${part.role}`];
  if (part.role === "cluster") lines.push(`    cluster: ${part.cluster}`);
  if (part.role === "peering") lines.push(`    clusters: [${part.clusters.join(", ")}]`);
  return `${lines.join("\n")}\n`;
}

/**
 * Checks that every stack of env's split mesh has its stack file, declaring the part its name says. Throws a
 * StackFileError naming each file that is missing or wrong and what to write in it.
 */
export function checkSplitStackFiles(projectDir: string, env: string, mesh: Mesh): void {
  const problems: string[] = [];
  for (const { stack, part } of splitStacks(env, mesh)) {
    const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
    let found: PartConfig | undefined;
    try {
      found = fs.existsSync(file) ? stackPartConfig(readStackFile(projectDir, stack)) : undefined;
    } catch (error) {
      problems.push(`${file}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    if (found && found.mesh === env && isDeepStrictEqual(found.part, part)) continue;
    const what = fs.existsSync(file) ? `does not declare ${describePart(part)} of mesh ${env}` : "is missing";
    problems.push(`${file} ${what}. Fix: write it as\n${partStackFileText(env, part).replace(/^/gm, "      ")}`);
  }
  if (problems.length > 0) {
    throw new StackFileError(
      `the split ${env} mesh needs ${problems.length === 1 ? "a stack file" : "stack files"}:\n  - ${problems.join("\n  - ")}`,
    );
  }
}
