/**
 * Small type guards over policy props. @pulumi/policy hands rules `Record<string, any>`; every rule reads through
 * these instead, so nothing downstream sees `any`.
 */
import { meshLabelKeys } from "../vendor/model/names";

export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function asRecord(value: unknown): Json | undefined {
  return isRecord(value) ? value : undefined;
}

export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asRecords(value: unknown): Json[] {
  return asArray(value).filter(isRecord);
}

export function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function asNumber(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  // Struct round-trips and YAML may carry integers as strings (proto3 JSON does for 64-bit values).
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return undefined;
}

export function asBoolean(value: unknown): boolean | undefined {
  return typeof value === "boolean" ? value : undefined;
}

/** Walks `keys` into nested records; undefined as soon as one step is missing. */
export function at(value: unknown, ...keys: string[]): unknown {
  let current: unknown = value;
  for (const key of keys) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** Docker `labels: [{label, value}]` or Kubernetes `metadata.labels` as a plain map. */
export function labelsOf(props: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of asRecords(at(props, "labels"))) {
    const label = asString(entry.label);
    const value = asString(entry.value);
    if (label !== undefined && value !== undefined) out[label] = value;
  }
  const metadataLabels = asRecord(at(props, "metadata", "labels"));
  for (const [label, value] of Object.entries(metadataLabels ?? {})) {
    if (typeof value === "string") out[label] = value;
  }
  return out;
}

/** The label keys the components write (model/names.ts). */
export const roleLabel = meshLabelKeys.role;
export const serviceLabel = meshLabelKeys.service;
export const clusterLabel = meshLabelKeys.cluster;
