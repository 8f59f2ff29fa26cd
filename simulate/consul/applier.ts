/**
 * The Consul applier as Consul sees it (consul/applier.ts): what it is given (its payload and token, read from the
 * deployed files like every other process here) and one pass of its script against a Consul store, with the
 * answers Consul gives each call:
 *
 * - `PUT /v1/config`: the entry is validated (configEntries.ts) and needs intention:write on the destination
 *   (service-intentions) or mesh:write (exported-services) (agent/structs/config_entry_intentions.go and
 *   config_entry_exports.go, CanWrite); `DELETE /v1/config/<kind>/<name>` needs the same;
 * - `GET /v1/catalog/node-services/<node>`: filtered by node:read and service:read (agent/consul/acl_filter.go
 *   filterNodeServices); a node the token cannot read comes back empty;
 * - `PUT /v1/catalog/register`: service:write on the service, node:write only when the node does not exist yet
 *   (agent/consul/catalog_endpoint.go vetRegisterWithACL; `SkipNodeUpdate` leaves an existing node alone); checks
 *   are stored critical without a status, and durations as Go prints them (agent/consul/state/catalog.go);
 * - `PUT /v1/catalog/deregister`: node:write on the node, else service:write on the stored service
 *   (vetDeregisterWithACL).
 *
 * The pass writes only what Consul does not already hold as declared and then prunes what carries the managed
 * meta and is no longer declared, as the script does.
 */
import { REDACTED_SECRET } from "../recorder";
import type { ApplierPayload, CatalogRegistrationBody, ConfigEntryBody } from "../../consul/applier";
import { allowed, permissionDenied, type Permission, type TokenAuthority } from "./aclRules";
import { storedEntry, validateEntry, type Json } from "./configEntries";
import { deployedFiles, type DeployedFile } from "./deployed";
import { goDurationRoundTrip } from "./goDuration";

export const APPLIER_ROLE = "consul-applier";
const PAYLOAD_FILE = "payload.json";
const TOKEN_FILE = "token-header";

export const APPLIER_SOURCES = {
  configEntry:
    "hashicorp/consul agent/config_endpoint.go, agent/structs/config_entry_intentions.go and config_entry_exports.go (CanWrite)",
  register: "hashicorp/consul agent/consul/catalog_endpoint.go (vetRegisterWithACL)",
  deregister: "hashicorp/consul agent/consul/catalog_endpoint.go (vetDeregisterWithACL)",
  filter: "hashicorp/consul agent/consul/acl_filter.go (filterNodeServices)",
} as const;

/** One cluster's applier as deployed. */
export interface DeployedApplier {
  readonly cluster: string;
  /** The resource carrying the payload (the Docker writer, the Kubernetes ConfigMap). */
  readonly urn: string;
  readonly payload: ApplierPayload;
  /** The SecretID in its token header, when found. */
  readonly token?: string;
}

function tokenOf(file: DeployedFile | undefined): string | undefined {
  // A plan redacts the whole header; say so rather than "no token" (catalog.ts applierToken).
  if (file?.content.trim() === REDACTED_SECRET) return REDACTED_SECRET;
  return file ? /^X-Consul-Token: *(\S+)/m.exec(file.content)?.[1] : undefined;
}

/** Every applier's payload and token, from the files of its role. */
export function deployedAppliers(files: readonly DeployedFile[]): DeployedApplier[] {
  const mine = files.filter((f) => f.role === APPLIER_ROLE);
  return mine
    .filter((f) => f.name === PAYLOAD_FILE)
    .map((f) => {
      const token = tokenOf(mine.find((t) => t.cluster === f.cluster && t.name === TOKEN_FILE));
      return {
        cluster: f.cluster,
        urn: f.urn,
        payload: JSON.parse(f.content) as ApplierPayload,
        ...(token ? { token } : {}),
      };
    });
}

/** Appliers of a set of recorded resources (Docker uploads, ConfigMaps, Secrets). */
export function appliersOf(resources: Parameters<typeof deployedFiles>[0]): DeployedApplier[] {
  return deployedAppliers(deployedFiles(resources));
}

