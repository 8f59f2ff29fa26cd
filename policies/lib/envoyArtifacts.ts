/**
 * Finds the Envoy configuration a resource carries (the resource contract in docs/ARCHITECTURE.md): a Docker
 * container's `uploads` under /etc/envoy, or a Kubernetes ConfigMap's `data` keys, parsed with js-yaml.
 */
import { load } from "js-yaml";
import { envoyFiles, envoyNames } from "../vendor/model/names";
import type { Json } from "./props";
import { asRecord, asRecords, asString, at, isRecord, labelsOf, roleLabel } from "./props";
import { secretValue, uploadsOf } from "./files";
import type { ResourceInput } from "./types";
import { types } from "./types";

export interface EnvoyConfig {
  /** The parsed bootstrap, when the resource carries one. */
  readonly bootstrap?: Json;
  /** Listeners from listener.yaml and the bootstrap's static_resources. */
  readonly listeners: readonly Json[];
  /** Clusters from cluster.yaml and the bootstrap's static_resources. */
  readonly clusters: readonly Json[];
  /** Files that did not parse, as messages: a rule cannot vouch for what it cannot read. */
  readonly errors: readonly string[];
}

const ENVOY_DOCUMENTS: readonly string[] = [envoyFiles.bootstrap, envoyFiles.listeners, envoyFiles.clusters];
const ENVOY_DIRECTORIES: readonly string[] = [envoyFiles.directory, envoyFiles.secretsDirectory];

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * Every file a resource places in Envoy's directories under the resource contract (docs/ARCHITECTURE.md, "Envoy
 * files"), by its path inside the proxy: a Docker container's uploads under /etc/envoy or /etc/envoy-secrets, a
 * Kubernetes ConfigMap's `data` (mounted at /etc/envoy), a Secret's values (mounted at /etc/envoy-secrets).
 *
 * The one reader of that contract: the rules and the render's file sets (artifacts/envoy.ts) both read through it,
 * so a change to where the components put Envoy's files is made here once. Which resources Envoy mounts (role
 * labels) is the caller's question.
 */
export function envoyFilesOf(input: Pick<ResourceInput, "type" | "props">): Map<string, string> {
  const files = new Map<string, string>();
  if (input.type === types.dockerContainer) {
    for (const [file, text] of uploadsOf(input.props)) {
      if (ENVOY_DIRECTORIES.some((directory) => file.startsWith(`${directory}/`))) files.set(file, text);
    }
  } else if (input.type === types.configMap) {
    for (const [key, value] of Object.entries(asRecord(at(input.props, "data")) ?? {})) {
      if (typeof value === "string") files.set(`${envoyFiles.directory}/${key}`, value);
    }
  } else if (input.type === types.secret) {
    const keys = new Set([
      ...Object.keys(asRecord(at(input.props, "stringData")) ?? {}),
      ...Object.keys(asRecord(at(input.props, "data")) ?? {}),
    ]);
    for (const key of keys) {
      const text = secretValue(input.props, key);
      if (text !== undefined) files.set(`${envoyFiles.secretsDirectory}/${key}`, text);
    }
  }
  return files;
}

/** The files of `envoyFilesOf` in `directory` whose name is one of `names`, by name. */
function filesNamed(input: ResourceInput, directory: string, names: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const [path, text] of envoyFilesOf(input)) {
    if (path.startsWith(`${directory}/`) && names.includes(basename(path))) found.set(basename(path), text);
  }
  return found;
}

/** The Envoy documents a resource carries, by file name (`bootstrap.yaml`, ...). Empty when it carries none. */
export function envoyDocuments(input: ResourceInput): Map<string, string> {
  return filesNamed(input, envoyFiles.directory, ENVOY_DOCUMENTS);
}

function resourcesOf(document: unknown): Json[] {
  return asRecords(at(document, "resources"));
}

type Parsed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

/**
 * The last few documents parsed, by file and text. Several rules read the same sidecar one after the other (the
 * runner, like the policy server, runs every rule on a resource before the next), and parsing its YAML again for
 * each was most of a big mesh's policy time. Rules treat what they read as read-only, so they can share it.
 */
const recentlyParsed = new Map<string, { readonly file: string; readonly result: Parsed }>();
const RECENTLY_PARSED_LIMIT = 16;

function parseDocument(file: string, text: string): Parsed {
  // Keyed by the text itself: the same string instance comes back for every rule, and V8 keeps its hash.
  const known = recentlyParsed.get(text);
  if (known?.file === file) return known.result;
  let result: Parsed;
  try {
    result = { ok: true, value: load(text) };
  } catch (e) {
    result = {
      ok: false,
      error: `${file} is not valid YAML (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`,
    };
  }
  if (recentlyParsed.size >= RECENTLY_PARSED_LIMIT && !recentlyParsed.has(text)) {
    const oldest = recentlyParsed.keys().next().value;
    if (oldest !== undefined) recentlyParsed.delete(oldest);
  }
  recentlyParsed.set(text, { file, result });
  return result;
}

