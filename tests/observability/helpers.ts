/** Shared fixtures for the observability tests: the stacks' meshes, read from the real stack files. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { parseMeshConfig, type Mesh } from "../../model";

export const ROOT = join(__dirname, "..", "..");

/** The raw `lucid-mesh:mesh` value of a stack file. */
export function rawStackConfig(stack: "dev" | "prod"): Record<string, unknown> {
  const file = load(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  return structuredClone(file.config["lucid-mesh:mesh"]) as Record<string, unknown>;
}

/** A stack's mesh, optionally with its raw config edited first (the way a user would edit the stack file). */
export function stackMesh(stack: "dev" | "prod", edit?: (raw: Record<string, unknown>) => void): Mesh {
  const raw = rawStackConfig(stack);
  edit?.(raw);
  return parseMeshConfig(raw);
}

export interface RawService {
  name: string;
  clusters: string[];
  instances?: number;
}
export interface RawCluster {
  name: string;
  datacenter?: string;
  docker?: { subnet: string };
  kubernetes?: { namespace?: string };
  consul?: { servers?: number };
  gateway?: { replicas?: number };
}
