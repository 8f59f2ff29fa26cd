/**
 * Who answers at an address, read from the provider models' view of the deployment (never from the mesh model):
 *
 * - Docker: the addresses each container gets on its networks (`networkDatas` the Docker model reads back); a
 *   service's Envoy and app share the namespace holder's network namespace (`network_mode: container:<holder>`),
 *   so the holder's address is where the sidecar listens and the app's `-listen` flag is the app port.
 * - Kubernetes: a Service's cluster IP and load-balancer ingress (Kubernetes model outputs) reach the workloads its
 *   selector matches; a catalog-sync registration (simulate/catalog.ts) is a pod address of the Service it came from.
 */
import { resourceLabels } from "../../artifacts/labels";
import type { RecordedResource } from "../recorder";
import type { Deployment } from "../system";
import { runtimeRegistrations } from "../catalog";
import { CATALOG_SYNC_REGISTRAR } from "../kubernetes/catalogSync";
import { K8S, WORKLOAD_TYPES, labelsOf, nameOf, namespaceOf, obj, podTemplate } from "../kubernetes/objects";

const CONTAINER = "docker:index/container:Container";

export interface Workload {
  readonly cluster: string;
  /** The service, or `mesh-gateway`. */
  readonly workload: string;
  readonly role: "sidecar" | "gateway" | "other";
  /** The container or object that owns the address. */
  readonly subject: string;
  /** Port the address is dialled on → port the workload listens on (a Kubernetes Service's targetPort). */
  readonly portMap: ReadonlyMap<number, number>;
  /** The app's own port as its process or registration states it, when known. */
  readonly appPort?: number;
  /**
   * One instance of the workload, `<cluster>/<workload>/<name>`: a Docker namespace holder (its `lucid.mesh/netns`
   * label) or a pod catalog sync registered. Absent for an address in front of every instance (a Kubernetes Service).
   */
  readonly instance?: string;
}

interface AddressEntry {
  readonly address: string;
  /** Empty for an address reachable from every cluster (Docker WAN network, load-balancer ingress). */
  readonly cluster: string;
  readonly workload: Workload;
}

export interface AddressBook {
  /** The workload at `address` as seen from `fromCluster`, preferring that cluster's own networks. */
  readonly at: (address: string, fromCluster: string) => Workload | undefined;
  readonly entries: readonly AddressEntry[];
}

const LISTEN_FLAG = /^--?listen=(?:[^:]*:)?(\d+)$/;

function listenPort(args: unknown): number | undefined {
  for (const a of (Array.isArray(args) ? args : []) as unknown[]) {
    const m = typeof a === "string" ? LISTEN_FLAG.exec(a) : null;
    if (m) return Number(m[1]);
  }
  return undefined;
}

function dockerEntries(deployment: Deployment): AddressEntry[] {
  const containers = deployment.resources.filter((r) => r.type === CONTAINER);
  const entries: AddressEntry[] = [];
  // Apps by the namespace holder they join (`network_mode: container:<holder's ID>`, the ID being the holder's name
  // and a suffix): one pass over the IDs, not one scan of every container per holder.
  const appByHolderId = new Map<string, RecordedResource>();
  for (const c of containers) {
    const l = resourceLabels(c);
    const mode = /^container:(.+)$/.exec(String(c.inputs.networkMode ?? ""));
    const key = mode ? `${l["lucid.mesh/cluster"] ?? ""}|${mode[1]}` : undefined;
    if (l["lucid.mesh/role"] === "app" && key !== undefined && !appByHolderId.has(key)) appByHolderId.set(key, c);
  }
  const appIn = (cluster: string, holder: string): RecordedResource | undefined => {
    for (const [key, app] of appByHolderId) if (key.startsWith(`${cluster}|${holder}`)) return app;
    return undefined;
  };
  for (const r of containers) {
    const labels = resourceLabels(r);
    const cluster = labels["lucid.mesh/cluster"] ?? "";
    const roleLabel = labels["lucid.mesh/role"] ?? "";
    const holder = labels["lucid.mesh/netns"];
    const name = String(r.inputs.name ?? r.name);
    // The app in this holder's namespace: its `-listen` flag is where local_app must point.
    const app = holder ? (appByHolderId.get(`${cluster}|${name}`) ?? appIn(cluster, name)) : undefined;
    const appPort = app ? listenPort(app.inputs.command) : undefined;
    const role = roleLabel === "gateway" ? "gateway" : holder ? "sidecar" : "other";
    const service = role === "gateway" ? "mesh-gateway" : (labels["lucid.mesh/service"] ?? name);
    const workload: Workload = {
      cluster,
      workload: service,
      role,
      subject: name,
      portMap: new Map(),
      ...(appPort !== undefined ? { appPort } : {}),
      ...(role !== "other" ? { instance: `${cluster}/${service}/${holder ?? name}` } : {}),
    };
    const datas = (deployment.outputsOf(r.urn)?.networkDatas ?? []) as Array<{
      networkName?: string;
      ipAddress?: string;
    }>;
    for (const d of datas) {
      if (!d.ipAddress) continue;
      const global = !String(d.networkName ?? "").endsWith(`-${cluster}`);
      entries.push({ address: d.ipAddress, cluster: global ? "" : cluster, workload });
    }
  }
  return entries;
}

