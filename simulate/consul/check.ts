/**
 * The simulated Consul's findings on a first `up`: every config entry it refuses, every ACL call it denies (the
 * provider's writes, consul-esm's check updates and own bookkeeping, Prometheus' metrics scrape), every check that
 * no one can turn passing or that consul-esm would reap, and every name Envoy resolves that gets no usable answer
 * once the checks have run.
 */
import type { RecordedResource } from "../recorder";
import type { Deployment, SystemFinding } from "../system";
import { allowed, permissionDenied, type Permission } from "./aclRules";
import { applierRuns } from "./applier";
import { applierToken, dnsLookup, ESM_OWNER, registeredCatalog, runChecks, type CatalogInstance } from "./catalog";
import { validateEntry } from "./configEntries";
import { CONSUL_TYPES, consulView, tokenFor, type ConsulDatacenter, type ConsulView } from "./deployed";
import { consulNamesEnvoyResolves } from "./envoyDns";
import { parseGoDuration } from "./goDuration";

const SYSTEM = "consul";
const SOURCES = {
  acl: "hashicorp/consul acl/policy_authorizer.go, acl/errors.go",
  txn: "hashicorp/consul agent/consul/txn_endpoint.go (vetCheckTxnOp)",
  catalog: "hashicorp/consul agent/consul/catalog_endpoint.go (Register), acl/policy_authorizer.go",
  configEntry: "hashicorp/consul agent/structs/config_entry_*.go (CanWrite)",
  aclEndpoint: "hashicorp/consul agent/consul/acl_endpoint.go (PolicySet, TokenSet: acl:write)",
  peering: "hashicorp/consul agent/rpc/peering/service.go (peering:write)",
  metrics: "hashicorp/consul agent/agent_endpoint.go (AgentMetrics: agent:read)",
  agent:
    "hashicorp/consul agent/ae/ae.go and agent/local/state.go (syncNodeInfo), agent/consul/catalog_endpoint.go (Register: node:write)",
  esmOwn: "hashicorp/consul-esm v0.8.0 agent.go (register, KV lock, session)",
  reap: "hashicorp/consul-esm v0.8.0 check.go (reapServicesInternal)",
  noOwner: "hashicorp/consul agent/consul/state/catalog.go (ensureCheckTxn: empty status is critical)",
  dns: "hashicorp/consul agent/dns.go (only_passing, ACL filter) and agent/structs/structs.go (CheckServiceNode)",
} as const;

function finding(rule: string, source: string, subject: string, message: string): SystemFinding {
  return { system: SYSTEM, rule, source, subject, message };
}

/** The permission the provider's token needs to create a resource (each endpoint's ACL check). */
function providerPermission(r: RecordedResource): { permission: Permission; source: string } | undefined {
  const name = String(r.inputs.name ?? "");
  switch (r.type) {
    case CONSUL_TYPES.configEntry:
      return r.inputs.kind === "service-intentions"
        ? { permission: { resource: "intention", segment: name, level: "write" }, source: SOURCES.configEntry }
        : { permission: { resource: "mesh", level: "write" }, source: SOURCES.configEntry };
    case CONSUL_TYPES.node:
      return { permission: { resource: "node", segment: name, level: "write" }, source: SOURCES.catalog };
    case CONSUL_TYPES.service:
      return { permission: { resource: "service", segment: name, level: "write" }, source: SOURCES.catalog };
    case CONSUL_TYPES.aclPolicy:
    case CONSUL_TYPES.aclToken:
      return { permission: { resource: "acl", level: "write" }, source: SOURCES.aclEndpoint };
    case CONSUL_TYPES.peering:
    case CONSUL_TYPES.peeringToken:
      return { permission: { resource: "peering", level: "write" }, source: SOURCES.peering };
    default:
      return undefined;
  }
}

function configEntryFindings(resources: readonly RecordedResource[]): SystemFinding[] {
  return resources
    .filter((r) => r.type === CONSUL_TYPES.configEntry)
    .flatMap((r) => {
      const refused = validateEntry(String(r.inputs.kind), String(r.inputs.name), String(r.inputs.configJson ?? "{}"));
      return refused
        ? [
            finding(
              refused.rule,
              refused.source,
              r.urn,
              `failed to set '${String(r.inputs.name)}' config entry: ${refused.message}`,
            ),
          ]
        : [];
    });
}

/**
 * The Consul applier's first pass: every call Consul refuses, with its message; and a second pass that would write
 * again, which means what Consul stores never matches the payload and every pass re-registers (resetting checks to
 * critical, agent/consul/state/catalog.go ensureCheckTxn) or rewrites.
 */