/** What one datacenter's Consul holds of what the applier manages (and anything else written there). */
export interface ConsulStore {
  /** `kind/name` → the entry as stored. */
  readonly entries: ReadonlyMap<string, Json>;
  /** Registrations on the applier's node, by service ID, as stored. */
  readonly services: ReadonlyMap<string, CatalogRegistrationBody>;
  readonly nodeExists: boolean;
}

export const emptyStore = (nodeExists = true): ConsulStore => ({ entries: new Map(), services: new Map(), nodeExists });

export interface ApplierRefusal {
  readonly rule: string;
  readonly source: string;
  /** `kind/name` or the service ID. */
  readonly object: string;
  readonly message: string;
}

export interface PassResult {
  readonly store: ConsulStore;
  /** What the pass wrote or deleted: `PUT /v1/config kind/name`, `register id`, ... */
  readonly writes: readonly string[];
  readonly refusals: readonly ApplierRefusal[];
}

/** `covers` of the script: every declared field holds the declared value. */
export function covers(declared: unknown, stored: unknown): boolean {
  // An empty declared list or map also matches what Consul leaves out.
  const empty =
    (Array.isArray(declared) && declared.length === 0) ||
    (typeof declared === "object" && declared !== null && Object.keys(declared).length === 0);
  if (empty && (stored === null || stored === undefined)) return true;
  if (Array.isArray(declared)) {
    return Array.isArray(stored) && declared.length === stored.length && declared.every((d, i) => covers(d, stored[i]));
  }
  if (typeof declared === "object" && declared !== null) {
    if (typeof stored !== "object" || stored === null || Array.isArray(stored)) return false;
    return Object.entries(declared).every(([k, v]) => covers(v, (stored as Record<string, unknown>)[k]));
  }
  return declared === stored;
}

function entryKey(e: { Kind: string; Name: string }): string {
  return `${e.Kind}/${e.Name}`;
}

function entryPermission(kind: string, name: string): Permission {
  return kind === "service-intentions"
    ? { resource: "intention", segment: name, level: "write" }
    : { resource: "mesh", level: "write" };
}

/** The entry as Consul stores and returns it: Kind, Name and Meta kept, the body normalized. */
function storedConfigEntry(e: ConfigEntryBody): Json {
  const { Kind, Name, ...body } = e;
  return { Kind, Name, ...storedEntry(Kind, Name, body) };
}

/** The registration as the catalog returns it: Go durations; the check status is Consul's, not declared. */
function storedRegistration(r: CatalogRegistrationBody): CatalogRegistrationBody {
  return {
    ...r,
    Checks: r.Checks.map((c) => ({
      ...c,
      Definition: {
        ...c.Definition,
        Interval: goDurationRoundTrip(c.Definition.Interval),
        Timeout: goDurationRoundTrip(c.Definition.Timeout),
        DeregisterCriticalServiceAfter: goDurationRoundTrip(c.Definition.DeregisterCriticalServiceAfter),
      },
    })),
  };
}

function isManaged(meta: unknown, payload: ApplierPayload): boolean {
  return (
    typeof meta === "object" &&
    meta !== null &&
    (meta as Record<string, unknown>)[payload.managedMeta.key] === payload.managedMeta.value
  );
}

