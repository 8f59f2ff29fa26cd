/** Small helpers the provider models share: deterministic ids and values derived from a resource's identity. */
import { createHash } from "node:crypto";
import { stableId, type ModelArgs, type ModelResult, type ProviderModel } from "./recorder";

export function digest(...parts: string[]): string {
  return createHash("sha256").update(parts.join("::")).digest("hex");
}

/** A UUID-shaped value from a hash: stable across runs, unique per resource. */
export function stableUuid(...parts: string[]): string {
  const h = digest(...parts);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A model that echoes the inputs (as the engine does) and adds the computed outputs `extra` derives. */
export const echo =
  (extra: (args: ModelArgs) => Record<string, unknown>): ProviderModel =>
  (args): ModelResult => ({ id: stableId(args.type, args.name), outputs: extra(args) });

export function stringInput(args: ModelArgs, key: string): string {
  const value = args.inputs[key];
  return typeof value === "string" ? value : "";
}
