/**
 * Consul's catalog after the first `up`, and what its health and DNS make of it:
 *
 * - registrations come from `consul:index/service:Service` resources (the mesh gateway), from what the Consul
 *   applier registered on its first pass (applier.ts), and from run-time registrars (simulate/catalog.ts, such as
 *   consul-k8s catalog sync);
 * - a check registered without a status is stored critical (`ensureCheckTxn` in hashicorp/consul
 *   agent/consul/state/catalog.go);
 * - consul-esm runs the HTTP/TCP checks of services on nodes whose meta matches its `external_node_meta`
 *   (hashicorp/consul-esm v0.8.0 agent.go `getExternalNodes`, check.go `UpdateChecks`) and writes each result with
 *   a `/v1/txn` CheckCAS, allowed only with `service:write` on the check's service (`vetCheckTxnOp` in
 *   agent/consul/txn_endpoint.go); it sees a check at all only with `node:read` and `service:read` (ACL filtering of
 *   `/v1/health/state`, agent/consul/acl_filter.go);
 * - DNS answers `<svc>.service.<dc>.consul` with instances whose checks all pass when `only_passing` is set, and
 *   only those its token may read (`node:read` and `service:read`, agent/dns.go with acl_filter.go); an A answer is
 *   the service address, or the node's when the service has none.
 */
import { isIPv4 } from "node:net";
import { runtimeRegistrations, type RuntimeRegistration } from "../catalog";
import type { Deployment } from "../system";
import { allowed, permissionDenied, type Permission } from "./aclRules";
import { applierRuns } from "./applier";
import { REDACTED_SECRET } from "../recorder";
import { APPLIER_POLICY_NAME } from "../../consul/applier";
import {
  ANONYMOUS_TOKEN,
  CONSUL_TYPES,
  consulView,
  tokenFor,
  type ConsulDatacenter,
  type ConsulView,
  type KnownToken,
} from "./deployed";

export const ESM_OWNER = "consul-esm";
export type CheckStatus = "passing" | "warning" | "critical";

export interface CatalogCheck {
  readonly checkId: string;
  readonly serviceName: string;
  readonly status: CheckStatus;
  /** Who writes its status: `consul-esm`, a run-time registrar, or nobody. */
  readonly owner: string;
  readonly http?: string;
  readonly tcp?: string;
  readonly deregisterCriticalServiceAfter?: string;
}

export interface CatalogInstance {
  readonly datacenter: string;
  readonly node: string;
  readonly serviceId: string;
  readonly name: string;
  /** The service address, or the node's when the registration gives none. */
  readonly address: string;
  readonly port: number;
  readonly checks: readonly CatalogCheck[];
  /** The resource URN or the registrar that made it. */
  readonly subject: string;
}

function asStatus(value: unknown): CheckStatus {
  return value === "passing" || value === "warning" ? value : "critical";
}

function matchesMeta(meta: Record<string, string>, wanted: Readonly<Record<string, string>>): boolean {
  return Object.entries(wanted).every(([k, v]) => meta[k] === v);
}

/** Every registration as Consul stores it right after the first `up`, before any check has run. */
export function registeredCatalog(
  deployment: Deployment,
  view: ConsulView = consulView(deployment),
): CatalogInstance[] {
  const nodes = new Map<string, { address: string; meta: Record<string, string> }>();
  for (const r of deployment.resources) {
    if (r.type !== CONSUL_TYPES.node) continue;
    const dc = view.datacenterOf(r) ?? "";
    nodes.set(`${dc}/${String(r.inputs.name)}`, {
      address: String(r.inputs.address ?? ""),
      meta: (r.inputs.meta ?? {}) as Record<string, string>,
    });
  }
  const instances: CatalogInstance[] = [];
  for (const r of deployment.resources) {
    if (r.type !== CONSUL_TYPES.service) continue;
    const datacenter = view.datacenterOf(r) ?? "";
    const nodeName = String(r.inputs.node ?? "");
    const node = nodes.get(`${datacenter}/${nodeName}`);
    const esm = view.byDatacenter(datacenter)?.esm;
    const esmRuns = esm !== undefined && node !== undefined && matchesMeta(node.meta, esm.externalNodeMeta);
    const name = String(r.inputs.name ?? "");
    const checks = ((r.inputs.checks ?? []) as Array<Record<string, unknown>>).map((c): CatalogCheck => {
      const http = typeof c.http === "string" && c.http !== "" ? c.http : undefined;
      const tcp = typeof c.tcp === "string" && c.tcp !== "" ? c.tcp : undefined;
      return {
        checkId: String(c.checkId ?? ""),
        serviceName: name,
        status: asStatus(c.status),
        owner: esmRuns && (http !== undefined || tcp !== undefined) ? ESM_OWNER : "nobody",
        ...(http ? { http } : {}),
        ...(tcp ? { tcp } : {}),
        // The provider's default when none is given (resource_consul_service.go schema).
        deregisterCriticalServiceAfter: String(c.deregisterCriticalServiceAfter ?? "30s"),
      };
    });
    const address = typeof r.inputs.address === "string" && r.inputs.address !== "" ? r.inputs.address : node?.address;
    instances.push({
      datacenter,
      node: nodeName,
      serviceId: String(r.inputs.serviceId ?? name),
      name,
      address: address ?? "",
      port: Number(r.inputs.port ?? 0),
      checks,
      subject: r.urn,
    });
  }
  for (const run of applierRuns(deployment, (dc, secret) => applierToken(view, dc, secret))) {
    const esm = view.byDatacenter(run.datacenter)?.esm;
    for (const r of run.first.store.services.values()) {
      const node = nodes.get(`${run.datacenter}/${r.Node}`);
      const esmRuns = esm !== undefined && node !== undefined && matchesMeta(node.meta, esm.externalNodeMeta);
      instances.push({
        datacenter: run.datacenter,
        node: r.Node,
        serviceId: r.Service.ID,
        name: r.Service.Service,
        address: r.Service.Address || r.Address,
        port: r.Service.Port,
        checks: r.Checks.map((c) => ({
          checkId: c.CheckID,
          serviceName: r.Service.Service,
          status: "critical",
          owner: esmRuns && (c.Definition.HTTP || c.Definition.TCP) ? ESM_OWNER : "nobody",
          ...(c.Definition.HTTP ? { http: c.Definition.HTTP } : {}),
          ...(c.Definition.TCP ? { tcp: c.Definition.TCP } : {}),
          deregisterCriticalServiceAfter: c.Definition.DeregisterCriticalServiceAfter,
        })),
        subject: `${run.applier.urn} ${r.Service.ID}`,
      });
    }
  }
  instances.push(...runtimeRegistrations(deployment).map(fromRuntime));
  return instances;
}