/** One pass of the applier's script with a token of `authority`. */
export function applierPass(
  store: ConsulStore,
  payload: ApplierPayload,
  token: { readonly accessor: string; readonly authority: TokenAuthority },
): PassResult {
  const entries = new Map(store.entries);
  const services = new Map(store.services);
  const writes: string[] = [];
  const refusals: ApplierRefusal[] = [];
  const denied = (object: string, permission: Permission, source: string): boolean => {
    if (allowed(token.authority, permission)) return false;
    refusals.push({
      rule: "consul/acl/applier-denied",
      source,
      object,
      message: `Consul refused (403): ${permissionDenied(token.accessor, permission)}`,
    });
    return true;
  };

  for (const entry of payload.configEntries) {
    const key = entryKey(entry);
    if (covers(entry, entries.get(key))) continue;
    const { Kind, Name, Meta: _meta, ...body } = entry;
    const refused = validateEntry(Kind, Name, JSON.stringify(body));
    if (refused) {
      refusals.push({ ...refused, object: key, message: `Consul refused: ${refused.message}` });
      return { store: { ...store, entries, services }, writes, refusals };
    }
    if (denied(key, entryPermission(Kind, Name), APPLIER_SOURCES.configEntry)) {
      return { store: { ...store, entries, services }, writes, refusals };
    }
    entries.set(key, storedConfigEntry(entry));
    writes.push(`PUT /v1/config ${key}`);
  }

  // What the applier sees of its node: nothing when it may not read the node (filterNodeServices).
  const visible = allowed(token.authority, { resource: "node", segment: payload.node, level: "read" })
    ? new Map(
        [...services].filter(([, r]) =>
          allowed(token.authority, { resource: "service", segment: r.Service.Service, level: "read" }),
        ),
      )
    : new Map<string, CatalogRegistrationBody>();
  for (const registration of payload.registrations) {
    const id = registration.Service.ID;
    if (covers(registration, visible.get(id))) continue;
    const needsNode = !store.nodeExists;
    const permission: Permission = needsNode
      ? { resource: "node", segment: registration.Node, level: "write" }
      : { resource: "service", segment: registration.Service.Service, level: "write" };
    if (denied(id, permission, APPLIER_SOURCES.register)) {
      return { store: { ...store, entries, services }, writes, refusals };
    }
    services.set(id, storedRegistration(registration));
    writes.push(`register ${id}`);
  }

  const declaredEntries = new Set(payload.configEntries.map(entryKey));
  for (const [key, stored] of [...entries]) {
    if (declaredEntries.has(key) || !isManaged(stored.Meta, payload)) continue;
    const [kind, ...rest] = key.split("/");
    if (denied(key, entryPermission(kind!, rest.join("/")), APPLIER_SOURCES.configEntry)) {
      return { store: { ...store, entries, services }, writes, refusals };
    }
    entries.delete(key);
    writes.push(`DELETE /v1/config/${key}`);
  }
  const declaredIds = new Set(payload.registrations.map((r) => r.Service.ID));
  for (const [id, stored] of visible) {
    if (declaredIds.has(id) || !isManaged(stored.Service.Meta, payload)) continue;
    const nodeWrite = allowed(token.authority, { resource: "node", segment: payload.node, level: "write" });
    if (
      !nodeWrite &&
      denied(id, { resource: "service", segment: stored.Service.Service, level: "write" }, APPLIER_SOURCES.deregister)
    ) {
      return { store: { ...store, entries, services }, writes, refusals };
    }
    services.delete(id);
    writes.push(`deregister ${id}`);
  }
  return { store: { ...store, entries, services }, writes, refusals };
}

/** A first `up` of every applier: one pass from an empty Consul, then a second pass that must write nothing. */
export interface ApplierRun {
  readonly applier: DeployedApplier;
  readonly datacenter: string;
  readonly first: PassResult;
  readonly second: PassResult;
}

const runs = new WeakMap<object, ApplierRun[]>();

/** Runs each applier against its datacenter's Consul (once per deployment). */
export function applierRuns(
  deployment: { readonly resources: Parameters<typeof deployedFiles>[0] },
  tokenOfSecret: (
    datacenter: string,
    secret: string | undefined,
  ) => {
    readonly accessor: string;
    readonly authority: TokenAuthority;
  },
): ApplierRun[] {
  let found = runs.get(deployment);
  if (!found) {
    found = appliersOf(deployment.resources).map((applier) => {
      const token = tokenOfSecret(applier.payload.datacenter, applier.token);
      const first = applierPass(emptyStore(), applier.payload, token);
      const second = applierPass(first.store, applier.payload, token);
      return { applier, datacenter: applier.payload.datacenter, first, second };
    });
    runs.set(deployment, found);
  }
  return found;
}
