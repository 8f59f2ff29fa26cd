/**
 * An optional, pinned Prometheus that scrapes the mesh with the generated config and evaluates the generated
 * alert rules (`observability/`). Deploy it when `mesh.observability.prometheus` is true.
 *
 * - Docker: one container for all Docker clusters, joined to every cluster network. The config, the rules, the
 *   mesh CA and each cluster's Consul metrics token are uploaded as files; the tokens as secrets.
 * - Kubernetes: one Prometheus per cluster (a Deployment, a ConfigMap with no secrets in it, a Secret holding the
 *   token, a Service, and a ServiceAccount allowed to list pods in the mesh namespace for discovery), under the
 *   restricted Pod Security Standard.
 */
import { createHash } from "node:crypto";
import * as docker from "@pulumi/docker";
import { DockerContainer } from "./dockerContainer";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Mesh, MeshCluster } from "../../model/mesh";
import {
  PROMETHEUS_PATHS,
  PROMETHEUS_PORT,
  alertRulesYaml,
  consulTokenFile,
  consulTokenFileName,
  prometheusConfigYaml,
  prometheusScopes,
  type PrometheusScope,
} from "../../observability";
import { dockerLabels, meshLabels, secretFilesLabel } from "../labels";
import { restrictedContainerSecurity, restrictedPodSecurity } from "./podSecurity";

/** Pinned Prometheus release (3.5 is the long-term-support line). */
export const PROMETHEUS_IMAGE = "prom/prometheus:v3.5.0";
/** The `nobody` user the official image runs as. */
const PROMETHEUS_UID = 65534;
const NAME = "lucid-mesh-prometheus";
const CONFIG_FILE_NAMES = {
  config: "prometheus.yml",
  rules: "alerts.yml",
  ca: "mesh-ca.pem",
} as const;

export interface PrometheusArgs {
  /** The resolved mesh; `observability.prometheus` must be true. */
  readonly mesh: Mesh;
  /**
   * Per cluster name: the Consul ACL token Prometheus reads `/v1/agent/metrics` with (least privilege:
   * `agent:read`), from the Consul component. Treated as a secret whether or not it is marked as one.
   */
  readonly consulMetricsTokens: Readonly<Record<string, pulumi.Input<string>>>;
  /** The mesh root CA certificate (PEM, public), which Consul's server certificates chain to. */
  readonly caCertificatePem: pulumi.Input<string>;
  /** Docker: each Docker cluster's network name, from the Consul component. */
  readonly dockerNetworks?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Docker: the provider of the Docker host. @default the default provider */
  readonly dockerProvider?: pulumi.ProviderResource;
  /** Docker: publish Prometheus's UI on this loopback host port. @default not published */
  readonly publishPort?: number;
  /** Kubernetes: the provider of each Kubernetes cluster. @default the default provider */
  readonly kubernetesProviders?: Readonly<Record<string, pulumi.ProviderResource>>;
  /** @default PROMETHEUS_IMAGE */
  readonly image?: string;
}

/** The files one Prometheus reads, from the pure generators. */
function generatedFiles(mesh: Mesh, scope: PrometheusScope): { config: string; rules: string } {
  return { config: prometheusConfigYaml(mesh, scope.name), rules: alertRulesYaml(mesh) };
}

const prometheusArgs = [
  `--config.file=${PROMETHEUS_PATHS.config}`,
  `--storage.tsdb.path=${PROMETHEUS_PATHS.data}`,
  "--storage.tsdb.retention.time=15d",
  `--web.listen-address=:${PROMETHEUS_PORT}`,
];

function tokenFor(args: PrometheusArgs, cluster: string): pulumi.Output<string> {
  const token = args.consulMetricsTokens[cluster];
  if (token === undefined) throw new Error(`Prometheus: no Consul metrics token for cluster "${cluster}"`);
  return pulumi.secret(token);
}

