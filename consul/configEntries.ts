/**
 * Consul config entries for one cluster, in Consul's API casing, ready for `consul.ConfigEntry`'s `configJson`.
 * Every list comes out in a stable order, so a plan diff only shows real changes.
 */
import type { Mesh, MeshCluster, MeshIntention, MeshService } from "../model";
import { compareStrings, exportedServices, findService, servicesInCluster } from "../model";
import type { JsonObject } from "./agentConfig";

export type ConfigEntryKind =
  "proxy-defaults" | "mesh" | "service-defaults" | "service-resolver" | "service-intentions" | "exported-services";

export interface ConfigEntrySpec {
  readonly kind: ConfigEntryKind;
  readonly name: string;
  /** The entry body without Kind and Name, which the provider sets from its own fields. */
  readonly config: JsonObject;
}

/** Order of kinds in the output: defaults first, so a reader meets the protocol before the routing that needs it. */
const KIND_ORDER: readonly ConfigEntryKind[] = [
  "proxy-defaults",
  "mesh",
  "service-defaults",
  "service-resolver",
  "service-intentions",
  "exported-services",
];

/** Every config entry the cluster needs. */
export function clusterConfigEntries(mesh: Mesh, cluster: MeshCluster): ConfigEntrySpec[] {
  const entries = [
    proxyDefaults(),
    meshEntry(),
    ...serviceDefaults(mesh, cluster),
    ...serviceResolvers(mesh, cluster),
    ...serviceIntentions(mesh, cluster),
    ...exportedServicesEntry(mesh, cluster),
  ];
  return entries.sort(
    (a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || compareStrings(a.name, b.name),
  );
}

/** Traffic to a peer must leave through the local mesh gateway: peers are reachable in no other way. */
export function proxyDefaults(): ConfigEntrySpec {
  return { kind: "proxy-defaults", name: "global", config: { MeshGateway: { Mode: "local" } } };
}

/**
 * Peering control traffic does not go through the mesh gateways: ours are self-managed Envoy that route only the
 * mesh's service SNI names, not the servers' peering SNI. Servers dial each other's gRPC TLS port directly, at the
 * addresses consul/peering.ts puts in the peering tokens. Explicitly off, so an earlier `true` is overwritten.
 */
export function meshEntry(): ConfigEntrySpec {
  return {
    kind: "mesh",
    name: "mesh",
    config: {
      Peering: { PeerThroughMeshGateways: false },
      AllowEnablingPermissiveMutualTLS: false,
      TLS: { Incoming: { TLSMinVersion: "TLSv1_2" }, Outgoing: { TLSMinVersion: "TLSv1_2" } },
    },
  };
}

/** The protocol of every service that runs in the cluster. */
export function serviceDefaults(mesh: Mesh, cluster: MeshCluster): ConfigEntrySpec[] {
  return servicesInCluster(mesh, cluster.name).map((s) => ({
    kind: "service-defaults",
    name: s.name,
    config: { Protocol: s.protocol },
  }));
}

/**
 * Resolvers for services other clusters also run or run alone:
 * - a service here and elsewhere fails over to the other clusters' peers, in name order;
 * - a service called from here but running only elsewhere is redirected to its first peer.
 */
export function serviceResolvers(mesh: Mesh, cluster: MeshCluster): ConfigEntrySpec[] {
  const local = new Set(servicesInCluster(mesh, cluster.name).map((s) => s.name));
  const entries: ConfigEntrySpec[] = [];
  for (const service of mesh.services) {
    const others = service.clusters.filter((c) => c !== cluster.name);
    if (local.has(service.name) && others.length > 0) {
      entries.push({
        kind: "service-resolver",
        name: service.name,
        config: {
          ConnectTimeout: `${mesh.defaults.connectTimeoutSeconds}s`,
          Failover: { "*": { Targets: others.map((peer) => ({ Peer: peer })) } },
        },
      });
    } else if (!local.has(service.name) && calledFrom(mesh, cluster.name, service) && others[0]) {
      entries.push({
        kind: "service-resolver",
        name: service.name,
        config: { ConnectTimeout: `${mesh.defaults.connectTimeoutSeconds}s`, Redirect: { Peer: others[0] } },
      });
    }
  }
  return entries;
}

function calledFrom(mesh: Mesh, cluster: string, target: MeshService): boolean {
  return servicesInCluster(mesh, cluster).some((s) => s.upstreams.some((u) => u.service === target.name));
}

interface IntentionSource {
  Name: string;
  Peer?: string;
  Action: "allow" | "deny";
  Description?: string;
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
      sources.push({ Name: "*", Action: action, Description: `default ${action}` });
    }
    sources.sort((a, b) => compareStrings(a.Name, b.Name) || compareStrings(a.Peer ?? "", b.Peer ?? ""));
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

function intentionSources(mesh: Mesh, cluster: MeshCluster, intention: MeshIntention): IntentionSource[] {
  const base = {
    Action: intention.action,
    ...(intention.description ? { Description: intention.description } : {}),
  };
  const peers = mesh.clusters.map((c) => c.name).filter((c) => c !== cluster.name);
  if (intention.source === "*") {
    return [{ Name: "*", ...base }, ...peers.map((peer) => ({ Name: "*", Peer: peer, ...base }))];
  }
  const source = findService(mesh, intention.source);
  const here = source.clusters.includes(cluster.name) ? [{ Name: source.name, ...base }] : [];
  const remote = source.clusters
    .filter((c) => c !== cluster.name)
    .map((peer) => ({ Name: source.name, Peer: peer, ...base }));
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