interface ServicePort {
  port?: number;
  targetPort?: number | string;
  name?: string;
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const keys = Object.keys(selector);
  return keys.length > 0 && keys.every((k) => labels[k] === selector[k]);
}

function kubernetesEntries(deployment: Deployment, clusterOfDatacenter: (dc: string) => string): AddressEntry[] {
  const { resources } = deployment;
  const entries: AddressEntry[] = [];
  const services = resources.filter((r) => r.type === "kubernetes:core/v1:Service");
  // Workloads by provider and namespace, in declaration order: a Service's selector is matched within its own.
  const workloadsIn = new Map<string, Array<{ resource: RecordedResource; labels: Record<string, string> }>>();
  for (const x of resources) {
    if (!WORKLOAD_TYPES.includes(x.type) || x.type === K8S.job) continue;
    const id = `${x.provider ?? ""}|${namespaceOf(x)}`;
    const list = workloadsIn.get(id) ?? [];
    workloadsIn.set(id, list);
    list.push({ resource: x, labels: podTemplate(x).labels });
  }
  const workloadOf = (svc: RecordedResource): Workload | undefined => {
    const spec = obj(svc.inputs.spec);
    const selector = obj(spec.selector) as Record<string, string>;
    const w = (workloadsIn.get(`${svc.provider ?? ""}|${namespaceOf(svc)}`) ?? []).find((x) =>
      selects(selector, x.labels),
    )?.resource;
    if (!w) return undefined;
    const labels = { ...labelsOf(w), ...podTemplate(w).labels };
    const cluster = labels["lucid.mesh/cluster"] ?? labelsOf(svc)["lucid.mesh/cluster"] ?? "";
    const role =
      labels["lucid.mesh/role"] === "gateway" ? "gateway" : labels["lucid.mesh/service"] ? "sidecar" : "other";
    const portMap = new Map<number, number>();
    for (const p of (spec.ports ?? []) as ServicePort[]) {
      if (typeof p.port === "number") portMap.set(p.port, typeof p.targetPort === "number" ? p.targetPort : p.port);
    }
    const annotations = obj(obj(svc.inputs.metadata).annotations) as Record<string, string>;
    const appPort = Number(annotations["consul.hashicorp.com/service-meta-lucid-mesh-app-port"] ?? NaN);
    return {
      cluster,
      workload: role === "gateway" ? "mesh-gateway" : (labels["lucid.mesh/service"] ?? nameOf(w)),
      role,
      subject: `${nameOf(w)} (Service ${nameOf(svc)})`,
      portMap,
      ...(Number.isFinite(appPort) ? { appPort } : {}),
    };
  };
  const byServiceName = new Map<string, Workload>();
  for (const svc of services) {
    const workload = workloadOf(svc);
    if (!workload) continue;
    const out = obj(deployment.outputsOf(svc.urn));
    const clusterIp = obj(out.spec).clusterIP ?? obj(svc.inputs.spec).clusterIP;
    if (typeof clusterIp === "string" && clusterIp !== "None") {
      entries.push({ address: clusterIp, cluster: workload.cluster, workload });
    }
    const ingress = (obj(obj(out.status).loadBalancer).ingress ?? []) as Array<{ ip?: string }>;
    for (const i of ingress) if (i.ip) entries.push({ address: i.ip, cluster: "", workload });
    const annotations = obj(obj(svc.inputs.metadata).annotations) as Record<string, string>;
    const consulName = annotations["consul.hashicorp.com/service-name"];
    if (consulName) byServiceName.set(`${workload.cluster}/${consulName}`, workload);
  }
  // Catalog sync registers each pod: the pod's address reaches the Service's workload, dialled on its own ports.
  for (const reg of runtimeRegistrations(deployment)) {
    if (reg.registrar !== CATALOG_SYNC_REGISTRAR) continue;
    const chosen = byServiceName.get(`${clusterOfDatacenter(reg.datacenter)}/${reg.serviceName}`);
    if (chosen) {
      entries.push({
        address: reg.address,
        cluster: chosen.cluster,
        workload: {
          ...chosen,
          portMap: new Map(),
          subject: `pod ${reg.meta["external-k8s-ref-name"] ?? reg.address}`,
          instance: `${chosen.cluster}/${chosen.workload}/${reg.meta["external-k8s-ref-name"] ?? reg.address}`,
        },
      });
    }
  }
  return entries;
}

/** `clusterOfDatacenter`: the cluster whose Consul serves a datacenter (from the Consul model's view). */
export function addressBook(deployment: Deployment, clusterOfDatacenter: (dc: string) => string): AddressBook {
  const entries = [...dockerEntries(deployment), ...kubernetesEntries(deployment, clusterOfDatacenter)];
  const index = new Map<string, Workload>();
  // The first entry wins, as a lookup in order would.
  for (const e of entries)
    if (!index.has(`${e.cluster}|${e.address}`)) index.set(`${e.cluster}|${e.address}`, e.workload);
  return {
    entries,
    at: (address, fromCluster) => index.get(`${fromCluster}|${address}`) ?? index.get(`|${address}`),
  };
}
