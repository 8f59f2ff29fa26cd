/**
 * Least-privilege ACL rules (HCL) for every non-human reader of a cluster. Under `default_policy = "deny"` each
 * one gets exactly what it uses and nothing else.
 */
import type { Mesh, MeshCluster } from "../model";
import { MESH_GATEWAY_SERVICE, compareStrings, servicesInCluster } from "../model";
import { consulServerNodePrefix, externalNodeName } from "./names";

export interface AclPolicySpec {
  /** Policy name, unique per datacenter. */
  readonly name: string;
  readonly description: string;
  readonly rules: string;
}

type Disposition = "read" | "write" | "deny";

function block(resource: string, segment: string, policy: Disposition): string {
  return `${resource} ${JSON.stringify(segment)} {\n  policy = ${JSON.stringify(policy)}\n}`;
}

function scalar(resource: string, policy: Disposition): string {
  return `${resource} = ${JSON.stringify(policy)}`;
}

function rules(...lines: string[]): string {
  return `${lines.join("\n")}\n`;
}

/** consul-esm's service name and KV prefix (its defaults). */
export const ESM_SERVICE = "consul-esm";
export const ESM_KV_PREFIX = "consul-esm/";

/** The services whose checks consul-esm runs in a cluster: every registered service and the mesh gateway. */
export function esmCheckedServices(mesh: Mesh, cluster: MeshCluster): string[] {
  const names = new Set([...servicesInCluster(mesh, cluster.name).map((s) => s.name), MESH_GATEWAY_SERVICE]);
  return [...names].sort(compareStrings);
}

/**
 * consul-esm, per HashiCorp's "Create a Consul ESM token": agent read (version and coordinates), key write on its
 * own KV prefix, node read (discover nodes), node write only on the external node it updates, service write for
 * its own registration, session write on the server nodes it registers with (leader lock). Service read is needed
 * to read the checks of the external services it runs.
 *
 * It updates each check with a `/v1/txn` CheckCAS, which Consul allows only with `service:write` on the check's
 * service (`vetCheckTxnOp` in hashicorp/consul agent/consul/txn_endpoint.go), so it gets write on exactly the
 * services whose checks it runs, by name: nothing else it could register or deregister.
 */
export function esmPolicy(mesh: Mesh, cluster: MeshCluster): AclPolicySpec {
  return {
    name: "lucid-consul-esm",
    description: `consul-esm in ${cluster.name}: runs the checks of externally registered services`,
    rules: rules(
      block("agent_prefix", "", "read"),
      block("key_prefix", ESM_KV_PREFIX, "write"),
      block("node_prefix", "", "read"),
      block("node", externalNodeName(cluster), "write"),
      block("service", ESM_SERVICE, "write"),
      ...esmCheckedServices(mesh, cluster).map((service) => block("service", service, "write")),
      block("service_prefix", "", "read"),
      block("session_prefix", consulServerNodePrefix(cluster), "write"),
    ),
  };
}

/** A mesh gateway: registers itself, discovers every service it routes to, and reads peerings for exports. */
export function meshGatewayPolicy(cluster: MeshCluster): AclPolicySpec {
  return {
    name: "lucid-mesh-gateway",
    description: `mesh gateways in ${cluster.name}`,
    rules: rules(
      block("service", MESH_GATEWAY_SERVICE, "write"),
      block("service_prefix", "", "read"),
      block("node_prefix", "", "read"),
      scalar("peering", "read"),
    ),
  };
}

/** The agent's DNS token: answers node and service lookups, and prepared queries. */
export function dnsPolicy(cluster: MeshCluster): AclPolicySpec {
  return {
    name: "lucid-dns",
    description: `DNS lookups on the ${cluster.name} servers`,
    rules: rules(
      block("node_prefix", "", "read"),
      block("service_prefix", "", "read"),
      block("query_prefix", "", "read"),
    ),
  };
}

/** Prometheus: `/v1/agent/metrics` needs agent read; nothing else. */
export function prometheusPolicy(cluster: MeshCluster): AclPolicySpec {
  return {
    name: "lucid-prometheus",
    description: `Prometheus scraping the ${cluster.name} servers' /v1/agent/metrics`,
    rules: rules(block("agent_prefix", consulServerNodePrefix(cluster), "read")),
  };
}

/** The servers' own agent token: each updates its node entry and reads services for anti-entropy. */
export function agentPolicy(cluster: MeshCluster): AclPolicySpec {
  return {
    name: "lucid-consul-agent",
    description: `Consul server agents in ${cluster.name}`,
    rules: rules(block("node_prefix", consulServerNodePrefix(cluster), "write"), block("service_prefix", "", "read")),
  };
}
