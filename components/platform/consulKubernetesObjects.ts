/**
 * Pure builders of the Kubernetes objects Consul runs as: each returns a plain object spec from typed inputs, and
 * `consulKubernetes.ts` only turns them into resources. Every object has an explicit name: the provider would add
 * a suffix.
 */
import type * as Input from "@pulumi/kubernetes/types/input";
import type * as pulumi from "@pulumi/pulumi";
import { aclInitPaths } from "../../consul/aclBootstrap";
import { RELOADED_SERVER_KEYS } from "../../consul/agentConfig";
import {
  CONSUL_ESM_IMAGE,
  CONSUL_GID,
  CONSUL_UID,
  consulK8sNames as names,
  consulPaths,
  consulPorts,
  esmPaths,
} from "../../consul/names";
import { CONSUL_ESM_METRICS_PORT } from "../../model/names";
import { configChecksum } from "./configChecksum";
import { restrictedContainerSecurity, restrictedPodSecurity } from "./podSecurity";

type ObjectMeta = Input.meta.v1.ObjectMeta;
type Container = Input.core.v1.Container;
type PodSpec = Input.core.v1.PodSpec;
type Volume = Input.core.v1.Volume;

/** The pod template annotation whose change rolls the servers one at a time (see restartChecksum). */
export const CONFIG_CHECKSUM_ANNOTATION = "lucid.mesh/config-checksum";

/**
 * What the servers load only at start: `server.json` less the keys a reload applies. The server certificate is
 * not part of it: the tls-copy container puts a renewed one in place as regular files and Consul's
 * `auto_reload_config` watcher reloads it (simulate/kubernetes/serverReload.ts), so a renewal changes no pod
 * template and restarts no server. A change of the rest changes the template and the StatefulSet rolls the servers
 * one at a time, each waiting for the last to be ready (the consul-k8s chart does the same with its
 * config-checksum annotation).
 */
export function restartChecksum(serverJson: string): string {
  const config = JSON.parse(serverJson) as Record<string, unknown>;
  const atStart = Object.fromEntries(Object.entries(config).filter(([key]) => !RELOADED_SERVER_KEYS.includes(key)));
  return configChecksum([JSON.stringify(atStart)]);
}

/** `auto-reload.json`: Consul watches its config directory and TLS files and reloads them on a change. */
export const AUTO_RELOAD_JSON = `${JSON.stringify({ auto_reload_config: true })}\n`;

/** What every builder of one cluster's objects needs. */
export interface ConsulObjectsContext {
  readonly clusterName: string;
  readonly namespace: string;
  /** The Consul image: the servers, the ACL bootstrap and the tls-copy container run it. */
  readonly image: string;
  readonly serverLabels: Readonly<Record<string, string>>;
  readonly esmLabels: Readonly<Record<string, string>>;
}

export function objectMeta(
  ctx: ConsulObjectsContext,
  name: string,
  labels: Readonly<Record<string, string>> = ctx.serverLabels,
): ObjectMeta {
  return { name, namespace: ctx.namespace, labels: { ...labels } };
}

export function serverSelector(clusterName: string): Record<string, string> {
  return { "app.kubernetes.io/name": names.statefulSet, "lucid.mesh/cluster": clusterName };
}

export function esmSelector(clusterName: string): Record<string, string> {
  return { "app.kubernetes.io/name": names.esm, "lucid.mesh/cluster": clusterName };
}

export interface ServerPort {
  readonly name: string;
  readonly port: number;
  readonly protocol: "TCP" | "UDP";
}

export const SERVER_PORTS: readonly ServerPort[] = [
  { name: "server", port: consulPorts.server, protocol: "TCP" },
  { name: "serflan-tcp", port: consulPorts.serfLan, protocol: "TCP" },
  { name: "serflan-udp", port: consulPorts.serfLan, protocol: "UDP" },
  { name: "https", port: consulPorts.https, protocol: "TCP" },
  { name: "grpc-tls", port: consulPorts.grpcTls, protocol: "TCP" },
  { name: "dns-tcp", port: consulPorts.dns, protocol: "TCP" },
  { name: "dns-udp", port: consulPorts.dns, protocol: "UDP" },
];

