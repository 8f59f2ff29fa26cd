/**
 * consul-k8s catalog sync as a run-time registrar (simulate/catalog.ts): what it registers for the Services it
 * syncs, following hashicorp/consul-k8s control-plane/catalog/to-consul/resource.go at v1.7
 * (shouldSync, generateRegistrations, registerServiceInstance) and service_id.go (serviceID):
 * - only Services in an allowed namespace; with `-k8s-default-sync=false`, only those annotated `service-sync: true`;
 * - a ClusterIP Service: one instance per EndpointSlice address (per pod), at the endpoint port named by the
 *   `service-port` annotation, on the sync node (`-consul-node-name`, address 127.0.0.1);
 * - tags: the `-consul-k8s-tag` (default `k8s`) plus the `service-tags` annotation; meta: external-source,
 *   external-k8s-ns, port-<name> per port, the `service-meta-*` annotations and the pod's ref, node and zone;
 * - one "Kubernetes Readiness Check" per instance, passing when the endpoint is ready, critical when not; catalog
 *   sync owns it (consul-esm never runs it).
 * Pods are simulated: the workload selected by the Service runs its replicas, each ready.
 */
import { createHash } from "node:crypto";
import type { RuntimeRegistration } from "../catalog";
import type { RecordedResource } from "../recorder";
import type { Deployment } from "../system";
import { K8S, WORKLOAD_TYPES, labelsOf, list, metadata, nameOf, namespaceOf, obj, podTemplate, str } from "./objects";

export const CATALOG_SYNC_REGISTRAR =
  "consul-k8s catalog sync (hashicorp/consul-k8s control-plane/catalog/to-consul/resource.go)";
export const READINESS_CHECK_NAME = "Kubernetes Readiness Check";

const ANNOTATION = {
  sync: "consul.hashicorp.com/service-sync",
  name: "consul.hashicorp.com/service-name",
  port: "consul.hashicorp.com/service-port",
  tags: "consul.hashicorp.com/service-tags",
  metaPrefix: "consul.hashicorp.com/service-meta-",
} as const;

/** control-plane/catalog/to-consul/service_id.go serviceID: name plus 12 hex of sha1("<name>-<addr>"). */
export function catalogServiceId(name: string, address: string): string {
  return `${name}-${createHash("sha1").update(`${name}-${address}`).digest("hex").slice(0, 12)}`;
}

interface SyncSettings {
  readonly datacenter: string;
  readonly node: string;
  readonly tag: string;
  readonly defaultSync: boolean;
  readonly allowed: readonly string[];
  readonly cluster: string;
}

function flag(args: readonly string[], name: string): string[] {
  return args.filter((a) => a.startsWith(`-${name}=`)).map((a) => a.slice(name.length + 2));
}

function syncSettings(r: RecordedResource): SyncSettings | undefined {
  const container = list(podTemplate(r).spec.containers).find((c) =>
    ((c.command as string[] | undefined) ?? []).includes("sync-catalog"),
  );
  if (!container) return undefined;
  const args = (container.command as string[]).slice(2);
  const env = new Map(list(container.env).map((e) => [str(e.name) ?? "", str(e.value) ?? ""]));
  return {
    datacenter: env.get("CONSUL_DATACENTER") ?? "",
    node: flag(args, "consul-node-name")[0] ?? "k8s-sync",
    tag: flag(args, "consul-k8s-tag")[0] ?? "k8s",
    defaultSync: (flag(args, "k8s-default-sync")[0] ?? "true") === "true",
    allowed: flag(args, "allow-k8s-namespace"),
    cluster: labelsOf(r)["lucid.mesh/cluster"] ?? "",
  };
}

/**
 * Pod addresses as a cluster's pod CIDR hands them out: 10.244.0.0/16 (kubeadm's and flannel's default) split into a
 * /24 per node (kube-controller-manager --node-cidr-mask-size, default 24 for IPv4), each node's host-local IPAM
 * giving out its range from .2 up (.1 is the bridge's gateway), at most 110 pods a node (kubelet --max-pods default).
 * Which node runs which pod is the scheduler's choice; the model fills the nodes in pod-name order per cluster, so the
 * addresses are distinct and the same on every run whatever order the objects were declared in.
 */
export const POD_CIDR_PREFIX = "10.244";
export const PODS_PER_NODE = 110;
const NODE_RANGES = 256;

export function podAddresses(podsByCluster: ReadonlyMap<string, readonly string[]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [cluster, pods] of podsByCluster) {
    const names = [...new Set(pods)].sort();
    if (names.length > NODE_RANGES * PODS_PER_NODE)
      throw new Error(`cluster ${cluster}: ${names.length} pods do not fit the pod CIDR ${POD_CIDR_PREFIX}.0.0/16`);
    names.forEach((pod, i) => {
      const node = Math.floor(i / PODS_PER_NODE);
      out.set(`${cluster}/${pod}`, `${POD_CIDR_PREFIX}.${node}.${2 + (i % PODS_PER_NODE)}`);
    });
  }
  return out;
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const keys = Object.keys(selector);
  return keys.length > 0 && keys.every((k) => labels[k] === selector[k]);
}