function applierFindings(deployment: Deployment, view: ConsulView): SystemFinding[] {
  const out: SystemFinding[] = [];
  for (const run of applierRuns(deployment, (dc, secret) => applierToken(view, dc, secret))) {
    for (const r of run.first.refusals) {
      out.push(finding(r.rule, r.source, `${run.applier.urn} ${r.object}`, `consul-applier: ${r.message}`));
    }
    if (run.first.refusals.length === 0 && run.second.writes.length > 0) {
      out.push(
        finding(
          "consul/applier/not-converged",
          "hashicorp/consul agent/consul/state/catalog.go (ensureCheckTxn), agent/consul/acl_filter.go",
          run.applier.urn,
          `consul-applier: a second pass writes again (${run.second.writes.slice(0, 3).join(", ")}${run.second.writes.length > 3 ? ", ..." : ""}): what Consul returns never matches the payload, so every pass rewrites it and a re-registration resets its checks to critical`,
        ),
      );
    }
  }
  return out;
}

function providerFindings(deployment: Deployment, view: ConsulView): SystemFinding[] {
  const out: SystemFinding[] = [];
  for (const r of deployment.resources) {
    const needed = providerPermission(r);
    const dcName = needed ? view.datacenterOf(r) : undefined;
    const dc = dcName ? view.byDatacenter(dcName) : undefined;
    if (!needed || !dc) continue;
    const token = tokenFor(dc, view.providerToken.get(dc.datacenter));
    if (!allowed(token.authority, needed.permission)) {
      out.push(
        finding(
          "consul/acl/provider-denied",
          needed.source,
          r.urn,
          permissionDenied(token.accessor, needed.permission),
        ),
      );
    }
  }
  return out;
}

function esmOwnFindings(dc: ConsulDatacenter): SystemFinding[] {
  if (!dc.esm) return [];
  const token = tokenFor(dc, dc.esm.token);
  const needed: Permission[] = [
    { resource: "service", segment: ESM_OWNER, level: "write" },
    { resource: "key", segment: `${ESM_OWNER}/`, level: "write" },
    { resource: "node", segment: "", level: "read" },
    ...dc.serverNodes.map((node): Permission => ({ resource: "session", segment: node, level: "write" })),
  ];
  return needed
    .filter((p) => !allowed(token.authority, p))
    .map((p) =>
      finding(
        "consul/acl/consul-esm-denied",
        SOURCES.esmOwn,
        `${dc.datacenter}/consul-esm`,
        permissionDenied(token.accessor, p),
      ),
    );
}

/** Each server keeps its own node in the catalog with `acl.tokens.agent` (anti-entropy), which needs node:write. */
function agentFindings(dc: ConsulDatacenter): SystemFinding[] {
  const token = tokenFor(dc, dc.agentToken);
  return dc.serverNodes
    .map((node): Permission => ({ resource: "node", segment: node, level: "write" }))
    .filter((p) => !allowed(token.authority, p))
    .map((p) =>
      finding(
        "consul/acl/agent-denied",
        SOURCES.agent,
        `${dc.datacenter}/${"segment" in p ? p.segment : ""}`,
        permissionDenied(token.accessor, p),
      ),
    );
}

function prometheusFindings(dc: ConsulDatacenter, view: ConsulView): SystemFinding[] {
  const secret = view.prometheusToken.get(dc.datacenter);
  if (secret === undefined) return [];
  const token = tokenFor(dc, secret);
  return dc.serverNodes
    .map((node): Permission => ({ resource: "agent", segment: node, level: "read" }))
    .filter((p) => !allowed(token.authority, p))
    .map((p) =>
      finding(
        "consul/acl/prometheus-denied",
        SOURCES.metrics,
        `${dc.datacenter}/prometheus`,
        permissionDenied(token.accessor, p),
      ),
    );
}

function hostNamesOnly(addresses: readonly string[]): string {
  return `its instances are registered under host names (${addresses.join(", ")}), which Consul answers with a CNAME it does not resolve`;
}

/** Why a lookup came back empty: nothing registered, nothing passing, or nothing the DNS token may read. */
function noAnswerReason(catalog: readonly CatalogInstance[], dc: ConsulDatacenter, service: string): string {
  const registered = catalog.filter((i) => i.datacenter === dc.datacenter && i.name === service);
  if (registered.length === 0) return `no instance of ${JSON.stringify(service)} is registered in ${dc.datacenter}`;
  const passing = registered.filter((i) => i.checks.every((c) => c.status === "passing"));
  if (passing.length === 0) {
    const statuses = [...new Set(registered.flatMap((i) => i.checks.map((c) => c.status)))].join(", ");
    return `${registered.length} instance(s) registered, none passing (checks ${statuses}; only_passing answers passing instances only)`;
  }
  return `${passing.length} passing instance(s), none readable with the DNS token (node:read and service:read)`;
}