/**
 * An EnvoyConfig that parses each document the first time a field needs it: a rule that reads only the bootstrap
 * (the admin address) never parses the listeners and clusters, which are most of the bytes. What each field holds is
 * exactly what parsing everything up front gave.
 */
class LazyEnvoyConfig implements EnvoyConfig {
  private readonly parsed = new Map<string, Parsed>();
  private listenersCache: readonly Json[] | undefined;
  private clustersCache: readonly Json[] | undefined;

  constructor(private readonly documents: ReadonlyMap<string, string>) {}

  private parse(file: string): Parsed | undefined {
    const known = this.parsed.get(file);
    if (known) return known;
    const text = this.documents.get(file);
    if (text === undefined) return undefined;
    const result = parseDocument(file, text);
    this.parsed.set(file, result);
    return result;
  }

  private value(file: string): unknown {
    const result = this.parse(file);
    return result?.ok ? result.value : undefined;
  }

  get bootstrap(): Json | undefined {
    return asRecord(this.value(envoyFiles.bootstrap));
  }

  get listeners(): readonly Json[] {
    this.listenersCache ??= [
      ...asRecords(at(this.bootstrap, "static_resources", "listeners")),
      ...resourcesOf(this.value(envoyFiles.listeners)),
    ];
    return this.listenersCache;
  }

  get clusters(): readonly Json[] {
    this.clustersCache ??= [
      ...asRecords(at(this.bootstrap, "static_resources", "clusters")),
      ...resourcesOf(this.value(envoyFiles.clusters)),
    ];
    return this.clustersCache;
  }

  get errors(): readonly string[] {
    const errors: string[] = [];
    for (const file of this.documents.keys()) {
      const result = this.parse(file);
      if (result && !result.ok) errors.push(result.error);
    }
    return errors;
  }
}

/** The Envoy documents of a resource, parsed on demand; undefined when the resource carries no Envoy config. */
export function envoyConfigOf(input: ResourceInput): EnvoyConfig | undefined {
  const documents = envoyDocuments(input);
  if (documents.size === 0) return undefined;
  return new LazyEnvoyConfig(documents);
}

// ---- Readers over parsed Envoy objects ----

export const HTTP_CONNECTION_MANAGER = "envoy.filters.network.http_connection_manager";
export const LOCAL_RATE_LIMIT = "envoy.filters.http.local_ratelimit";

export function nameOf(object: Json): string {
  return asString(object.name) ?? "(unnamed)";
}

export function socketAddress(address: unknown): { address?: string; port?: number } {
  const socket = asRecord(at(address, "socket_address"));
  const port = socket?.port_value;
  return {
    ...(typeof socket?.address === "string" ? { address: socket.address } : {}),
    ...(typeof port === "number" ? { port } : {}),
  };
}

export function filterChains(listener: Json): Json[] {
  return asRecords(listener.filter_chains);
}

function typeUrlEndsWith(object: unknown, suffix: string): boolean {
  return asString(at(object, "@type"))?.endsWith(suffix) ?? false;
}

/** HTTP connection managers of a filter chain. */
export function httpConnectionManagers(chain: Json): Json[] {
  return asRecords(chain.filters)
    .filter((f) => f.name === HTTP_CONNECTION_MANAGER || typeUrlEndsWith(f.typed_config, ".HttpConnectionManager"))
    .map((f) => asRecord(f.typed_config) ?? {});
}

/** The TLS context of a transport socket whose `@type` ends with `kind`, such as `.DownstreamTlsContext`. */
export function tlsContext(transportSocket: unknown, kind: string): Json | undefined {
  const config = asRecord(at(transportSocket, "typed_config"));
  return config && typeUrlEndsWith(config, kind) ? config : undefined;
}

/** Every transport socket of a cluster: the default one and each match's. */
export function clusterTransportSockets(cluster: Json): unknown[] {
  const sockets: unknown[] = [];
  if (isRecord(cluster.transport_socket)) sockets.push(cluster.transport_socket);
  for (const match of asRecords(cluster.transport_socket_matches)) {
    if (isRecord(match.transport_socket)) sockets.push(match.transport_socket);
  }
  return sockets;
}

/** A `google.protobuf.Duration` in seconds: JSON form ("0.250s") or `{seconds, nanos}`. */
export function durationSeconds(value: unknown): number | undefined {
  if (typeof value === "string") {
    const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
    return match?.[1] === undefined ? undefined : Number(match[1]);
  }
  if (isRecord(value)) {
    const seconds = Number(value.seconds ?? 0);
    const nanos = Number(value.nanos ?? 0);
    return Number.isFinite(seconds) && Number.isFinite(nanos) ? seconds + nanos / 1e9 : undefined;
  }
  return undefined;
}

/** The sidecar's inbound mTLS listener: named `inbound`, or bound to the proxy port. */
export function isInboundListener(listener: Json, proxyPort: number): boolean {
  return listener.name === envoyNames.inboundListener || socketAddress(listener.address).port === proxyPort;
}

