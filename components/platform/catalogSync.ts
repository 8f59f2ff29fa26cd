/**
 * consul-k8s catalog sync on a Kubernetes cluster: registers every pod behind each mesh Service in Consul, at the
 * mesh port, with a "Kubernetes Readiness Check" that is passing while the pod is ready and critical otherwise
 * (hashicorp/consul-k8s control-plane/catalog/to-consul/resource.go, registerServiceInstance; from 1.7 it reads
 * EndpointSlices and follows readiness, before 1.7 every check was written passing). One-way (`-to-k8s=false`),
 * only Services annotated for sync (`-k8s-default-sync=false`), only the mesh's namespaces.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { CATALOG_SYNC_NODE } from "../../consul/catalogSyncAcl";
import { consulK8sNames, consulPorts } from "../../consul/names";
import { registrations } from "../../consul/registration";
import {
  consulServerTlsName,
  servicesInCluster,
  type KubernetesMeshCluster,
  type Mesh,
  type MeshCluster,
  type MeshService,
} from "../../model";
import { restrictedContainerSecurity, restrictedPodSecurity } from "./podSecurity";

/** Pinned at 1.7 or later, the first release whose checks follow pod readiness. Not pulled here (offline). */
export const CATALOG_SYNC_IMAGE = "hashicorp/consul-k8s-control-plane:1.7.13";
/** The image's non-root user (the restricted profile needs a numeric one). */
const CATALOG_SYNC_UID = 100;

/** The annotation keys catalog sync reads (hashicorp/consul-k8s control-plane/catalog/to-consul/annotation.go). */
export const catalogSyncKeys = {
  sync: "consul.hashicorp.com/service-sync",
  name: "consul.hashicorp.com/service-name",
  port: "consul.hashicorp.com/service-port",
  tags: "consul.hashicorp.com/service-tags",
  metaPrefix: "consul.hashicorp.com/service-meta-",
} as const;

/** The port (by name) every pod is registered at: the sidecar's inbound mTLS listener. */
export const MESH_PORT_NAME = "mesh";

/** The mesh's Service for a service: never the bare service name, which the team's own Service may hold. */
export function meshServiceName(service: string): string {
  return `${service}-mesh`;
}

/** Annotations that make catalog sync register the Service's pods under the mesh's service name, tags and meta. */
export function catalogSyncAnnotations(mesh: Mesh, cluster: MeshCluster, service: MeshService): Record<string, string> {
  const spec = registrations(mesh, cluster).find((r) => r.name === service.name);
  const meta = spec?.meta ?? {};
  return {
    [catalogSyncKeys.sync]: "true",
    [catalogSyncKeys.name]: service.name,
    [catalogSyncKeys.port]: MESH_PORT_NAME,
    ...(service.tags.length > 0 ? { [catalogSyncKeys.tags]: service.tags.join(",") } : {}),
    ...Object.fromEntries(Object.entries(meta).map(([k, v]) => [`${catalogSyncKeys.metaPrefix}${k}`, v])),
    // Not read by catalog sync: how many pods the mesh expects, for people and for the simulation of a team's
    // Deployment whose replica count Pulumi does not own.
    "lucid.mesh/expected-pods": String(service.instances),
  };
}

/** Namespaces whose Services catalog sync may register: the mesh's own and every team namespace in the cluster. */
export function catalogSyncNamespaces(mesh: Mesh, cluster: KubernetesMeshCluster): string[] {
  const own = cluster.kubernetes.namespace;
  const teams = servicesInCluster(mesh, cluster.name).map((s) => s.kubernetesNamespace ?? own);
  return [...new Set([own, ...teams])].sort();
}

export interface CatalogSyncInputs {
  readonly name: string;
  readonly mesh: Mesh;
  readonly cluster: KubernetesMeshCluster;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** SecretID of its ACL token (consul/catalogSyncAcl.ts), created by the ACL bootstrap. */
  readonly token: pulumi.Input<string>;
  readonly caSecretName: string;
  readonly caKey: string;
}

