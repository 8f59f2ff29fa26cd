/** Every key path of the stack config schema, so docs can be checked against the schema itself. */
import type { z } from "zod";
import { meshConfigSchema } from "./schema";

/** The parts of zod's internal definition we walk (a library boundary: zod does not type `def` generically). */
interface SchemaDef {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly shape?: Record<string, z.ZodType>;
  readonly element?: z.ZodType;
  readonly options?: readonly z.ZodType[];
}

function definition(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

const WRAPPERS = new Set(["optional", "default", "prefault", "nullable", "pipe"]);

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let def = definition(current); WRAPPERS.has(def.type); def = definition(current)) {
    const inner = def.innerType ?? def.in;
    if (!inner) break;
    current = inner;
  }
  return current;
}

/** Paths such as `clusters[].consul.servers`, in schema order. */
export function schemaKeyPaths(schema: z.ZodType = meshConfigSchema, prefix = ""): string[] {
  const def = definition(unwrap(schema));
  if (def.type === "object" && def.shape) {
    return Object.entries(def.shape).flatMap(([key, child]) => {
      const path = prefix ? `${prefix}.${key}` : key;
      return [path, ...schemaKeyPaths(child, path)];
    });
  }
  if (def.type === "array" && def.element) return schemaKeyPaths(def.element, `${prefix}[]`);
  // A union's keys are those of every option, each once, in first-seen order.
  if (def.type === "union" && def.options) {
    return [...new Set(def.options.flatMap((option) => schemaKeyPaths(option, prefix)))];
  }
  return [];
}
