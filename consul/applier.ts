/**
 * The Consul applier: one process per cluster that reconciles Consul from a declared payload, instead of one
 * Pulumi resource per config entry and per catalog registration.
 *
 * The payload holds exactly what `consul.ConfigEntry` and `consul.Service` sent before, in Consul's HTTP API shape:
 * - config entries as `PUT /v1/config` bodies (`Kind`, `Name` and the entry), as terraform-provider-consul's
 *   `consul_config_entry` sends them (consul/resource_consul_config_entry.go, `configEntries.Set`);
 * - catalog registrations as `PUT /v1/catalog/register` bodies, as `consul_service` builds them
 *   (consul/resource_consul_service.go, getCatalogRegistration: `SkipNodeUpdate`, the service address also as the
 *   registration's `Address`, checks with `Definition`, no `Status`, so Consul stores them critical).
 *
 * Everything the applier writes carries the meta `lucid-mesh-managed-by = consul-applier`, so it can prune what it
 * wrote before and no longer declares, and never touches anything else (the gateway's own registration,
 * catalog sync's, consul-esm's). The script compares before it writes (a re-registration would reset a passing
 * check to critical: agent/consul/state/catalog.go ensureCheckTxn), re-asserts every `periodSeconds`, and fails
 * its health check with Consul's own message while Consul refuses anything.
 */
import type { Mesh, MeshCluster } from "../model";
import { compareStrings, consulServerTlsName } from "../model";
import type { AclPolicySpec } from "./acl";
import type { JsonObject } from "./agentConfig";
import { clusterConfigEntries } from "./configEntries";
import { consulApiHost, consulPorts, externalNodeName } from "./names";
import { META_PREFIX, checkFor, registrations, type CheckSpec, type RegistrationSpec } from "./registration";

/** The meta key and value marking what the applier owns (Consul meta keys allow `[A-Za-z0-9_-]`). */
export const APPLIER_MANAGED_KEY = `${META_PREFIX}managed-by`;
export const APPLIER_MANAGED_VALUE = "consul-applier";
/** `external-source` as the Consul UI reads it; the provider wrote `terraform` here. */
export const APPLIER_EXTERNAL_SOURCE = "lucid-mesh";

/** Where the applier reads its files (Docker: a volume its writer fills; Kubernetes: a ConfigMap and a Secret). */
export const applierPaths = {
  dir: "/lucid-applier",
  payload: "payload.json",
  script: "apply.sh",
  caFile: "ca.pem",
  /** A curl header file, `X-Consul-Token: <SecretID>`, so the token never sits in a process's arguments. */
  tokenHeader: "token-header",
  /** Written after each pass Consul accepted; the health check looks for it. */
  appliedMarker: "/tmp/lucid-applied",
  /** Consul's last refusal, which the health check prints. */
  errorFile: "/tmp/lucid-applier-error",
} as const;

/** How often the applier re-asserts the payload, reverting manual drift. */
export const APPLIER_PERIOD_SECONDS = 60;
/** The applier's ACL policy: one per datacenter, held by the applier's token alone. */
export const APPLIER_POLICY_NAME = "lucid-consul-applier";

/** A config entry as `PUT /v1/config` takes it. */
export type ConfigEntryBody = JsonObject & { readonly Kind: string; readonly Name: string };

export interface CatalogCheckBody {
  readonly Node: string;
  readonly ServiceID: string;
  readonly CheckID: string;
  readonly Name: string;
  readonly Definition: {
    readonly HTTP?: string;
    readonly Method?: string;
    readonly TCP?: string;
    readonly Interval: string;
    readonly Timeout: string;
    readonly DeregisterCriticalServiceAfter: string;
  };
}

/** A registration as `PUT /v1/catalog/register` takes it. */
export interface CatalogRegistrationBody {
  readonly Datacenter: string;
  readonly Node: string;
  readonly Address: string;
  readonly SkipNodeUpdate: true;
  readonly Service: {
    readonly ID: string;
    readonly Service: string;
    readonly Address: string;
    readonly Port: number;
    readonly Tags: readonly string[];
    readonly Meta: Readonly<Record<string, string>>;
  };
  readonly Checks: readonly CatalogCheckBody[];
}

