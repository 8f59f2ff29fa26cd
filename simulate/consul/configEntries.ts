/**
 * What Consul does with a config entry the provider writes (hashicorp/consul, Consul 1.20 CE): decode by kind
 * (agent/structs/config_entry.go `MakeConfigEntry`), `Normalize`, `Validate`, store. Each rule returns Consul's own
 * error text; `storedEntry` gives the entry as Consul keeps it (and the provider reads it back).
 */

export type Json = Record<string, unknown>;

/** Kinds Consul knows (agent/structs/config_entry.go `MakeConfigEntry`). */
const KNOWN_KINDS = new Set([
  "service-defaults",
  "proxy-defaults",
  "service-router",
  "service-splitter",
  "service-resolver",
  "ingress-gateway",
  "terminating-gateway",
  "service-intentions",
  "mesh",
  "exported-services",
  "sameness-group",
  "api-gateway",
  "bound-api-gateway",
  "inline-certificate",
  "file-system-certificate",
  "http-route",
  "tcp-route",
  "jwt-provider",
  "control-plane-request-limit",
  "rate-limit-ip",
]);

/** `metaValueMaxLength` in agent/structs/structs.go. */
const META_VALUE_MAX_LENGTH = 512;

export interface EntryRule {
  readonly rule: string;
  readonly source: string;
  readonly message: string;
}

const STRUCTS = "hashicorp/consul agent/structs";

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? (value as Json[]) : [];
}

/** `validateIntentionWildcards`: a wildcard is the whole value or nothing. */
function intentionWildcards(name: string, peer: string): string | undefined {
  if (name !== "*" && name.includes("*")) return "Name: wildcard character '*' cannot be used with partial values";
  if (peer.includes("*")) return "Peer: cannot use wildcard '*' in peer";
  return undefined;
}

/** `ServiceIntentionsConfigEntry.validate` (config_entry_intentions.go), for what the program can write. */
function validateIntentions(name: string, entry: Json): string | undefined {
  if (name === "") return "Name is required";
  const wildcard = intentionWildcards(name, "");
  if (wildcard) return wildcard;
  const sources = list(entry.Sources);
  if (sources.length === 0) return "At least one source is required";
  const seen = new Set<string>();
  for (const [i, src] of sources.entries()) {
    const srcName = str(src.Name);
    const peer = str(src.Peer);
    if (srcName === "") return `Sources[${i}].Name is required`;
    const bad = intentionWildcards(srcName, peer);
    if (bad) return `Sources[${i}].${bad}`;
    if (str(src.Description).length > META_VALUE_MAX_LENGTH) {
      return `Sources[${i}].Description exceeds maximum length ${META_VALUE_MAX_LENGTH}`;
    }
    const permissions = list(src.Permissions);
    if (permissions.length === 0 && src.Action !== "allow" && src.Action !== "deny") {
      return `Sources[${i}].Action must be set to 'allow' or 'deny'`;
    }
    if (permissions.length > 0 && str(src.Action) !== "") {
      return `Sources[${i}].Action must be omitted if Permissions are specified`;
    }
    const type = str(src.Type) || "consul";
    if (type !== "consul") return `Sources[${i}].Type must be set to 'consul'`;
    const key = `${peer}\u0000${srcName}`;
    if (seen.has(key)) {
      return peer
        ? `Sources[${i}] defines peer(${JSON.stringify(peer)}) ${JSON.stringify(`default/${srcName}`)} more than once`
        : `Sources[${i}] defines ${JSON.stringify(`default/${srcName}`)} more than once`;
    }
    seen.add(key);
  }
  return undefined;
}

