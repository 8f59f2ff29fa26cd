/**
 * A stack file's mesh, whole or split: `lucid-mesh:mesh` of the stack itself, or, for a part of a split mesh
 * (`lucid-mesh:part`), the shared `lucid-mesh:mesh` of `Pulumi.<env>.yaml`. Checked with the same standards as the
 * mesh itself: one error naming the file, the config path and the fix.
 */
import { parseMeshConfig } from "./validate";
import type { Mesh } from "./mesh";
import { meshConfigValue, readStackFile, type StackFile } from "./stackFile";
import { checkPart, parsePartConfig, PART_CONFIG_KEY, type PartConfig } from "./stackParts";

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