export interface ApplierPayload {
  readonly cluster: string;
  readonly datacenter: string;
  /** The node whose registrations the applier owns (and prunes). */
  readonly node: string;
  readonly managedMeta: { readonly key: string; readonly value: string };
  readonly configEntries: readonly ConfigEntryBody[];
  readonly registrations: readonly CatalogRegistrationBody[];
}

const managedMeta = { [APPLIER_MANAGED_KEY]: APPLIER_MANAGED_VALUE };

function checkBody(node: string, serviceId: string, check: CheckSpec): CatalogCheckBody {
  const target = "http" in check ? { HTTP: check.http, Method: check.method } : { TCP: check.tcp };
  return {
    Node: node,
    ServiceID: serviceId,
    CheckID: check.checkId,
    Name: check.name,
    Definition: {
      ...target,
      Interval: check.interval,
      Timeout: check.timeout,
      DeregisterCriticalServiceAfter: check.deregisterCriticalServiceAfter,
    },
  };
}

/** One instance's registration, reached at `address` (the container's IP on Docker). */
export function registrationBody(
  cluster: MeshCluster,
  spec: RegistrationSpec,
  address: string,
): CatalogRegistrationBody {
  return {
    Datacenter: cluster.datacenter,
    Node: spec.node,
    Address: address,
    SkipNodeUpdate: true,
    Service: {
      ID: spec.serviceId,
      Service: spec.name,
      Address: address,
      Port: spec.port,
      Tags: [...spec.tags],
      Meta: { "external-source": APPLIER_EXTERNAL_SOURCE, ...spec.meta, ...managedMeta },
    },
    Checks: [checkBody(spec.node, spec.serviceId, checkFor(spec, address))],
  };
}

export interface ApplierPayloadOptions {
  /** Whether the applier registers the instances (Docker); on Kubernetes catalog sync does. */
  readonly registersInstances: boolean;
  /** Addresses the workloads really got, by instance name; the instance's DNS name where absent. */
  readonly addresses?: Readonly<Record<string, string>>;
}

/** Everything the cluster's applier declares. */
export function applierPayload(mesh: Mesh, cluster: MeshCluster, options: ApplierPayloadOptions): ApplierPayload {
  const configEntries = clusterConfigEntries(mesh, cluster).map((e): ConfigEntryBody => ({
    Kind: e.kind,
    Name: e.name,
    ...e.config,
    Meta: { ...managedMeta },
  }));
  const specs = options.registersInstances ? registrations(mesh, cluster) : [];
  return {
    cluster: cluster.name,
    datacenter: cluster.datacenter,
    node: externalNodeName(cluster),
    managedMeta: { key: APPLIER_MANAGED_KEY, value: APPLIER_MANAGED_VALUE },
    configEntries,
    registrations: specs
      .map((spec) => registrationBody(cluster, spec, options.addresses?.[spec.resourceName] ?? spec.address))
      .sort((a, b) => compareStrings(a.Service.ID, b.Service.ID)),
  };
}

/** The payload file: one entry or registration a line, so a preview diff shows exactly what changed. */
export function renderPayload(payload: ApplierPayload): string {
  const line = (v: unknown): string => `    ${JSON.stringify(v)}`;
  const list = (items: readonly unknown[]): string =>
    items.length === 0 ? "[]" : `[\n${items.map(line).join(",\n")}\n  ]`;
  return [
    "{",
    `  "cluster": ${JSON.stringify(payload.cluster)},`,
    `  "datacenter": ${JSON.stringify(payload.datacenter)},`,
    `  "node": ${JSON.stringify(payload.node)},`,
    `  "managedMeta": ${JSON.stringify(payload.managedMeta)},`,
    `  "configEntries": ${list(payload.configEntries)},`,
    `  "registrations": ${list(payload.registrations)}`,
    "}",
    "",
  ].join("\n");
}

/** The policy of a Consul ACL policy rule block; `intentions` only on service rules. */
function block(resource: string, segment: string, policy: string, intentions?: string): string {
  const lines = [`${resource} ${JSON.stringify(segment)} {`, `  policy = ${JSON.stringify(policy)}`];
  if (intentions) lines.push(`  intentions = ${JSON.stringify(intentions)}`);
  return [...lines, "}"].join("\n");
}