function servicePorts(keep: (p: ServerPort) => boolean) {
  return SERVER_PORTS.filter(keep).map((p) => ({ ...p, targetPort: p.port }));
}

// The restricted profile (components/platform/podSecurity.ts), as the image's consul user.
const podSecurity = (): Input.core.v1.PodSecurityContext => restrictedPodSecurity({ uid: CONSUL_UID, gid: CONSUL_GID });
const containerSecurity = (): Input.core.v1.SecurityContext => restrictedContainerSecurity(CONSUL_UID, CONSUL_GID);

const tmpVolume = (): Volume => ({ name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } });
const tmpMount = { name: "tmp", mountPath: "/tmp" };

export function namespaceSpec(clusterName: string, namespace: string): Input.core.v1.Namespace {
  return {
    metadata: {
      name: namespace,
      labels: {
        "lucid.mesh/cluster": clusterName,
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
      },
    },
  };
}

export function serviceAccountSpec(ctx: ConsulObjectsContext): Input.core.v1.ServiceAccount {
  return { metadata: objectMeta(ctx, names.serviceAccount), automountServiceAccountToken: false };
}

/** The servers' non-secret config directory: `server.json` and `auto-reload.json`. */
export function serverConfigMapSpec(ctx: ConsulObjectsContext, serverJson: string): Input.core.v1.ConfigMap {
  return {
    metadata: objectMeta(ctx, names.config),
    data: { [consulPaths.serverConfig]: serverJson, [consulPaths.autoReloadConfig]: AUTO_RELOAD_JSON },
  };
}

export function configMapSpec(
  meta: ObjectMeta,
  data: Readonly<Record<string, pulumi.Input<string>>>,
): Input.core.v1.ConfigMap {
  return { metadata: meta, data: { ...data } };
}

export function opaqueSecretSpec(
  meta: ObjectMeta,
  stringData: Readonly<Record<string, pulumi.Input<string>>>,
): Input.core.v1.Secret {
  return { metadata: meta, type: "Opaque", stringData: { ...stringData } };
}

export function headlessServiceSpec(ctx: ConsulObjectsContext): Input.core.v1.Service {
  return {
    metadata: objectMeta(ctx, names.headlessService),
    spec: {
      clusterIP: "None",
      // Servers must find each other before any is ready: readiness needs a leader, which needs the others.
      publishNotReadyAddresses: true,
      selector: serverSelector(ctx.clusterName),
      ports: servicePorts(() => true),
    },
  };
}

/** DNS and the HTTPS API at Envoy's resolver address, fixed in the model so sidecars render before the cluster. */
export function dnsServiceSpec(ctx: ConsulObjectsContext, clusterIP: string): Input.core.v1.Service {
  return {
    metadata: objectMeta(ctx, names.service),
    spec: {
      type: "ClusterIP",
      clusterIP,
      selector: serverSelector(ctx.clusterName),
      ports: servicePorts((p) => p.name.startsWith("dns") || p.name === "https"),
    },
  };
}

/**
 * Cluster peering: other clusters' servers dial the gRPC TLS port directly, at `consul.peeringAddress` (the address
 * reserved for this LoadBalancer; see consul/peering.ts). Only that port: never the API, DNS or Raft. Any server
 * may answer; followers turn the dialer away and it retries until it reaches the leader.
 */
export function peeringServiceSpec(
  ctx: ConsulObjectsContext,
  address: { loadBalancerIP?: string },
): Input.core.v1.Service {
  return {
    metadata: objectMeta(ctx, names.peeringService),
    spec: {
      type: "LoadBalancer",
      ...address,
      selector: serverSelector(ctx.clusterName),
      ports: servicePorts((p) => p.port === consulPorts.grpcTls),
    },
  };
}

/**
 * Where Pulumi reaches the HTTPS API: a LoadBalancer (internal, through the configured annotations) bound to the
 * reserved `consulApiAddress`, which the server certificate carries (pki/identity.ts). Only the API port.
 */