export class Prometheus extends pulumi.ComponentResource {
  /** The UI/API of the first (for Docker stacks: the only) Prometheus. */
  readonly url: pulumi.Output<string>;
  /** Every Prometheus by scope (`docker`, or a Kubernetes cluster's name). */
  readonly urls: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: PrometheusArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lucid:mesh:Prometheus", name, {}, opts);
    if (!args.mesh.observability.prometheus) {
      throw new Error(`${name}: observability.prometheus is false; do not construct Prometheus`);
    }
    const image = args.image ?? PROMETHEUS_IMAGE;
    const urls: Record<string, pulumi.Input<string>> = {};
    for (const scope of prometheusScopes(args.mesh)) {
      urls[scope.name] =
        scope.discovery === "static"
          ? this.deployDocker(name, args, scope, image)
          : this.deployKubernetes(`${name}-${scope.name}`, args, scope.clusters[0], scope.namespace, scope, image);
    }
    this.urls = pulumi.output(urls);
    const first = Object.values(urls)[0];
    if (first === undefined) throw new Error(`${name}: the mesh has no clusters`);
    this.url = pulumi.output(first);
    this.registerOutputs({ url: this.url, urls: this.urls });
  }

  private deployDocker(
    name: string,
    args: PrometheusArgs,
    scope: PrometheusScope,
    image: string,
  ): pulumi.Input<string> {
    const files = generatedFiles(args.mesh, scope);
    const providerOpts = { parent: this, ...(args.dockerProvider ? { provider: args.dockerProvider } : {}) };
    const pulled = new docker.RemoteImage(`${name}-image`, { name: image, keepLocally: true }, providerOpts);
    const owned = (
      file: string,
      content: pulumi.Input<string>,
      permissions: string,
    ): docker.types.input.ContainerUpload => ({
      file,
      content,
      permissions,
      owner: String(PROMETHEUS_UID),
      group: String(PROMETHEUS_UID),
    });
    const uploads: docker.types.input.ContainerUpload[] = [
      owned(PROMETHEUS_PATHS.config, files.config, "0444"),
      owned(PROMETHEUS_PATHS.rules, files.rules, "0444"),
      owned(PROMETHEUS_PATHS.caFile, args.caCertificatePem, "0444"),
      ...scope.clusters.map((c) => owned(consulTokenFile(c.name), tokenFor(args, c.name), "0400")),
    ];
    const networks = scope.clusters.map((c) => {
      const network = args.dockerNetworks?.[c.name];
      if (network === undefined) throw new Error(`${name}: no Docker network for cluster "${c.name}"`);
      return { name: network, aliases: [NAME] };
    });
    new DockerContainer(
      name,
      {
        name: NAME,
        // The RemoteImage's name: the pinned reference, and a dependency so it is pulled first.
        image: pulled.name,
        command: prometheusArgs,
        user: `${PROMETHEUS_UID}:${PROMETHEUS_UID}`,
        restart: "unless-stopped",
        readOnly: true,
        // The image declares /prometheus a volume, so the TSDB stays writable with a read-only root.
        tmpfs: { "/tmp": "rw,size=16m" },
        capabilities: { drops: ["ALL"] },
        securityOpts: ["no-new-privileges:true"],
        memory: 512,
        cpus: "0.5",
        networksAdvanced: networks,
        ...(args.publishPort !== undefined
          ? { ports: [{ internal: PROMETHEUS_PORT, external: args.publishPort, ip: "127.0.0.1" }] }
          : {}),
        labels: dockerLabels({
          ...meshLabels("prometheus", scope.name),
          ...secretFilesLabel(scope.clusters.map((c) => consulTokenFile(c.name))),
        }),
        uploads,
        logDriver: "json-file",
        logOpts: { "max-size": "10m", "max-file": "3" },
      },
      providerOpts,
    );
    return args.publishPort !== undefined
      ? `http://127.0.0.1:${args.publishPort}`
      : `http://${NAME}:${PROMETHEUS_PORT}`;
  }

  private deployKubernetes(
    name: string,
    args: PrometheusArgs,
    cluster: MeshCluster,
    namespace: string,
    scope: PrometheusScope,
    image: string,
  ): pulumi.Input<string> {
    const provider = args.kubernetesProviders?.[cluster.name];
    const opts = { parent: this, ...(provider ? { provider } : {}) };
    const labels = meshLabels("prometheus", cluster.name);
    const selector = { "lucid.mesh/role": "prometheus", "lucid.mesh/cluster": cluster.name };
    const metadata = { name: NAME, namespace, labels };
    const files = generatedFiles(args.mesh, scope);

    const account = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata }, opts);
    const role = new k8s.rbac.v1.Role(
      `${name}-discovery`,
      { metadata, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }] },
      opts,
    );
    new k8s.rbac.v1.RoleBinding(
      `${name}-discovery`,
      {
        metadata,
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace }],
      },
      opts,
    );
    // Public material only: the token lives in the Secret below.
    const config = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      {
        metadata: { ...metadata, name: `${NAME}-config` },
        data: {
          [CONFIG_FILE_NAMES.config]: files.config,
          [CONFIG_FILE_NAMES.rules]: files.rules,
          [CONFIG_FILE_NAMES.ca]: args.caCertificatePem,
        },
      },
      opts,
    );
    const secret = new k8s.core.v1.Secret(
      `${name}-tokens`,
      {
        metadata: { ...metadata, name: `${NAME}-tokens` },
        type: "Opaque",
        stringData: { [consulTokenFileName(cluster.name)]: tokenFor(args, cluster.name) },
      },
      opts,
    );
    // A new config changes the pod template, so the Deployment rolls instead of serving the old file.
    const checksum = createHash("sha256").update(files.config).update(files.rules).digest("hex");
    new k8s.apps.v1.Deployment(
      name,
      {
        metadata,
        spec: {
          replicas: 1,
          selector: { matchLabels: selector },
          strategy: { type: "Recreate" },
          template: {
            metadata: { labels, annotations: { "lucid.mesh/config-sha256": checksum } },
            spec: {
              serviceAccountName: account.metadata.name,
              automountServiceAccountToken: true,
              securityContext: restrictedPodSecurity({ uid: PROMETHEUS_UID, gid: PROMETHEUS_UID }),
              containers: [
                {
                  name: "prometheus",
                  image,
                  args: prometheusArgs,
                  ports: [{ name: "web", containerPort: PROMETHEUS_PORT, protocol: "TCP" }],
                  securityContext: restrictedContainerSecurity(PROMETHEUS_UID),
                  resources: {
                    requests: { cpu: "100m", memory: "256Mi" },
                    limits: { cpu: "500m", memory: "512Mi" },
                  },
                  readinessProbe: { httpGet: { path: "/-/ready", port: "web" }, periodSeconds: 10 },
                  livenessProbe: { httpGet: { path: "/-/healthy", port: "web" }, periodSeconds: 30 },
                  volumeMounts: [
                    { name: "config", mountPath: PROMETHEUS_PATHS.configDirectory, readOnly: true },
                    { name: "secrets", mountPath: PROMETHEUS_PATHS.secretsDirectory, readOnly: true },
                    { name: "data", mountPath: PROMETHEUS_PATHS.data },
                  ],
                },
              ],
              volumes: [
                { name: "config", configMap: { name: config.metadata.name } },
                { name: "secrets", secret: { secretName: secret.metadata.name, defaultMode: 0o440 } },
                { name: "data", emptyDir: { sizeLimit: "2Gi" } },
              ],
            },
          },
        },
      },
      opts,
    );
    new k8s.core.v1.Service(
      `${name}-svc`,
      {
        metadata,
        spec: {
          type: "ClusterIP",
          selector,
          ports: [{ name: "web", port: PROMETHEUS_PORT, targetPort: "web", protocol: "TCP" }],
        },
      },
      opts,
    );
    return `http://${NAME}.${namespace}.svc:${PROMETHEUS_PORT}`;
  }
}