/**
 * The applier's token, least privilege for what it calls (hashicorp/consul):
 * - `service:write` on each service name it registers (catalog_endpoint.go vetRegisterWithACL; the node exists
 *   and `SkipNodeUpdate` leaves it unchanged, so no node:write is needed to register);
 * - `node:write` on its own external node only, to deregister what it no longer declares: a removed service's
 *   name is no longer in this policy, and vetDeregisterWithACL allows a deregistration with node:write;
 * - `service_prefix ""` read (list what the node holds) with `intentions = write` (service-intentions CanWrite is
 *   intention:write on the destination; the `*` destination needs a prefix rule covering `*`);
 * - `mesh = write`: exported-services (config_entry_exports.go CanWrite).
 */
export function applierPolicy(mesh: Mesh, cluster: MeshCluster, registersInstances: boolean): AclPolicySpec {
  const names = registersInstances ? [...new Set(registrations(mesh, cluster).map((r) => r.name))] : [];
  const rules = [
    ...(registersInstances ? [block("node", externalNodeName(cluster), "write")] : []),
    // An exact rule beats the prefix rule for the whole name (acl/policy_authorizer.go), intentions included.
    ...names.sort(compareStrings).map((n) => block("service", n, "write", "write")),
    block("service_prefix", "", "read", "write"),
    'mesh = "write"',
  ];
  return {
    name: APPLIER_POLICY_NAME,
    description: `the Consul applier in ${cluster.name}: config entries${registersInstances ? " and catalog registrations" : ""}`,
    rules: `${rules.join("\n")}\n`,
  };
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The applier (POSIX sh, curl and jq: the official Consul image ships both, hashicorp/consul Dockerfile). Each pass:
 * put every declared entry and registration that Consul does not already hold as declared, then delete what
 * carries the managed meta and is no longer declared. A refusal stops the pass with Consul's message (the HTTP
 * body) in the log and in the health check's output; the next pass retries.
 */
export function applierScript(cluster: MeshCluster): string {
  const tlsName = consulServerTlsName(cluster.datacenter);
  const host = consulApiHost(cluster);
  const port = consulPorts.https;
  const dir = applierPaths.dir;
  return `#!/bin/sh
# lucid-mesh Consul applier for ${cluster.name}: reconciles Consul from ${dir}/${applierPaths.payload}.
set -u
# No globbing: the wildcard intention's name is a literal '*'.
set -f
P=${shellQuote(`${dir}/${applierPaths.payload}`)}
ADDR=${shellQuote(`https://${tlsName}:${port}`)}
CONNECT=${shellQuote(`${tlsName}:${port}:${host}:${port}`)}
ERR=${shellQuote(applierPaths.errorFile)}
OK=${shellQuote(applierPaths.appliedMarker)}

# api METHOD PATH: body on stdin for PUT; prints the response body, or Consul's refusal to stderr and $ERR.
api() {
  out=$(curl -sS --cacert ${shellQuote(`${dir}/${applierPaths.caFile}`)} --connect-to "$CONNECT" \\
    -H @${shellQuote(`${dir}/${applierPaths.tokenHeader}`)} -X "$1" -w '\\n%{http_code}' \\
    $([ "$1" = PUT ] && echo --data-binary @-) "$ADDR$2" 2>&1) || {
    echo "consul-applier: $1 $2: $out" | tee "$ERR" >&2; return 1; }
  code=$(printf '%s' "$out" | tail -n 1)
  body=$(printf '%s' "$out" | sed '$d')
  case "$code" in
    2*) printf '%s' "$body" ;;
    404) [ "$1" = GET ] && printf 'null' || { echo "consul-applier: $1 $2: Consul refused ($code): $body" | tee "$ERR" >&2; return 1; } ;;
    *) echo "consul-applier: $1 $2: Consul refused ($code): $body" | tee "$ERR" >&2; return 1 ;;
  esac
}

# covers DECLARED STORED: every declared field holds the declared value (Consul adds indexes and defaults).
# An empty declared list or map also matches what Consul leaves out (null).
COVERS='def covers($d; $s): if ($d|type) == "object" then (($d|length) == 0 and $s == null) or ((($s|type) == "object") and all($d|keys[]; . as $k | covers($d[$k]; $s[$k]))) elif ($d|type) == "array" then (($d|length) == 0 and $s == null) or ((($s|type) == "array") and ($d|length) == ($s|length) and all(range(0; $d|length); covers($d[.]; $s[.]))) else $d == $s end;'

