import { resourceRule } from "../../lib/policy";
import { envoyFiles, SIDECAR_PORT_DEFAULTS } from "../../vendor/model/names";
import type { Json } from "../../lib/props";
import { asNumber, asRecord, asRecords, asString, at } from "../../lib/props";
import type { EnvoyConfig } from "../../lib/envoyArtifacts";
import {
  TCP_PROXY,
  envoyConfigOf,
  filterChains,
  filterIs,
  httpConnectionManagers,
  isLoopbackAddress,
  isPublicListener,
  mustCarrySidecarConfig,
  nameOf,
  routesOf,
  socketAddress,
} from "../../lib/envoyArtifacts";
import type { ResourceInput } from "../../lib/types";
import { types } from "../../lib/types";

export const adminLoopbackDefaults = {
  /** Seed: ENVOY_ADMIN_PORT=15000. Used where the bootstrap is not in the same resource (Kubernetes Services). */
  adminPort: SIDECAR_PORT_DEFAULTS.adminPort,
  /** Admin paths a public listener may route to, comma-separated: the Prometheus endpoint only. */
  publicAdminPaths: "/stats/prometheus",
};
export type AdminLoopbackConfig = typeof adminLoopbackDefaults;

const LOOPBACK = ["127.0.0.1", "::1"];

function checkPublishedPorts(props: unknown, adminPort: number): string[] {
  return asRecords(at(props, "ports"))
    .filter((p) => asNumber(p.internal) === adminPort)
    .map(() => `Docker publishes the Envoy admin port ${adminPort}; remove it from ports.`);
}

function checkServicePorts(props: unknown, adminPort: number): string[] {
  return asRecords(at(props, "spec", "ports"))
    .filter((p) => asNumber(p.port) === adminPort || asNumber(p.targetPort) === adminPort)
    .map((p) => `Service port "${String(p.name ?? p.port)}" exposes the Envoy admin port ${adminPort}; remove it.`);
}

/** Clusters whose endpoints are the admin address: a route to one of them is a route into the admin API. */
function adminClusters(envoy: EnvoyConfig, admin: { address?: string; port?: number }): Set<string> {
  const names = new Set<string>();
  for (const cluster of envoy.clusters) {
    const endpoints = asRecords(at(cluster, "load_assignment", "endpoints"))
      .flatMap((e) => asRecords(e.lb_endpoints))
      .map((e) => socketAddress(at(e, "endpoint", "address")));
    if (endpoints.some((e) => e.port === admin.port && (e.address === admin.address || isLoopbackAddress(e.address)))) {
      names.add(nameOf(cluster));
    }
  }
  return names;
}

/** Clusters a route may send to: its cluster, weighted clusters, or any cluster when a header picks it. */
function routeTargets(route: Json): { clusters: string[]; dynamic: boolean } {
  const action = asRecord(route.route);
  if (!action) return { clusters: [], dynamic: false };
  const clusters = [
    ...(typeof action.cluster === "string" ? [action.cluster] : []),
    ...asRecords(at(action, "weighted_clusters", "clusters")).map((c) => asString(c.name) ?? ""),
  ];
  return { clusters, dynamic: action.cluster_header !== undefined || action.cluster_specifier_plugin !== undefined };
}

/** The admin path a route reaches when it matches exactly one path, or undefined when it can reach more. */
function reachedAdminPath(route: Json): string | undefined {
  const match = asRecord(route.match) ?? {};
  const path = asString(match.path);
  const action = asRecord(route.route) ?? {};
  if (path === undefined || action.regex_rewrite !== undefined || action.path_rewrite_policy !== undefined)
    return undefined;
  return asString(action.prefix_rewrite) ?? path;
}

/**
 * Listeners on a public address must not reach the admin API beyond the paths config allows (the metrics
 * endpoint): admin on loopback in effect, not only in form. Routes by exact path only; a prefix, regex, header-picked
 * cluster or TCP proxy to the admin cluster exposes every admin endpoint (/runtime_modify, /quitquitquit, ...).
 */
