/**
 * Catalog registrations of a cluster's service instances, with the HTTP check consul-esm runs.
 *
 * The catalog port is the sidecar's inbound mTLS port (`sidecar.proxyPort`): that is what Envoy dials after an A
 * lookup of `<svc>.service.<dc>.consul` (envoy/cluster/loadAssignment.ts), and the app itself listens on loopback
 * only. The app port is kept in the meta (`lucid-mesh-app-port`), as Consul keeps it in a connect-proxy
 * registration's `Proxy.LocalServicePort`.
 *
 * Checks start critical (Consul stores an empty status as critical, agent/consul/state/catalog.go) and consul-esm
 * turns them passing; its token may do so (consul/acl.ts). They are never reaped: consul-esm deregisters a service
 * whose check stays critical past `deregister_critical_service_after` (consul-esm check.go, reapServicesInternal),
 * and nothing would register a slow-starting instance again before the next `up`. Pulumi owns the registration,
 * so reaping is off (`0s`; the provider's own default is 30s). A removed instance is deregistered by Pulumi.
 *
 * All of a cluster's registrations sit on one external node (`<cluster>-external`): Consul keys services by ID
 * within a node and every instance has its own ID, so one node per instance would only double the resource count
 * (and the state) without changing what Consul or consul-esm do. The node carries `external-node` so consul-esm
 * picks it up, and `external-probe = false` because the node has no address of its own to ping; instances are
 * reached at their service addresses.
 */
import type { Mesh, MeshCluster } from "../model";
import { MESH_GATEWAY_SERVICE, consulServiceId, findService, instanceName, servicesInCluster } from "../model";
import { goDurationSeconds } from "./goDuration";
import { externalNodeName } from "./names";

export interface ExternalNodeSpec {
  readonly name: string;
  /** Consul requires one; nothing dials it (probing is off). */
  readonly address: string;
  readonly meta: Readonly<Record<string, string>>;
}

/** What every check shares; the target (`http` or `tcp`) is added once the instance's address is known. */
export interface CheckSchedule {
  readonly checkId: string;
  readonly name: string;
  readonly interval: string;
  readonly timeout: string;
  readonly deregisterCriticalServiceAfter: string;
}

export type HttpCheckSpec = CheckSchedule & { readonly http: string; readonly method: "GET" };
export type TcpCheckSpec = CheckSchedule & { readonly tcp: string };
export type CheckSpec = HttpCheckSpec | TcpCheckSpec;

/**
 * Where a check goes: the sidecar's health listener, which passes exactly the health path (or, for TCP services,
 * a connection) to the app. The app can then listen on loopback only, out of reach of anything but its sidecar.
 */
export type HealthTarget =
  | { readonly kind: "http"; readonly port: number; readonly path: string }
  | { readonly kind: "tcp"; readonly port: number };

export interface RegistrationSpec {
  /** Pulumi-side name: unique in the mesh. */
  readonly resourceName: string;
  readonly node: string;
  readonly serviceId: string;
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly tags: readonly string[];
  readonly meta: Readonly<Record<string, string>>;
  readonly health: HealthTarget;
  readonly check: CheckSchedule;
}

/** The full check for an instance reached at `address`. */
export function checkFor(spec: Pick<RegistrationSpec, "health" | "check">, address: string): CheckSpec {
  const { health, check } = spec;
  return health.kind === "http"
    ? { ...check, http: `http://${address}:${health.port}${health.path}`, method: "GET" }
    : { ...check, tcp: `${address}:${health.port}` };
}

/** Consul meta keys allow only `[A-Za-z0-9_-]`, so the contract's `lucid.mesh/` prefix is spelled `lucid-mesh-`. */
export const META_PREFIX = "lucid-mesh-";

/** Meta key holding the app's own (loopback) port; the catalog port is the sidecar's. */
export const APP_PORT_META = `${META_PREFIX}app-port`;