export function apiServiceSpec(
  ctx: ConsulObjectsContext,
  address: string,
  annotations: Readonly<Record<string, string>>,
): Input.core.v1.Service {
  return {
    metadata: { ...objectMeta(ctx, names.apiService), annotations: { ...annotations } },
    spec: {
      type: "LoadBalancer",
      loadBalancerIP: address,
      selector: serverSelector(ctx.clusterName),
      ports: servicePorts((p) => p.name === "https"),
    },
  };
}

/** Where the tls-copy container reads the Secret (kubelet's symlinks) and where it writes regular files. */
export const TLS_SOURCE_DIR = "/consul/tls-source";

/**
 * The files in the order they are renamed into place: the CA first, then the key before its certificate. Consul
 * watches only the key and certificate files (hashicorp/consul agent/agent.go New), and a reload reads the CA too
 * (tlsutil/config.go Update), so the watched files change last and a new CA is in place when they do.
 */
export const TLS_COPY_ORDER: readonly string[] = [consulPaths.caFile, consulPaths.keyFile, consulPaths.certFile];

/** How often the tls-copy container compares the Secret's files with its copies. */
export const TLS_COPY_INTERVAL_SECONDS = 10;

/**
 * The tls-copy script (busybox sh, readlink, cmp, cp, mv and rm in the Consul image, which is Alpine).
 * - It reads one generation of the Secret: kubelet swaps every file at once by renaming the `..data` link
 *   (kubernetes/kubernetes pkg/volume/util/atomic_writer.go), so following the link once per pass never pairs an
 *   old key with a new certificate.
 * - When any file differs, it rewrites all three in TLS_COPY_ORDER, so even a CA-only change ends with a rename of
 *   the watched key and certificate (hashicorp/consul agent/config/file_watcher.go: a Remove event or a changed
 *   modification time re-adds the watch and reloads).
 * - Each file goes to a temporary name in the same directory and is renamed over the old copy, so Consul never
 *   reads half a file; a temporary file left by a killed run is removed first (busybox cp will not overwrite a
 *   0400 file).
 * - `umask 077`: the copies are the consul user's alone. `once` copies and exits (the init container); otherwise
 *   it copies again every interval until SIGTERM.
 */
export function tlsCopyScript(): string {
  return [
    "set -eu",
    "umask 077",
    `src=${TLS_SOURCE_DIR}`,
    `dst=${consulPaths.tlsDir}`,
    "copy() {",
    '  generation=$(readlink "$src/..data" || true)',
    '  from="$src/${generation:-.}"',
    "  changed=",
    `  for f in ${TLS_COPY_ORDER.join(" ")}; do`,
    '    cmp -s "$from/$f" "$dst/$f" || changed=yes',
    "  done",
    '  [ -n "$changed" ] || return 0',
    `  for f in ${TLS_COPY_ORDER.join(" ")}; do`,
    '    rm -f "$dst/.$f.tmp"',
    '    cp "$from/$f" "$dst/.$f.tmp"',
    '    mv -f "$dst/.$f.tmp" "$dst/$f"',
    "  done",
    "}",
    "copy",
    'if [ "${1:-}" = once ]; then exit 0; fi',
    "trap 'exit 0' TERM INT",
    `while true; do sleep ${TLS_COPY_INTERVAL_SECONDS} & wait $!; copy; done`,
    "",
  ].join("\n");
}

/** The volume the server reads its TLS files from: regular files in memory (the key never reaches the node disk). */
function tlsCopyVolume(): Volume {
  return { name: "tls", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } };
}
/** The Secret the tls-copy container copies from. */
function tlsSourceVolume(): Volume {
  return { name: "tls-source", secret: { secretName: names.tls, defaultMode: 0o440 } };
}

/**
 * The tls-copy container: as an init container (`once`) it puts the files in place before Consul starts; beside
 * Consul it follows kubelet's updates of the Secret. A plain container rather than a native sidecar (an init
 * container with `restartPolicy: Always`, Kubernetes 1.29+): the init container already orders the first copy.
 */
