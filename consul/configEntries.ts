/**
 * Consul config entries for one cluster, in Consul's API casing, ready for `consul.ConfigEntry`'s `configJson`.
 *
 * Envoy here is configured from files and finds its endpoints through Consul DNS, so only entries that someone
 * reads are written (hashicorp/consul, Consul 1.20):
 * - `service-intentions`: what `consul intention check` and the UI answer, the truthful mirror of the Envoy RBAC
 *   (the simulated Consul checks that its precedence gives exactly that RBAC);
 * - `exported-services`: which services each peer may consume, the mirror of the cross-cluster calls.
 * Not written, because only Consul-managed proxies read them (agent/proxycfg, agent/consul/discoverychain/compile.go):
 * `service-resolver` (failover is Envoy's priority-1 endpoints through the gateways), `service-defaults` (the
 * protocol matters only to the discovery chain and to L7 intentions, which we do not write), `proxy-defaults` and
 * `mesh` (their settings equal Consul's defaults or apply to Consul-generated Envoy config only).
 *
 * Every list comes out in the order Consul stores it, so the provider reads back exactly what was declared.
 */
import type { Mesh, MeshCluster, MeshIntention } from "../model";
import { compareStrings, exportedServices, findService, servicesInCluster } from "../model";
import type { JsonObject } from "./agentConfig";

export type ConfigEntryKind = "service-intentions" | "exported-services";

export interface ConfigEntrySpec {
  readonly kind: ConfigEntryKind;
  readonly name: string;
  /** The entry body without Kind and Name, which the provider sets from its own fields. */
  readonly config: JsonObject;
}

/** Order of kinds in the output. */
const KIND_ORDER: readonly ConfigEntryKind[] = ["service-intentions", "exported-services"];

/** Every config entry the cluster needs. */
export function clusterConfigEntries(mesh: Mesh, cluster: MeshCluster): ConfigEntrySpec[] {
  const entries = [...serviceIntentions(mesh, cluster), ...exportedServicesEntry(mesh, cluster)];
  return entries.sort(
    (a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || compareStrings(a.name, b.name),
  );
}

interface IntentionSource {
  Name: string;
  Peer?: string;
  Action: "allow" | "deny";
  Precedence: number;
  Type: "consul";
  Description?: string;
}

/**
 * Consul's precedence of a source in an entry (`computeIntentionPrecedence` in
 * agent/structs/config_entry_intentions.go, default namespace): exact→exact 9, *→exact 8, exact→* 6, *→* 5.
 * Consul stores it (and `Type: consul`) on every source and sorts the sources by it, highest first (`normalize`);
 * writing both the same way keeps the provider's `diffConfigJSON` quiet.
 */
export function intentionPrecedence(destination: string, source: string): number {
  const max = destination === "*" ? 6 : 9;
  return max - (source === "*" ? 1 : 0);
}

/**
 * Intentions, one entry per destination that runs here (and `*`). A source service may call from this cluster
 * (plain `Name`) and from peers: Consul names an imported caller by its service name plus the `Peer` this
 * cluster gave the peering, which `peerClusters` sets to the other cluster's name.
 */
export function serviceIntentions(mesh: Mesh, cluster: MeshCluster): ConfigEntrySpec[] {
  const local = new Set(servicesInCluster(mesh, cluster.name).map((s) => s.name));
  const byDestination = new Map<string, MeshIntention[]>();
  // Consul's own fallback is the ACL default policy; an explicit `*` → `*` entry states the model's instead.
  byDestination.set("*", []);
  for (const intention of mesh.intentions) {
    if (intention.destination !== "*" && !local.has(intention.destination)) continue;
    byDestination.set(intention.destination, [...(byDestination.get(intention.destination) ?? []), intention]);
  }
  const entries: ConfigEntrySpec[] = [];
  for (const [destination, intentions] of byDestination) {
    const sources = intentions.flatMap((i) => intentionSources(mesh, cluster, i));
    if (destination === "*" && !sources.some(isLocalWildcard)) {
      const action = mesh.security.defaultIntention;
      sources.push({ ...sourceFields(destination, "*", action), Description: `default ${action}` });
    }
    sources.sort(
      (a, b) =>
        b.Precedence - a.Precedence || compareStrings(a.Name, b.Name) || compareStrings(a.Peer ?? "", b.Peer ?? ""),
    );
    entries.push({
      kind: "service-intentions",
      name: destination,
      config: { Sources: sources.map((s) => ({ ...s }) as JsonObject) },
    });
  }
  return entries;
}

function isLocalWildcard(source: IntentionSource): boolean {
  return source.Name === "*" && source.Peer === undefined;
}

function sourceFields(destination: string, name: string, action: "allow" | "deny", peer?: string): IntentionSource {
  return {
    Name: name,
    ...(peer ? { Peer: peer } : {}),
    Action: action,
    Precedence: intentionPrecedence(destination, name),
    Type: "consul",
  };
}

function intentionSources(mesh: Mesh, cluster: MeshCluster, intention: MeshIntention): IntentionSource[] {
  const source = (name: string, peer?: string): IntentionSource => ({
    ...sourceFields(intention.destination, name, intention.action, peer),
    ...(intention.description ? { Description: intention.description } : {}),
  });
  const peers = mesh.clusters.map((c) => c.name).filter((c) => c !== cluster.name);
  if (intention.source === "*") return [source("*"), ...peers.map((peer) => source("*", peer))];
  const caller = findService(mesh, intention.source);
  const here = caller.clusters.includes(cluster.name) ? [source(caller.name)] : [];
  const remote = caller.clusters.filter((c) => c !== cluster.name).map((peer) => source(caller.name, peer));
  return [...here, ...remote];
}

/** Services this cluster exports, each to the peers whose services call it. */
export function exportedServicesEntry(mesh: Mesh, cluster: MeshCluster): ConfigEntrySpec[] {
  const services = exportedServices(mesh, cluster.name).map((service) => {
    const consumers = new Set(
      mesh.services
        .filter((s) => s.upstreams.some((u) => u.service === service.name))
        .flatMap((s) => s.clusters)
        .filter((c) => c !== cluster.name),
    );
    return {
      Name: service.name,
      Consumers: [...consumers].sort(compareStrings).map((peer) => ({ Peer: peer })),
    };
  });
  if (services.length === 0) return [];
  return [{ kind: "exported-services", name: "default", config: { Services: services } }];
}