/** The applier's token in its datacenter (anonymous when Consul does not know it). */
export function applierToken(view: ConsulView, datacenter: string, secret: string | undefined): KnownToken {
  const dc = view.byDatacenter(datacenter);
  if (!dc) return ANONYMOUS_TOKEN;
  if (secret === REDACTED_SECRET) {
    // A plan (the gate's re-walk) redacts the applier's token and has no provider outputs; the render checked the
    // real token against Consul's ACLs. Hold the applier to its own policy, as its token is.
    const rules = dc.policies.get(APPLIER_POLICY_NAME);
    if (rules)
      return {
        accessor: "the applier's token (redacted in the plan)",
        authority: { kind: "policies", policies: [rules] },
      };
  }
  return tokenFor(dc, secret);
}

function fromRuntime(r: RuntimeRegistration): CatalogInstance {
  return {
    datacenter: r.datacenter,
    node: r.node,
    serviceId: r.serviceId,
    name: r.serviceName,
    address: r.address || r.nodeAddress,
    port: r.port,
    checks: r.checks.map((c) => ({ checkId: c.checkId, serviceName: r.serviceName, status: c.status, owner: c.owner })),
    subject: r.registrar,
  };
}

/** A call a Consul client makes, and what Consul answered. */
export interface Refusal {
  readonly datacenter: string;
  readonly actor: string;
  readonly subject: string;
  readonly permission: Permission;
  readonly message: string;
}

/**
 * Runs every check once, as its owner would with a healthy app: consul-esm writes passing where its token allows
 * it. Returns the catalog afterwards and every write Consul refused.
 */
export function runChecks(
  catalog: readonly CatalogInstance[],
  view: ConsulView,
): { catalog: CatalogInstance[]; refused: Refusal[] } {
  const refused: Refusal[] = [];
  const after = catalog.map((instance): CatalogInstance => {
    const dc = view.byDatacenter(instance.datacenter);
    const checks = instance.checks.map((check): CatalogCheck => {
      if (check.owner !== ESM_OWNER || dc?.esm === undefined) return check;
      const token = tokenFor(dc, dc.esm.token);
      const needed: Permission[] = [
        { resource: "node", segment: instance.node, level: "read" },
        { resource: "service", segment: check.serviceName, level: "read" },
        { resource: "service", segment: check.serviceName, level: "write" },
      ];
      const missing = needed.find((p) => !allowed(token.authority, p));
      if (missing) {
        refused.push({
          datacenter: instance.datacenter,
          actor: ESM_OWNER,
          subject: instance.subject,
          permission: missing,
          message: permissionDenied(token.accessor, missing),
        });
        return check;
      }
      return { ...check, status: "passing" };
    });
    return { ...instance, checks };
  });
  return { catalog: after, refused };
}

export interface DnsAnswer {
  readonly instance: CatalogInstance;
  /** The A record, or undefined when Consul would answer with a CNAME to a host name. */
  readonly ipv4?: string;
}

/** The catalog by `<datacenter>/<service>`, built once per catalog: a mesh resolves thousands of names. */
const indexes = new WeakMap<readonly CatalogInstance[], Map<string, CatalogInstance[]>>();
function byName(catalog: readonly CatalogInstance[]): Map<string, CatalogInstance[]> {
  let index = indexes.get(catalog);
  if (!index) {
    index = new Map();
    for (const i of catalog) {
      const key = `${i.datacenter}/${i.name}`;
      index.set(key, [...(index.get(key) ?? []), i]);
    }
    indexes.set(catalog, index);
  }
  return index;
}

/** What Consul DNS answers for `<service>.service.<datacenter>.consul`, queried with the agent's DNS token. */
export function dnsLookup(catalog: readonly CatalogInstance[], dc: ConsulDatacenter, service: string): DnsAnswer[] {
  const token = tokenFor(dc, dc.dnsToken);
  return (byName(catalog).get(`${dc.datacenter}/${service}`) ?? [])
    .filter((i) =>
      dc.onlyPassing ? i.checks.every((c) => c.status === "passing") : i.checks.every((c) => c.status !== "critical"),
    )
    .filter(
      (i) =>
        allowed(token.authority, { resource: "service", segment: i.name, level: "read" }) &&
        allowed(token.authority, { resource: "node", segment: i.node, level: "read" }),
    )
    .map((instance) => ({ instance, ...(isIPv4(instance.address) ? { ipv4: instance.address } : {}) }));
}