export function tlsCopyContainer(image: string, mode: "once" | "follow"): Container {
  return {
    name: mode === "once" ? "tls-copy-init" : "tls-copy",
    image,
    command: ["/bin/sh", "-c", tlsCopyScript(), "tls-copy", ...(mode === "once" ? ["once"] : [])],
    securityContext: containerSecurity(),
    resources: { requests: { cpu: "5m", memory: "8Mi" }, limits: { cpu: "50m", memory: "32Mi" } },
    volumeMounts: [
      { name: "tls-source", mountPath: TLS_SOURCE_DIR, readOnly: true },
      { name: "tls", mountPath: consulPaths.tlsDir },
    ],
  };
}

export interface ServerStatefulSetSettings {
  readonly replicas: number;
  readonly storageGi: number;
  readonly storageClass?: string;
  /** restartChecksum of `server.json`. */
  readonly checksum: string;
}

export function serverStatefulSetSpec(
  ctx: ConsulObjectsContext,
  settings: ServerStatefulSetSettings,
): Input.apps.v1.StatefulSet {
  const selector = serverSelector(ctx.clusterName);
  return {
    metadata: objectMeta(ctx, names.statefulSet),
    spec: {
      serviceName: names.headlessService,
      replicas: settings.replicas,
      // Raft needs all servers up to elect the first leader; ordered start would wait forever on pod 0's readiness.
      podManagementPolicy: "Parallel",
      updateStrategy: { type: "RollingUpdate" },
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: { ...ctx.serverLabels, ...selector },
          annotations: { [CONFIG_CHECKSUM_ANNOTATION]: settings.checksum },
        },
        spec: {
          serviceAccountName: names.serviceAccount,
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 30,
          securityContext: podSecurity(),
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                { labelSelector: { matchLabels: selector }, topologyKey: "kubernetes.io/hostname" },
              ],
            },
          },
          initContainers: [tlsCopyContainer(ctx.image, "once")],
          containers: [
            {
              name: "consul",
              image: ctx.image,
              // Advertise the pod IP, as consul-k8s does (charts/consul/templates/server-statefulset.yaml), rather
              // than letting Consul pick a private address; kubelet expands $(POD_IP) from the env below.
              command: ["consul", "agent", `-config-dir=${consulPaths.configDir}`, "-advertise=$(POD_IP)"],
              env: [{ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }],
              ports: SERVER_PORTS.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol })),
              securityContext: containerSecurity(),
              resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
              // Status endpoints need no ACL token; kubelet does not verify the certificate.
              readinessProbe: {
                httpGet: { path: "/v1/status/leader", port: consulPorts.https, scheme: "HTTPS" },
                periodSeconds: 10,
                failureThreshold: 3,
              },
              livenessProbe: {
                tcpSocket: { port: consulPorts.https },
                initialDelaySeconds: 30,
                periodSeconds: 20,
                failureThreshold: 6,
              },
              volumeMounts: [
                { name: "data", mountPath: consulPaths.dataDir },
                { name: "config", mountPath: consulPaths.configDir, readOnly: true },
                { name: "tls", mountPath: consulPaths.tlsDir, readOnly: true },
                tmpMount,
              ],
            },
            tlsCopyContainer(ctx.image, "follow"),
          ],
          volumes: [
            {
              // One directory with both halves of the agent config, from the ConfigMap and the Secret.
              name: "config",
              projected: {
                sources: [{ configMap: { name: names.config } }, { secret: { name: names.secrets } }],
                defaultMode: 0o440,
              },
            },
            tlsSourceVolume(),
            tlsCopyVolume(),
            tmpVolume(),
          ],
        },
      },
      // Raft state survives deleting or scaling down the StatefulSet (the default, written out so a review sees it).
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      volumeClaimTemplates: [
        {
          metadata: { name: "data", labels: { ...ctx.serverLabels } },
          spec: {
            accessModes: ["ReadWriteOnce"],
            ...(settings.storageClass ? { storageClassName: settings.storageClass } : {}),
            resources: { requests: { storage: `${settings.storageGi}Gi` } },
          },
        },
      ],
    },
  };
}

