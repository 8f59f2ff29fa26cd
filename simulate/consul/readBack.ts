/**
 * What hashicorp/terraform-provider-consul (behind @pulumi/consul) stores after create, in input shape, so the
 * simulated second `up` diffs as the engine would. Each function follows the resource's Read:
 *
 * - `consul_service` (consul/resource_consul_service.go): durations come back through Go's `Duration.String()`
 *   (`60s` → `1m0s`), schema defaults are filled (`method = GET`, `deregister_critical_service_after = 30s`), the
 *   check status is whatever its owner last wrote (Optional+Computed: compared only when declared), `external-source`
 *   is dropped from the meta;
 * - `consul_config_entry` (consul/resource_consul_config_entry.go): `config_json` is the entry as Consul returns it;
 *   `diffConfigJSON` suppresses the diff when both decode to deeply equal entries, so what Consul adds (intention
 *   `Precedence` and `Type`) or reorders diffs unless the program declared it too;
 * - `consul_node`, `consul_acl_policy`, `consul_acl_token`, `consul_peering_token`, `consul_peering`: stored as
 *   given (their Reads return what was written).
 */
import type { RecordedResource } from "../recorder";
import type { Deployment } from "../system";
import { CONSUL_TYPES, consulView } from "./deployed";
import { registeredCatalog, runChecks, type CatalogInstance } from "./catalog";
import { storedEntry, type Json } from "./configEntries";
import { goDurationRoundTrip } from "./goDuration";

type ReadBack = (resource: RecordedResource, deployment: Deployment) => Record<string, unknown>;

function isZero(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === "" ||
    value === 0 ||
    value === false ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === "object" && value !== null && Object.keys(value).length === 0)
  );
}

/**
 * Drops what the engine never compares: keys not declared whose stored value is the zero value or the schema
 * default (an unset Optional equals its default; an unset Optional+Computed is not compared).
 */
function likeDeclared(
  declared: Record<string, unknown>,
  stored: Record<string, unknown>,
  defaults: Record<string, unknown> = {},
  computed: readonly string[] = [],
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(stored).filter(([k, v]) => {
      if (k in declared) return true;
      if (computed.includes(k)) return false;
      return !(isZero(v) || (k in defaults && defaults[k] === v));
    }),
  );
}

/** The catalog after consul-esm's first round, once per deployment: the status the provider reads back. */
const catalogs = new WeakMap<Deployment, Map<string, CatalogInstance>>();
function catalogAfterChecks(deployment: Deployment): Map<string, CatalogInstance> {
  let found = catalogs.get(deployment);
  if (!found) {
    const view = consulView(deployment);
    const { catalog } = runChecks(registeredCatalog(deployment, view), view);
    found = new Map(catalog.map((i) => [i.subject, i]));
    catalogs.set(deployment, found);
  }
  return found;
}

const CHECK_DEFAULTS = { method: "GET", tlsSkipVerify: false, deregisterCriticalServiceAfter: "30s" };

const service: ReadBack = (resource, deployment) => {
  const declared = resource.inputs;
  const stored = catalogAfterChecks(deployment).get(resource.urn);
  const declaredChecks = (declared.checks ?? []) as Array<Record<string, unknown>>;
  const checks = declaredChecks.map((c) => {
    const status = stored?.checks.find((s) => s.checkId === c.checkId)?.status;
    const read: Record<string, unknown> = {
      checkId: c.checkId,
      name: c.name,
      notes: c.notes ?? "",
      status: status ?? c.status ?? "critical",
      tcp: c.tcp ?? "",
      http: c.http ?? "",
      tlsSkipVerify: c.tlsSkipVerify ?? false,
      method: c.method ?? CHECK_DEFAULTS.method,
      interval: goDurationRoundTrip(String(c.interval)),
      timeout: goDurationRoundTrip(String(c.timeout)),
      deregisterCriticalServiceAfter: goDurationRoundTrip(
        String(c.deregisterCriticalServiceAfter ?? CHECK_DEFAULTS.deregisterCriticalServiceAfter),
      ),
      headers: c.headers ?? [],
    };
    return likeDeclared(c, read, CHECK_DEFAULTS, ["status"]);
  });
  const meta = { ...((declared.meta ?? {}) as Record<string, string>) };
  delete meta["external-source"];
  const read: Record<string, unknown> = {
    address: declared.address ?? stored?.address ?? "",
    serviceId: declared.serviceId ?? declared.name,
    datacenter: declared.datacenter ?? stored?.datacenter ?? "",
    name: declared.name,
    port: declared.port ?? 0,
    tags: declared.tags ?? [],
    node: declared.node,
    meta,
    checks,
    enableTagOverride: declared.enableTagOverride ?? false,
  };
  return likeDeclared(declared, read, {}, ["address", "serviceId", "datacenter"]);
};

/** Zero values are dropped: a Go struct field left out and one set to its zero value decode the same. */
function decoded(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decoded);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => !(v === null || v === "" || v === 0 || v === false))
        .map(([k, v]) => [k, decoded(v)]),
    );
  }
  return value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

const configEntry: ReadBack = (resource) => {
  const { kind, name, configJson } = resource.inputs as { kind: string; name: string; configJson?: string };
  let declared: Json;
  try {
    declared = JSON.parse(configJson ?? "{}") as Json;
  } catch {
    return { kind, name, configJson: "" };
  }
  const stored = storedEntry(kind, name, declared);
  // diffConfigJSON: decode both into the API's struct and compare deeply; equal means no diff.
  const same = deepEqual(decoded(declared), decoded(stored));
  return { kind, name, configJson: same ? configJson : JSON.stringify(stored) };
};

/** A Read that returns what was written: the declared inputs the provider stores. */
const asWritten =
  (keys: readonly string[]): ReadBack =>
  (resource) =>
    Object.fromEntries(keys.filter((k) => k in resource.inputs).map((k) => [k, resource.inputs[k]]));

export const consulReadBack: Record<string, ReadBack> = {
  [CONSUL_TYPES.service]: service,
  [CONSUL_TYPES.configEntry]: configEntry,
  [CONSUL_TYPES.node]: asWritten(["name", "address", "datacenter", "meta"]),
  [CONSUL_TYPES.aclPolicy]: asWritten(["name", "description", "rules", "datacenters"]),
  [CONSUL_TYPES.aclToken]: asWritten(["description", "policies", "local", "roles"]),
  [CONSUL_TYPES.peeringToken]: asWritten(["peerName", "meta", "serverExternalAddresses"]),
  [CONSUL_TYPES.peering]: asWritten(["peerName", "peeringToken", "meta"]),
};

/** ForceNew inputs, from each resource's schema in hashicorp/terraform-provider-consul consul/resource_consul_*.go. */
export const consulForceNew: Record<string, readonly string[]> = {
  [CONSUL_TYPES.service]: ["serviceId", "name", "node", "datacenter", "namespace", "partition"],
  [CONSUL_TYPES.configEntry]: ["kind", "name", "partition", "namespace"],
  [CONSUL_TYPES.node]: ["address", "datacenter", "name", "partition"],
  [CONSUL_TYPES.aclPolicy]: ["namespace", "partition"],
  [CONSUL_TYPES.aclToken]: ["accessorId", "local", "expirationTime", "namespace", "partition"],
  [CONSUL_TYPES.peeringToken]: ["peerName", "partition", "meta", "serverExternalAddresses"],
  [CONSUL_TYPES.peering]: ["peerName", "peeringToken", "meta", "partition"],
};
