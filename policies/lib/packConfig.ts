/**
 * Per-environment pack config (config/dev.json, config/prod.json): the same files `pulumi preview
 * --policy-pack-config` takes, also served as the pack's initial config so the engine starts from them.
 */
import type { EnforcementLevel, PolicyPackConfig } from "@pulumi/policy";
import devConfig from "../config/dev.json";
import prodConfig from "../config/prod.json";
import { isRecord } from "./props";

export type PackEnvironment = "dev" | "prod";

const LEVELS: readonly string[] = ["advisory", "mandatory", "remediate", "disabled"];

function isLevel(value: unknown): value is EnforcementLevel {
  return typeof value === "string" && LEVELS.includes(value);
}

/** Checks a config file's shape: every entry is a level, or an object whose optional level is valid. */
export function parsePackConfig(raw: unknown): PolicyPackConfig {
  if (!isRecord(raw)) throw new Error("policy pack config must be a JSON object");
  const out: PolicyPackConfig = {};
  for (const [policy, entry] of Object.entries(raw)) {
    if (isLevel(entry)) {
      out[policy] = entry;
    } else if (isRecord(entry) && (entry.enforcementLevel === undefined || isLevel(entry.enforcementLevel))) {
      out[policy] = { ...entry, enforcementLevel: entry.enforcementLevel };
    } else {
      throw new Error(`policy pack config for ${policy}: expected an enforcement level or an object with one`);
    }
  }
  return out;
}

export const packLevels: Record<PackEnvironment, EnforcementLevel> = { dev: "advisory", prod: "mandatory" };

export function packConfigFor(environment: PackEnvironment): PolicyPackConfig {
  return parsePackConfig(environment === "dev" ? devConfig : prodConfig);
}

/** `LUCID_MESH_POLICY_ENV`; anything but "dev" is prod, so a typo is strict rather than lax. */
export function packEnvironment(value: string | undefined): PackEnvironment {
  return value === "dev" ? "dev" : "prod";
}