interface PlannedRegistration {
  readonly cluster: string;
  readonly pod: string;
  readonly make: (address: string) => RuntimeRegistration;
}

export function catalogSyncRegistrations(deployment: Deployment): RuntimeRegistration[] {
  const { resources } = deployment;
  // One pass each: Services by cluster, workloads by provider and namespace (declaration order kept).
  const servicesByCluster = new Map<string, RecordedResource[]>();
  const workloadsIn = new Map<string, Array<{ resource: RecordedResource; labels: Record<string, string> }>>();
  for (const r of resources) {
    if (r.type === K8S.service) {
      const cluster = labelsOf(r)["lucid.mesh/cluster"] ?? "";
      const list = servicesByCluster.get(cluster) ?? [];
      servicesByCluster.set(cluster, list);
      list.push(r);
    } else if (WORKLOAD_TYPES.includes(r.type) && r.type !== K8S.job) {
      const key = `${r.provider ?? ""}|${namespaceOf(r)}`;
      const list = workloadsIn.get(key) ?? [];
      workloadsIn.set(key, list);
      list.push({ resource: r, labels: podTemplate(r).labels });
    }
  }
  const planned: PlannedRegistration[] = [];
  for (const syncer of resources.filter((r) => r.type === K8S.deployment)) {
    const settings = syncSettings(syncer);
    if (!settings) continue;
    for (const svc of servicesByCluster.get(settings.cluster) ?? []) {
      const ns = namespaceOf(svc);
      const annotations = obj(metadata(svc).annotations) as Record<string, string>;
      const spec = obj(svc.inputs.spec);
      if (!settings.allowed.includes("*") && !settings.allowed.includes(ns)) continue;
      if ((str(spec.type) ?? "ClusterIP") !== "ClusterIP" || spec.clusterIP === "None") continue;
      const sync = annotations[ANNOTATION.sync];
      if (!(sync === undefined ? settings.defaultSync : sync === "true")) continue;
      const name = (annotations[ANNOTATION.name] ?? nameOf(svc)).trim();
      const ports = list(spec.ports);
      const portName = annotations[ANNOTATION.port];
      const chosen = ports.find((p) => p.name === portName) ?? ports[0] ?? {};
      const port = Number(chosen.targetPort ?? chosen.port);
      const baseMeta: Record<string, string> = { "external-source": "kubernetes", "external-k8s-ns": ns };
      for (const p of ports) baseMeta[`port-${str(p.name) ?? ""}`] = String(p.port);
      for (const [k, v] of Object.entries(annotations)) {
        if (k.startsWith(ANNOTATION.metaPrefix)) baseMeta[k.slice(ANNOTATION.metaPrefix.length)] = v;
      }
      const tags = [
        settings.tag,
        ...(annotations[ANNOTATION.tags] ?? "")
          .split(",")
          .map((t) => t.trim())
          .filter(Boolean),
      ];
      const selector = obj(spec.selector) as Record<string, string>;
      const workloads = (workloadsIn.get(`${svc.provider ?? ""}|${ns}`) ?? [])
        .filter((w) => selects(selector, w.labels))
        .map((w) => w.resource);
      for (const w of workloads) {
        const replicas =
          typeof obj(w.inputs.spec).replicas === "number"
            ? (obj(w.inputs.spec).replicas as number)
            : Number(annotations["lucid.mesh/expected-pods"] ?? 1);
        for (let i = 0; i < replicas; i++) {
          const pod = `${nameOf(w)}-${createHash("sha256").update(w.urn).digest("hex").slice(0, 10)}-${i}`;
          planned.push({
            cluster: settings.cluster,
            pod,
            make: (address) => {
              const serviceId = catalogServiceId(name, address);
              return {
                datacenter: settings.datacenter,
                node: settings.node,
                nodeAddress: "127.0.0.1",
                serviceId,
                serviceName: name,
                address,
                port,
                tags,
                meta: { ...baseMeta, "external-k8s-ref-name": pod, "external-k8s-ref-kind": "Pod" },
                checks: [
                  {
                    checkId: `${ns}/${serviceId}`,
                    name: READINESS_CHECK_NAME,
                    status: "passing",
                    owner: CATALOG_SYNC_REGISTRAR,
                  },
                ],
                registrar: CATALOG_SYNC_REGISTRAR,
              };
            },
          });
        }
      }
    }
  }
  const podsByCluster = new Map<string, string[]>();
  for (const p of planned) {
    const pods = podsByCluster.get(p.cluster) ?? [];
    podsByCluster.set(p.cluster, pods);
    pods.push(p.pod);
  }
  const addresses = podAddresses(podsByCluster);
  return planned.map((p) => p.make(addresses.get(`${p.cluster}/${p.pod}`)!));
}