export function podDisruptionBudgetSpec(ctx: ConsulObjectsContext): Input.policy.v1.PodDisruptionBudget {
  return {
    metadata: objectMeta(ctx, names.pdb),
    spec: { maxUnavailable: 1, selector: { matchLabels: serverSelector(ctx.clusterName) } },
  };
}

function restrictedPod(extra: Omit<PodSpec, "securityContext">): PodSpec {
  return { automountServiceAccountToken: false, securityContext: podSecurity(), ...extra };
}

/** The CA alone from the server TLS Secret. */
function caVolume(): Volume {
  return {
    name: "tls",
    secret: { secretName: names.tls, items: [{ key: consulPaths.caFile, path: consulPaths.caFile }] },
  };
}

/**
 * The ACL bootstrap Job. The provider waits for it to complete, so the cluster's consumers find the tokens in
 * place. A changed script or policy changes `checksum` and so the pod template, and pulumi-kubernetes replaces a
 * Job whose `.spec.template` changes (provider/pkg/provider/forcenew.go, `job`): the bootstrap runs again.
 */
export function aclInitJobSpec(ctx: ConsulObjectsContext, checksum: pulumi.Input<string>): Input.batch.v1.Job {
  return {
    metadata: objectMeta(ctx, names.aclInit),
    spec: {
      backoffLimit: 4,
      template: {
        metadata: { labels: { ...ctx.serverLabels }, annotations: { [CONFIG_CHECKSUM_ANNOTATION]: checksum } },
        spec: restrictedPod({
          restartPolicy: "OnFailure",
          containers: [
            {
              name: "acl-init",
              image: ctx.image,
              command: ["/bin/sh", `${aclInitPaths.configDir}/${aclInitPaths.script}`],
              securityContext: containerSecurity(),
              resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
              volumeMounts: [
                { name: "config", mountPath: aclInitPaths.configDir, readOnly: true },
                { name: "tokens", mountPath: aclInitPaths.tokensDir, readOnly: true },
                { name: "tls", mountPath: consulPaths.tlsDir, readOnly: true },
                tmpMount,
              ],
            },
          ],
          volumes: [
            { name: "config", configMap: { name: names.aclInit } },
            { name: "tokens", secret: { secretName: names.aclInitSecrets, defaultMode: 0o440 } },
            caVolume(),
            tmpVolume(),
          ],
        }),
      },
    },
  };
}

export function esmDeploymentSpec(ctx: ConsulObjectsContext): Input.apps.v1.Deployment {
  const selector = esmSelector(ctx.clusterName);
  return {
    metadata: objectMeta(ctx, names.esm, ctx.esmLabels),
    spec: {
      // consul-esm instances share work through a KV lock; one is enough for the checks of one cluster.
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...ctx.esmLabels, ...selector } },
        spec: restrictedPod({
          containers: [
            {
              name: "consul-esm",
              image: CONSUL_ESM_IMAGE,
              args: [`-config-dir=${esmPaths.configDir}`],
              // `/metrics` (consul/esmConfig.ts client_address); Prometheus keeps pods by this declared port.
              ports: [{ name: "metrics", containerPort: CONSUL_ESM_METRICS_PORT, protocol: "TCP" }],
              securityContext: containerSecurity(),
              resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "128Mi" } },
              volumeMounts: [
                { name: "config", mountPath: esmPaths.configDir, readOnly: true },
                { name: "tls", mountPath: esmPaths.caFile.replace(/\/[^/]+$/, ""), readOnly: true },
                tmpMount,
              ],
            },
          ],
          volumes: [
            {
              name: "config",
              projected: {
                sources: [{ configMap: { name: names.esmConfig } }, { secret: { name: names.esmSecrets } }],
                defaultMode: 0o440,
              },
            },
            caVolume(),
            tmpVolume(),
          ],
        }),
      },
    },
  };
}