function exposureProblems(
  envoy: EnvoyConfig,
  admin: { address?: string; port?: number },
  config: AdminLoopbackConfig,
): string[] {
  const targets = adminClusters(envoy, admin);
  if (targets.size === 0) return [];
  const allowed = config.publicAdminPaths
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  const problems: string[] = [];
  for (const listener of envoy.listeners.filter(isPublicListener)) {
    const where = `listener "${nameOf(listener)}" (${socketAddress(listener.address).address ?? "?"}:${socketAddress(listener.address).port ?? "?"})`;
    for (const chain of filterChains(listener)) {
      for (const filter of asRecords(chain.filters)) {
        const cluster = asString(at(filter, "typed_config", "cluster"));
        if (filterIs(filter, TCP_PROXY, ".TcpProxy") && cluster !== undefined && targets.has(cluster)) {
          problems.push(
            `${where} proxies TCP to the Envoy admin API (cluster ${cluster}); remove it or bind the listener to 127.0.0.1.`,
          );
        }
      }
      for (const manager of httpConnectionManagers(chain)) {
        for (const route of routesOf(manager)) {
          const { clusters, dynamic } = routeTargets(route);
          if (dynamic) {
            problems.push(
              `${where} picks its cluster from a request header, which can name the admin cluster; route to fixed clusters.`,
            );
            continue;
          }
          const hit = clusters.find((c) => targets.has(c));
          if (hit === undefined) continue;
          const path = reachedAdminPath(route);
          if (path === undefined || !allowed.includes(path)) {
            problems.push(
              `${where} routes ${JSON.stringify(route.match ?? {})} to the Envoy admin API (cluster ${hit}), exposing admin endpoints such as /runtime_modify on a public address; route only the exact path${allowed.length === 1 ? "" : "s"} ${allowed.join(", ")} to it.`,
            );
          }
        }
      }
    }
  }
  return problems;
}

/** The Envoy admin API (which can drain, reconfigure and dump secrets) listens on loopback only and is never published. */
export function checkAdminLoopback(input: ResourceInput, config: AdminLoopbackConfig): string[] {
  if (input.type === types.k8sService) return checkServicePorts(input.props, config.adminPort);
  const envoy = envoyConfigOf(input);
  const admin = envoy?.bootstrap ? socketAddress(at(envoy.bootstrap, "admin", "address")) : undefined;
  const problems: string[] = [];
  if (!envoy?.bootstrap && mustCarrySidecarConfig(input)) {
    problems.push(
      `this sidecar carries no Envoy bootstrap (${envoyFiles.directory}/${envoyFiles.bootstrap}), so nothing proves its admin interface is on loopback; deliver the generated bootstrap.`,
    );
  }
  if (admin?.address !== undefined && !LOOPBACK.includes(admin.address)) {
    problems.push(`Envoy admin listens on ${admin.address}; bind admin.address.socket_address.address to 127.0.0.1.`);
  }
  if (envoy)
    problems.push(
      ...exposureProblems(envoy, { address: admin?.address, port: admin?.port ?? config.adminPort }, config),
    );
  if (input.type === types.dockerContainer) {
    problems.push(...checkPublishedPorts(input.props, admin?.port ?? config.adminPort));
  }
  return problems;
}

export const adminLoopback = resourceRule(
  {
    name: "lucid-envoy-admin-loopback",
    description: "Keep the Envoy admin interface on loopback and never publish its port.",
    severity: "high",
    appliesTo: [types.dockerContainer, types.configMap, types.k8sService],
    defaults: adminLoopbackDefaults,
    configSchema: {
      properties: {
        adminPort: {
          type: "integer",
          minimum: 1,
          maximum: 65535,
          default: adminLoopbackDefaults.adminPort,
          description: "Envoy admin port, for resources that do not carry the bootstrap.",
        },
        publicAdminPaths: {
          type: "string",
          default: adminLoopbackDefaults.publicAdminPaths,
          description: "Comma-separated admin paths a public listener may route to by exact path.",
        },
      },
    },
  },
  checkAdminLoopback,
);
