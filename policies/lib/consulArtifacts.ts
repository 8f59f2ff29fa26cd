/**
 * Reads the Consul artifacts of the resource contract: agent config JSON (server.json + secrets.json) from Docker
 * uploads or a ConfigMap + Secret, service-intentions config entries, and the Consul applier's payload (the entries
 * and registrations it writes, from its writer's uploads or its ConfigMap).
 */
import type { Json } from "./props";
import { asRecord, asRecords, asString, at, clusterLabel, labelsOf, roleLabel } from "./props";
import { secretValue, uploadsOf } from "./files";
import type { StackResource } from "./types";
import { types } from "./types";

export const CONSUL_SERVER_FILE = "server.json";
export const CONSUL_SECRETS_FILE = "secrets.json";
const CONSUL_CONFIG_DIR = "/consul/config/";

export function parseJson(text: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

export interface AgentConfig {
  /** The resource holding server.json. */
  readonly resource: StackResource;
  readonly server: Json;
  /** secrets.json, when found (same container, or a Secret in the same cluster). */
  readonly secrets?: Json;
  readonly errors: readonly string[];
}

function parsedRecord(text: string | undefined, file: string, errors: string[]): Json | undefined {
  if (text === undefined) return undefined;
  const { value, error } = parseJson(text);
  if (error !== undefined) errors.push(`${file} is not valid JSON (${error})`);
  return asRecord(value);
}

/** Every Consul agent config in the stack, with its secrets part joined in. */
export function consulAgentConfigs(resources: readonly StackResource[]): AgentConfig[] {
  const configs: AgentConfig[] = [];
  const secretsByCluster = new Map<string, string>();
  for (const r of resources) {
    if (r.type !== types.secret) continue;
    const text = secretValue(r.props, CONSUL_SECRETS_FILE);
    if (text !== undefined) secretsByCluster.set(labelsOf(r.props)[clusterLabel] ?? "", text);
  }
  for (const r of resources) {
    const errors: string[] = [];
    let serverText: string | undefined;
    let secretsText: string | undefined;
    if (r.type === types.dockerContainer) {
      for (const [file, text] of uploadsOf(r.props)) {
        if (file === `${CONSUL_CONFIG_DIR}${CONSUL_SERVER_FILE}`) serverText = text;
        if (file === `${CONSUL_CONFIG_DIR}${CONSUL_SECRETS_FILE}`) secretsText = text;
      }
    } else if (r.type === types.configMap) {
      serverText = asString(at(r.props, "data", CONSUL_SERVER_FILE));
      secretsText = secretsByCluster.get(labelsOf(r.props)[clusterLabel] ?? "");
    }
    if (serverText === undefined) continue;
    const server = parsedRecord(serverText, CONSUL_SERVER_FILE, errors) ?? {};
    const secrets = parsedRecord(secretsText, CONSUL_SECRETS_FILE, errors);
    configs.push({ resource: r, server, ...(secrets ? { secrets } : {}), errors });
  }
  return configs;
}

export interface IntentionSource {
  readonly name: string;
  /** Absent when the source carries L7 `Permissions` instead of an action. */
  readonly action?: string;
  readonly hasPermissions: boolean;
}

export interface IntentionEntry {
  readonly resource: StackResource;
  readonly destination: string;
  readonly sources: readonly IntentionSource[];
  readonly errors: readonly string[];
}

function sourcesFrom(raw: unknown, casing: "api" | "provider"): IntentionSource[] {
  const [nameKey, actionKey, permissionsKey] =
    casing === "api" ? ["Name", "Action", "Permissions"] : ["name", "action", "permissions"];
  return asRecords(raw).map((s) => {
    const action = asString(s[actionKey]);
    return {
      name: asString(s[nameKey]) ?? "",
      ...(action !== undefined ? { action: action.toLowerCase() } : {}),
      hasPermissions: asRecords(s[permissionsKey]).length > 0,
    };
  });
}

/** The Consul applier's role, and its payload's file name. */
export const APPLIER_ROLE = "consul-applier";
export const APPLIER_PAYLOAD_FILE = "payload.json";

export interface ApplierPayloadArtifact {
  /** The resource carrying the payload. */
  readonly resource: StackResource;
  /** `PUT /v1/config` bodies (`Kind`, `Name`, API casing). */
  readonly configEntries: readonly Json[];
  /** `PUT /v1/catalog/register` bodies. */
  readonly registrations: readonly Json[];
  readonly errors: readonly string[];
}

/** Every applier payload in the stack. */
export function applierPayloads(resources: readonly StackResource[]): ApplierPayloadArtifact[] {
  const found: ApplierPayloadArtifact[] = [];
  for (const r of resources) {
    if (labelsOf(r.props)[roleLabel] !== APPLIER_ROLE) continue;
    let text: string | undefined;
    if (r.type === types.dockerContainer) {
      for (const [file, content] of uploadsOf(r.props)) if (file.endsWith(`/${APPLIER_PAYLOAD_FILE}`)) text = content;
    } else if (r.type === types.configMap) {
      text = asString(at(r.props, "data", APPLIER_PAYLOAD_FILE));
    }
    if (text === undefined) continue;
    const errors: string[] = [];
    const payload = parsedRecord(text, APPLIER_PAYLOAD_FILE, errors) ?? {};
    found.push({
      resource: r,
      configEntries: asRecords(payload.configEntries),
      registrations: asRecords(payload.registrations),
      errors,
    });
  }
  return found;
}

/**
 * service-intentions entries: the applier's payload, a generic ConfigEntry (`configJson` in API casing) or the
 * typed resource.
 */
export function intentionEntries(resources: readonly StackResource[]): IntentionEntry[] {
  const entries: IntentionEntry[] = [];
  for (const payload of applierPayloads(resources)) {
    for (const e of payload.configEntries) {
      if (e.Kind !== "service-intentions") continue;
      entries.push({
        resource: payload.resource,
        destination: asString(e.Name) ?? "",
        sources: sourcesFrom(e.Sources, "api"),
        errors: payload.errors,
      });
    }
  }
  for (const r of resources) {
    if (r.type === types.consulConfigEntry && at(r.props, "kind") === "service-intentions") {
      const errors: string[] = [];
      const text = asString(at(r.props, "configJson")) ?? "{}";
      const { value, error } = parseJson(text);
      if (error !== undefined) errors.push(`configJson is not valid JSON (${error})`);
      entries.push({
        resource: r,
        destination: asString(at(r.props, "name")) ?? r.name,
        sources: sourcesFrom(at(value, "Sources"), "api"),
        errors,
      });
    } else if (r.type === types.consulServiceIntentions) {
      entries.push({
        resource: r,
        destination: asString(at(r.props, "name")) ?? r.name,
        sources: sourcesFrom(at(r.props, "sources"), "provider"),
        errors: [],
      });
    }
  }
  return entries;
}
