/** Shared fixtures: the stack configs parsed the way the program parses them. */
import { readFileSync } from "fs";
import { join } from "path";
import { load } from "js-yaml";
import { parseMeshConfig, type Mesh } from "../../model";

export const ROOT = join(__dirname, "..", "..");

export function stackConfig(stack: "dev" | "prod"): Record<string, unknown> {
  const doc = load(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  return structuredClone(doc.config["lucid-mesh:mesh"]) as Record<string, unknown>;
}

export function stackMesh(stack: "dev" | "prod"): Mesh {
  return parseMeshConfig(stackConfig(stack));
}

/** A small mesh for table cases: edit the raw config, then parse it. */
export function meshWith(edit: (raw: Record<string, unknown>) => void, stack: "dev" | "prod" = "dev"): Mesh {
  const raw = stackConfig(stack);
  edit(raw);
  return parseMeshConfig(raw);
}

export const dedent = (text: string): string => {
  const lines = text.replace(/^\n/, "").split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)?.[0].length ?? 0));
  return lines.map((l) => l.slice(indent)).join("\n");
};