/** A resource's inbound mTLS listeners; none when it carries no Envoy config. */
export function inboundListenersOf(input: ResourceInput, proxyPort: number): Json[] {
  return envoyConfigOf(input)?.listeners.filter((l) => isInboundListener(l, proxyPort)) ?? [];
}

/** Upstream clusters to mesh services (`upstream_<service>`). */
export function isUpstreamCluster(cluster: Json): boolean {
  return nameOf(cluster).startsWith(envoyNames.upstreamCluster(""));
}

// ---- Exposure, roles and the edge contract ----

export const ROUTER = "envoy.filters.http.router";
export const TCP_PROXY = "envoy.filters.network.tcp_proxy";
export const TLS_INSPECTOR = "envoy.filters.listener.tls_inspector";
export const DOWNSTREAM_TLS = ".DownstreamTlsContext";
export const UPSTREAM_TLS = ".UpstreamTlsContext";

/** Loopback by address: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  return /^127(\.\d{1,3}){3}$/.test(address) || address === "::1" || address === "localhost";
}

/**
 * A listener reachable from outside the pod or network namespace: bound to a socket address that is not loopback
 * (0.0.0.0, ::, or a routable address). Pipes and internal listeners are not public.
 */
export function isPublicListener(listener: Json): boolean {
  const socket = asRecord(at(listener, "address", "socket_address"));
  if (!socket) return false;
  return !isLoopbackAddress(asString(socket.address));
}

/** The `lucid.mesh/role` label of a resource (Docker labels or Kubernetes metadata labels). */
export function roleOf(input: ResourceInput): string | undefined {
  return labelsOf(input.props)[roleLabel];
}

/**
 * Resources that must carry a sidecar's Envoy config by the resource contract: the Docker container that writes it
 * into the sidecar's read-only volumes, or the Kubernetes ConfigMap, both with role `envoy-config`. A Docker sidecar
 * container that still carries the files itself is checked as well. Rules fail closed on them when there is nothing
 * to check.
 */
export function mustCarrySidecarConfig(input: ResourceInput): boolean {
  const role = roleOf(input);
  if (role === "envoy-config") return input.type === types.dockerContainer || input.type === types.configMap;
  return input.type === types.dockerContainer && role === "sidecar" && envoyDocuments(input).size > 0;
}

/**
 * The edge contract (DESIGN.md section 8: only services marked edge may accept clients without certificates). A
 * listener is an edge listener when it is named `edge` or `edge_…`, or its metadata carries
 * `filter_metadata["lucid.mesh"].edge: true`. The mTLS rule leaves client certificates on such a listener to the
 * edge rule; it still requires TLS termination on it.
 */
export const EDGE_LISTENER_PREFIX = "edge_";
export const EDGE_METADATA_NAMESPACE = "lucid.mesh";

export function isEdgeListener(listener: Json): boolean {
  return (
    nameOf(listener) === EDGE_LISTENER_PREFIX.slice(0, -1) ||
    nameOf(listener).startsWith(EDGE_LISTENER_PREFIX) ||
    at(listener, "metadata", "filter_metadata", EDGE_METADATA_NAMESPACE, "edge") === true
  );
}

/** Routes of an HTTP connection manager's inline route_config. */
export function routesOf(manager: Json): Json[] {
  return asRecords(at(manager, "route_config", "virtual_hosts")).flatMap((host) => asRecords(host.routes));
}

/** Filter names in order, by `name` or by the typed config's `@type`. */
export function filterIs(filter: Json, name: string, typeSuffix: string): boolean {
  return filter.name === name || typeUrlEndsWith(filter.typed_config, typeSuffix);
}

/** Validation contexts of a common_tls_context: inline, and the default one of a combined context. */
export function validationContexts(common: unknown): Json[] {
  return [
    asRecord(at(common, "validation_context")),
    asRecord(at(common, "combined_validation_context", "default_validation_context")),
  ].filter((c): c is Json => c !== undefined);
}

const SDS_DOCUMENTS: readonly string[] = [envoyFiles.certificateSds, envoyFiles.trustBundleSds];

/** SDS documents (certificate.yaml, trust-bundle.yaml) of a Docker container's uploads or a Secret's data. */
export function sdsDocuments(input: ResourceInput): Map<string, string> {
  return filesNamed(input, envoyFiles.secretsDirectory, SDS_DOCUMENTS);
}

/** The SDS secrets of a resource's SDS documents, parsed; unparsable documents as errors. */
export function sdsSecretsOf(input: ResourceInput): { secrets: Json[]; errors: string[] } {
  const secrets: Json[] = [];
  const errors: string[] = [];
  for (const [file, text] of sdsDocuments(input)) {
    const parsed = parseDocument(file, text);
    if (parsed.ok) secrets.push(...resourcesOf(parsed.value));
    else errors.push(parsed.error);
  }
  return { secrets, errors };
}