/** `ExportedServicesConfigEntry.Validate` (config_entry_exports.go, config_entry_exports_ce.go). */
function validateExports(name: string, entry: Json): string | undefined {
  if (name !== "default") return `exported-services Name must be "default"`;
  for (const [i, svc] of list(entry.Services).entries()) {
    if (str(svc.Name) === "") return `Services[${i}]: service name cannot be empty`;
    const consumers = list(svc.Consumers);
    if (consumers.length === 0) return `Services[${i}]: must have at least one consumer`;
    for (const [j, c] of consumers.entries()) {
      const set = [c.Peer, c.Partition, c.SamenessGroup].filter((v) => str(v) !== "").length;
      if (set > 1)
        return `Services[${i}].Consumers[${j}]: must define at most one of Peer, Partition, or SamenessGroup`;
      if (str(c.Peer) === "*")
        return `Services[${i}].Consumers[${j}]: exporting to all peers (wildcard) is not supported`;
      if (str(c.Partition) !== "" && str(c.Partition) !== "default") {
        return `Services[${i}].Consumers[${j}]: partitions are an enterprise-only feature`;
      }
      if (str(c.SamenessGroup) !== "")
        return `Services[${i}].Consumers[${j}]: sameness-groups are an enterprise-only feature`;
    }
  }
  return undefined;
}

/** `ServiceResolverConfigEntry.Validate` (config_entry_discoverychain.go): the redirect rule that bit us. */
function validateResolver(entry: Json): string | undefined {
  const redirect = entry.Redirect as Json | undefined;
  if (redirect && str(redirect.Peer) !== "" && str(redirect.Service) === "") {
    return "Redirect.Peer defined without Redirect.Service";
  }
  return undefined;
}

/** The refusal Consul gives for an entry, or undefined when it stores it. */
export function validateEntry(kind: string, name: string, configJson: string): EntryRule | undefined {
  let entry: Json;
  try {
    entry = JSON.parse(configJson) as Json;
  } catch (error) {
    return {
      rule: "consul/config-entry/json",
      source: "hashicorp/terraform-provider-consul consul/resource_consul_config_entry.go (makeConfigEntry)",
      message: `failed to unmarshal configMap: ${(error as Error).message}`,
    };
  }
  if (!KNOWN_KINDS.has(kind)) {
    return {
      rule: "consul/config-entry/kind",
      source: `${STRUCTS}/config_entry.go (MakeConfigEntry)`,
      message: `invalid config entry kind: ${kind}`,
    };
  }
  const checks: Record<string, () => EntryRule | undefined> = {
    "service-intentions": () =>
      wrap("service-intentions", "config_entry_intentions.go (validate)", validateIntentions(name, entry)),
    "exported-services": () =>
      wrap("exported-services", "config_entry_exports.go (Validate)", validateExports(name, entry)),
    "service-resolver": () =>
      wrap("service-resolver", "config_entry_discoverychain.go (Validate)", validateResolver(entry)),
    "proxy-defaults": () =>
      wrap(
        "proxy-defaults",
        "config_entry.go (ProxyConfigEntry.Validate)",
        name === "global" ? undefined : `invalid name (${JSON.stringify(name)}), only "global" is supported`,
      ),
    mesh: () =>
      wrap(
        "mesh",
        "config_entry_mesh.go (Validate)",
        name === "mesh" ? undefined : `invalid name (${JSON.stringify(name)}), only "mesh" is supported`,
      ),
  };
  return checks[kind]?.();
}

function wrap(kind: string, file: string, message: string | undefined): EntryRule | undefined {
  return message === undefined ? undefined : { rule: `consul/${kind}/validate`, source: `${STRUCTS}/${file}`, message };
}

/** Consul's intention precedence (`computeIntentionPrecedence`, default namespace). */
export function consulIntentionPrecedence(destination: string, source: string): number {
  return (destination === "*" ? 6 : 9) - (source === "*" ? 1 : 0);
}

/**
 * The entry as Consul stores it and the API returns it, minus Kind and Name (the provider's `configEntryToMap`).
 * service-intentions: `normalize` sets each source's `Type` (default `consul`) and `Precedence`, and sorts the
 * sources by precedence, highest first, keeping the given order among equals.
 */
export function storedEntry(kind: string, name: string, entry: Json): Json {
  if (kind !== "service-intentions") return entry;
  const sources = list(entry.Sources).map((src) => ({
    ...src,
    Type: str(src.Type) || "consul",
    Precedence: consulIntentionPrecedence(name, str(src.Name)),
  }));
  const sorted = sources
    .map((src, index) => ({ src, index }))
    .sort((a, b) => b.src.Precedence - a.src.Precedence || a.index - b.index)
    .map((x) => x.src);
  return { ...entry, Sources: sorted };
}