apply_once() {
  MK=$(jq -r .managedMeta.key "$P"); MV=$(jq -r .managedMeta.value "$P"); NODE=$(jq -r .node "$P")
  n=$(jq '.configEntries | length' "$P"); i=0
  while [ "$i" -lt "$n" ]; do
    e=$(jq -c ".configEntries[$i]" "$P")
    kind=$(printf '%s' "$e" | jq -r .Kind); name=$(printf '%s' "$e" | jq -r .Name)
    stored=$(api GET "/v1/config/$kind/$(printf '%s' "$name" | jq -sRr @uri)") || return 1
    if ! jq -n --argjson d "$e" --argjson s "$stored" "$COVERS covers(\\$d; \\$s)" | grep -q true; then
      printf '%s' "$e" | api PUT /v1/config >/dev/null || return 1
    fi
    i=$((i + 1))
  done
  # Files, not arguments: a cluster's registrations can exceed what one argument may hold.
  api GET "/v1/catalog/node-services/$NODE" > /tmp/lucid-services.json || return 1
  api GET "/v1/health/node/$NODE" > /tmp/lucid-checks.json || return 1
  n=$(jq '.registrations | length' "$P"); i=0
  while [ "$i" -lt "$n" ]; do
    r=$(jq -c ".registrations[$i]" "$P")
    if ! jq -n --argjson r "$r" --slurpfile s /tmp/lucid-services.json --slurpfile c /tmp/lucid-checks.json "$COVERS
      covers(\\$r.Service; ((\\$s[0].Services // []) | map(select(.ID == \\$r.Service.ID)) | first))
      and all(\\$r.Checks[]; . as \\$d | covers(\\$d; ((\\$c[0] // []) | map(select(.CheckID == \\$d.CheckID)) | first)))" | grep -q true; then
      printf '%s' "$r" | api PUT /v1/catalog/register >/dev/null || return 1
    fi
    i=$((i + 1))
  done
  # Prune: what carries the managed meta and is no longer declared.
  for kind in service-intentions exported-services; do
    listed=$(api GET "/v1/config/$kind") || return 1
    for name in $(printf '%s' "$listed" | jq -r --arg k "$MK" --arg v "$MV" '(. // [])[] | select(.Meta[$k] == $v) | .Name | @uri'); do
      if ! jq -e --arg k "$kind" --arg n "$name" 'any(.configEntries[]; .Kind == $k and (.Name | @uri) == $n)' "$P" >/dev/null; then
        api DELETE "/v1/config/$kind/$name" >/dev/null || return 1
      fi
    done
  done
  for id in $(jq -r --arg k "$MK" --arg v "$MV" '(.Services // [])[] | select(.Meta[$k] == $v) | .ID' /tmp/lucid-services.json); do
    if ! jq -e --arg id "$id" 'any(.registrations[]; .Service.ID == $id)' "$P" >/dev/null; then
      jq -nc --arg dc "$(jq -r .datacenter "$P")" --arg node "$NODE" --arg id "$id" '{Datacenter: $dc, Node: $node, ServiceID: $id}' \\
        | api PUT /v1/catalog/deregister >/dev/null || return 1
    fi
  done
}

# One pass and its status, for a check from CI or by hand.
if [ "\${LUCID_APPLIER_ONCE:-}" = 1 ]; then apply_once; exit $?; fi
trap 'exit 0' TERM INT
while :; do
  if apply_once; then rm -f "$ERR"; date -u +%s > "$OK"; sleep ${APPLIER_PERIOD_SECONDS} & wait $!
  else rm -f "$OK"; sleep 5 & wait $!; fi
done
`;
}

/** The health check's command: healthy once a pass succeeded; otherwise prints Consul's refusal. */
export function applierHealthCommand(): string[] {
  return [
    "/bin/sh",
    "-c",
    `test -e ${applierPaths.appliedMarker} || { cat ${applierPaths.errorFile} 2>/dev/null; exit 1; }`,
  ];
}

/** The token file's content: a curl header line (a secret). */
export function applierTokenHeader(secretId: string): string {
  return `X-Consul-Token: ${secretId}\n`;
}