/** `deregister_critical_service_after`: `0s` turns consul-esm's reaping off (see the file comment). */
export const NEVER_REAP = "0s";

function checkSchedule(mesh: Mesh, checkId: string, name: string): CheckSchedule {
  return {
    checkId,
    name,
    interval: goDurationSeconds(mesh.discovery.healthCheckIntervalSeconds),
    timeout: goDurationSeconds(mesh.discovery.healthCheckTimeoutSeconds),
    deregisterCriticalServiceAfter: NEVER_REAP,
  };
}

export function externalNode(cluster: MeshCluster): ExternalNodeSpec {
  return {
    name: externalNodeName(cluster),
    address: "127.0.0.1",
    meta: { "external-node": "true", "external-probe": "false", [`${META_PREFIX}cluster`]: cluster.name },
  };
}

/**
 * Where an instance is reached. Docker: the instance's container name on the cluster network. Kubernetes: the
 * service's Kubernetes Service, as consul-k8s catalog sync registers it, so there is one registration per service.
 */
function instanceAddresses(
  mesh: Mesh,
  cluster: MeshCluster,
  service: string,
): Array<{ index: number; address: string }> {
  const s = findService(mesh, service);
  const addressing = cluster.addresses.catalogAddressing;
  if (addressing.kind === "service-dns") return [{ index: 1, address: `${s.name}.${addressing.domain}` }];
  return Array.from({ length: s.instances }, (_, i) => ({
    index: i + 1,
    address: instanceName(cluster.name, s.name, i + 1),
  }));
}

export function registrations(mesh: Mesh, cluster: MeshCluster): RegistrationSpec[] {
  const node = externalNodeName(cluster);
  return servicesInCluster(mesh, cluster.name).flatMap((service) =>
    instanceAddresses(mesh, cluster, service.name).map(({ index, address }) => {
      const serviceId = consulServiceId(service.name, index);
      return {
        resourceName: instanceName(cluster.name, service.name, index),
        node,
        serviceId,
        name: service.name,
        address,
        port: mesh.sidecar.proxyPort,
        tags: [...service.tags],
        meta: {
          ...service.meta,
          [`${META_PREFIX}cluster`]: cluster.name,
          [`${META_PREFIX}version`]:
            service.meta["version"] ?? service.tags.find((t) => /^v\d/.test(t)) ?? "unversioned",
          [`${META_PREFIX}protocol`]: service.protocol,
          [APP_PORT_META]: String(service.port),
        },
        // HTTP for every service: a TCP service's health path is answered by Envoy's health_check filter from the
        // app's active health check (envoy/listener/health.ts); a TCP connect would reach Envoy, never the app.
        health: { kind: "http", port: mesh.sidecar.healthPort, path: service.healthCheckPath },
        check: checkSchedule(mesh, `service:${serviceId}`, `${service.name} HTTP health`),
      };
    }),
  );
}

export interface GatewayRegistrationSpec {
  readonly serviceId: string;
  readonly name: string;
  readonly tags: readonly string[];
  readonly meta: Readonly<Record<string, string>>;
  readonly check: CheckSchedule;
}

/**
 * The mesh gateway's catalog entry. The Terraform-based provider cannot set a service `Kind`, so the gateway is
 * an ordinary service named `mesh-gateway`: sidecars only need its DNS name, and the meta records what it is.
 */
export function meshGatewayRegistration(mesh: Mesh, cluster: MeshCluster): GatewayRegistrationSpec {
  const serviceId = `${MESH_GATEWAY_SERVICE}-${cluster.name}`;
  return {
    serviceId,
    name: MESH_GATEWAY_SERVICE,
    tags: ["mesh-gateway"],
    meta: { [`${META_PREFIX}kind`]: "mesh-gateway", [`${META_PREFIX}cluster`]: cluster.name },
    check: checkSchedule(mesh, `service:${serviceId}`, "mesh gateway TCP"),
  };
}
