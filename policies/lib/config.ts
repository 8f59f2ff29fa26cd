/**
 * Policy config with defaults applied in code. The engine fills schema defaults before `Configure`, but
 * `getConfig()` returns `{}` whenever a policy got no config (tests, older CLIs), so every rule defaults here too.
 */
import { asRecord } from "./props";

export type ConfigValue = number | string | boolean | readonly string[];
export type ConfigShape = Record<string, ConfigValue>;

/** `defaults` overlaid with every value in `raw` whose JSON type matches the default's. */
export function withDefaults<T extends ConfigShape>(defaults: T, raw: unknown): T {
  const given = asRecord(raw) ?? {};
  const out: Record<string, ConfigValue> = { ...defaults };
  for (const [key, fallback] of Object.entries(defaults)) {
    const value = given[key];
    if (Array.isArray(fallback)) {
      if (Array.isArray(value) && value.every((v): v is string => typeof v === "string")) out[key] = value;
    } else if (typeof value === typeof fallback) {
      out[key] = value as ConfigValue;
    }
  }
  return out as T;
}