export function deployCatalogSync(inputs: CatalogSyncInputs, opts: pulumi.CustomResourceOptions): pulumi.Resource[] {
  const { name, mesh, cluster, namespace, labels } = inputs;
  const objectName = "consul-catalog-sync";
  const meta = { name: objectName, namespace, labels };
  const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-catalog-sync-account`, { metadata: meta }, opts);
  // Read-only: it watches Services and EndpointSlices (and reads Nodes for NodePort Services), never writes them.
  const role = new k8s.rbac.v1.ClusterRole(
    `${name}-catalog-sync-role`,
    {
      metadata: { name: `${namespace}-catalog-sync`, labels },
      rules: [
        { apiGroups: [""], resources: ["services"], verbs: ["get", "list", "watch"] },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["nodes"], verbs: ["get"] },
      ],
    },
    opts,
  );
  const binding = new k8s.rbac.v1.ClusterRoleBinding(
    `${name}-catalog-sync-binding`,
    {
      metadata: { name: `${namespace}-catalog-sync`, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `${namespace}-catalog-sync` },
      subjects: [{ kind: "ServiceAccount", name: objectName, namespace }],
    },
    { ...opts, dependsOn: [role, serviceAccount] },
  );
  const token = new k8s.core.v1.Secret(
    `${name}-catalog-sync-token`,
    { metadata: { ...meta, name: `${objectName}-token` }, type: "Opaque", stringData: { token: inputs.token } },
    opts,
  );
  const selector = { "app.kubernetes.io/name": objectName, "lucid.mesh/cluster": cluster.name };
  const flags = [
    "-to-consul=true",
    "-to-k8s=false",
    "-k8s-default-sync=false",
    "-sync-clusterip-services=true",
    `-consul-node-name=${CATALOG_SYNC_NODE}`,
    "-log-json=true",
    `-k8s-write-namespace=${namespace}`,
    ...catalogSyncNamespaces(mesh, cluster).map((ns) => `-allow-k8s-namespace=${ns}`),
  ];
  const caDir = "/consul/tls/ca";
  const deployment = new k8s.apps.v1.Deployment(
    `${name}-catalog-sync`,
    {
      metadata: meta,
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: { ...labels, ...selector } },
          spec: {
            serviceAccountName: objectName,
            securityContext: restrictedPodSecurity({ uid: CATALOG_SYNC_UID, gid: CATALOG_SYNC_UID }),
            containers: [
              {
                name: "sync-catalog",
                image: CATALOG_SYNC_IMAGE,
                command: ["consul-k8s-control-plane", "sync-catalog", ...flags],
                // The server connection manager's settings, as the consul-k8s chart sets them
                // (charts/consul/templates/_helpers.tpl consulK8sConsulServerEnvVars): the headless Service resolves
                // to every server, whose gRPC TLS port it watches for the server list.
                env: [
                  { name: "CONSUL_ADDRESSES", value: `${consulK8sNames.headlessService}.${namespace}.svc` },
                  { name: "CONSUL_GRPC_PORT", value: String(consulPorts.grpcTls) },
                  { name: "CONSUL_HTTP_PORT", value: String(consulPorts.https) },
                  { name: "CONSUL_USE_TLS", value: "true" },
                  { name: "CONSUL_CACERT_FILE", value: `${caDir}/${inputs.caKey}` },
                  { name: "CONSUL_TLS_SERVER_NAME", value: consulServerTlsName(cluster.datacenter) },
                  { name: "CONSUL_DATACENTER", value: cluster.datacenter },
                  {
                    name: "CONSUL_ACL_TOKEN",
                    valueFrom: { secretKeyRef: { name: `${objectName}-token`, key: "token" } },
                  },
                ],
                securityContext: restrictedContainerSecurity(CATALOG_SYNC_UID),
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "128Mi" } },
                volumeMounts: [{ name: "consul-ca", mountPath: caDir, readOnly: true }],
              },
            ],
            volumes: [
              {
                name: "consul-ca",
                secret: { secretName: inputs.caSecretName, items: [{ key: inputs.caKey, path: inputs.caKey }] },
              },
            ],
          },
        },
      },
    },
    { ...opts, dependsOn: [binding, token] },
  );
  return [deployment];
}