export function consulSystemCheck(deployment: Deployment): SystemFinding[] {
  const view = consulView(deployment);
  const findings: SystemFinding[] = [
    ...configEntryFindings(deployment.resources),
    ...providerFindings(deployment, view),
    ...applierFindings(deployment, view),
  ];
  for (const dc of view.datacenters) {
    for (const bad of dc.badPolicies)
      findings.push(
        finding(
          "consul/acl/policy-parse",
          "hashicorp/consul acl/policy.go (NewPolicyFromSource)",
          bad.subject,
          bad.message,
        ),
      );
    findings.push(...esmOwnFindings(dc), ...agentFindings(dc), ...prometheusFindings(dc, view));
  }

  const registered = registeredCatalog(deployment, view);
  const { catalog, refused } = runChecks(registered, view);
  for (const r of refused) {
    findings.push(
      finding("consul/acl/consul-esm-check-update-denied", SOURCES.txn, r.subject, `CheckCAS: ${r.message}`),
    );
  }
  findings.push(...checkFindings(registered, view), ...dnsFindings(deployment, catalog, view));
  return findings;
}

/** Checks nobody will turn passing, and checks consul-esm would reap (a registration gone until the next up). */
function checkFindings(registered: readonly CatalogInstance[], view: ConsulView): SystemFinding[] {
  const findings: SystemFinding[] = [];
  for (const instance of registered) {
    for (const check of instance.checks) {
      if (check.owner === "nobody" && check.status !== "passing") {
        findings.push(
          finding(
            "consul/check/no-owner",
            SOURCES.noOwner,
            instance.subject,
            `check ${JSON.stringify(check.checkId)} is ${check.status} and nothing updates it: no consul-esm watches node ${JSON.stringify(instance.node)}`,
          ),
        );
      }
      if (check.owner === ESM_OWNER && check.deregisterCriticalServiceAfter !== undefined) {
        const after = parseGoDuration(check.deregisterCriticalServiceAfter);
        const dc = view.byDatacenter(instance.datacenter);
        const canDeregister =
          dc !== undefined &&
          allowed(tokenFor(dc, dc.esm?.token).authority, {
            resource: "service",
            segment: check.serviceName,
            level: "write",
          });
        if (after > 0n && canDeregister) {
          findings.push(
            finding(
              "consul/consul-esm/reaps-declared-registration",
              SOURCES.reap,
              instance.subject,
              `agent has been critical for too long, deregistered service: consul-esm deregisters ${JSON.stringify(instance.serviceId)} once its check is critical for ${check.deregisterCriticalServiceAfter}, and nothing registers it again before the next up`,
            ),
          );
        }
      }
    }
  }

  return findings;
}

/** Every name Envoy resolves, asked of Consul DNS once the checks have run: an A answer on the port Envoy dials. */
function dnsFindings(deployment: Deployment, catalog: readonly CatalogInstance[], view: ConsulView): SystemFinding[] {
  const findings: SystemFinding[] = [];
  for (const resolved of consulNamesEnvoyResolves(deployment.resources)) {
    const subject = `${resolved.envoy} ${resolved.envoyCluster}`;
    const dc = view.byDatacenter(resolved.datacenter);
    if (!dc) {
      findings.push(
        finding(
          "consul/dns/no-datacenter",
          SOURCES.dns,
          subject,
          `${resolved.name}: NXDOMAIN: no Consul datacenter ${JSON.stringify(resolved.datacenter)} answers here`,
        ),
      );
      continue;
    }
    const answers = dnsLookup(catalog, dc, resolved.service);
    const usable = answers.filter((a) => a.ipv4 !== undefined);
    if (usable.length === 0) {
      const why =
        answers.length > 0
          ? hostNamesOnly(answers.map((a) => a.instance.address))
          : noAnswerReason(catalog, dc, resolved.service);
      findings.push(finding("consul/dns/no-answer", SOURCES.dns, subject, `${resolved.name}: no A record: ${why}`));
    }
    for (const a of usable) {
      if (a.instance.port !== resolved.port) {
        findings.push(
          finding(
            "consul/dns/port-mismatch",
            SOURCES.dns,
            subject,
            `${resolved.name} answers ${a.ipv4} for ${JSON.stringify(a.instance.serviceId)}, registered on port ${a.instance.port}, but Envoy dials port ${resolved.port}`,
          ),
        );
      }
    }
  }
  return findings;
}
