/**
 * Consul on Kubernetes: a restricted Namespace, a StatefulSet behind a headless Service, a ClusterIP Service at
 * the reserved DNS address, a LoadBalancer for peering (gRPC TLS only, when there are peers), a
 * PodDisruptionBudget, the config split between a ConfigMap (no secrets) and Secrets, consul-esm, and the ACL
 * bootstrap Job. Every object has an explicit name: the provider would add a suffix.
 */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { aclInitPaths } from "../../consul/aclBootstrap";
import {
  CONSUL_ESM_IMAGE,
  CONSUL_GID,
  CONSUL_UID,
  consulK8sNames as names,
  consulPaths,
  consulPorts,
  esmPaths,
} from "../../consul/names";
import { deployCatalogSync } from "./catalogSync";
import type { ConsulPlatform, RenderedFile } from "./consulTypes";
import { CONSUL_ESM_METRICS_PORT } from "../../model/names";
import type { KubernetesMeshCluster } from "../../model";
import { boundAddress } from "./kubernetes";
import { restrictedContainerSecurity, restrictedPodSecurity } from "./podSecurity";

/** The pod template annotation whose change rolls the servers one at a time (see restartChecksum). */
export const CONFIG_CHECKSUM_ANNOTATION = "lucid.mesh/config-checksum";

/**
 * What the servers load only at start: `server.json` and the server certificate. kubelet refreshes the mounted
 * files in place, but Consul reloads config and certificates only on SIGHUP, `consul reload` or
 * `auto_reload_config`, and `auto_reload_config` refuses the symlinks kubelet mounts Secret files as
 * ("symbolic link are not supported", hashicorp/consul agent/config/file_watcher.go). So a change of either
 * changes the pod template and the StatefulSet rolls the servers one at a time, each waiting for the last to be
 * ready (the consul-k8s chart does the same with its config-checksum annotation).
 */
export function restartChecksum(serverJson: string, serverCertificatePem: string): string {
  return configChecksum([serverJson, serverCertificatePem]);
}

/** sha256 over the parts, each ended by a NUL so no two lists give the same text. */
export function configChecksum(parts: readonly string[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest("hex");
}

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;

// The restricted profile (components/platform/podSecurity.ts), as the image's consul user.
const podSecurity: PodSecurityContext = restrictedPodSecurity({ uid: CONSUL_UID, gid: CONSUL_GID });
const containerSecurity: SecurityContext = restrictedContainerSecurity(CONSUL_UID, CONSUL_GID);

const tmpVolume = { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } };
const tmpMount = { name: "tmp", mountPath: "/tmp" };

function fileMap(files: readonly RenderedFile[]): Record<string, pulumi.Input<string>> {
  return Object.fromEntries(files.map((f) => [f.name, f.content]));
}

export const consulKubernetes: ConsulPlatform<KubernetesMeshCluster> = (inputs, opts) => {
  const { name, cluster } = inputs;
  const settings = cluster.kubernetes;
  const namespace = settings.namespace;
  const serverLabels = inputs.labels("consul-server");
  const esmLabels = inputs.labels("consul-esm");
  const selector = { "app.kubernetes.io/name": names.statefulSet, "lucid.mesh/cluster": cluster.name };
  const meta = (objectName: string, labels: Record<string, string> = serverLabels) => ({
    name: objectName,
    namespace,
    labels,
  });

  const ns = new k8s.core.v1.Namespace(
    `${name}-namespace`,
    {
      metadata: {
        name: namespace,
        labels: {
          "lucid.mesh/cluster": cluster.name,
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/enforce-version": "latest",
          "pod-security.kubernetes.io/warn": "restricted",
        },
      },
    },
    opts,
  );
  const nsOpts = { ...opts, dependsOn: [ns] };

  const serviceAccount = new k8s.core.v1.ServiceAccount(
    `${name}-service-account`,
    { metadata: meta(names.serviceAccount), automountServiceAccountToken: false },
    nsOpts,
  );
  const config = new k8s.core.v1.ConfigMap(
    `${name}-config`,
    { metadata: meta(names.config), data: { [consulPaths.serverConfig]: inputs.serverConfig("all") } },
    nsOpts,
  );
  const secrets = new k8s.core.v1.Secret(
    `${name}-secrets`,
    {
      metadata: meta(names.secrets),
      type: "Opaque",
      stringData: { [consulPaths.secretsConfig]: inputs.secretsConfig },
    },
    nsOpts,
  );
  const tls = new k8s.core.v1.Secret(
    `${name}-tls`,
    { metadata: meta(names.tls), type: "Opaque", stringData: fileMap(inputs.tlsFiles) },
    nsOpts,
  );

  const serverPorts = [
    { name: "server", port: consulPorts.server, protocol: "TCP" },
    { name: "serflan-tcp", port: consulPorts.serfLan, protocol: "TCP" },
    { name: "serflan-udp", port: consulPorts.serfLan, protocol: "UDP" },
    { name: "https", port: consulPorts.https, protocol: "TCP" },
    { name: "grpc-tls", port: consulPorts.grpcTls, protocol: "TCP" },
    { name: "dns-tcp", port: consulPorts.dns, protocol: "TCP" },
    { name: "dns-udp", port: consulPorts.dns, protocol: "UDP" },
  ];
  const headless = new k8s.core.v1.Service(
    `${name}-headless`,
    {
      metadata: meta(names.headlessService),
      spec: {
        clusterIP: "None",
        // Servers must find each other before any is ready: readiness needs a leader, which needs the others.
        publishNotReadyAddresses: true,
        selector,
        ports: serverPorts.map((p) => ({ ...p, targetPort: p.port })),
      },
    },
    nsOpts,
  );
  const service = new k8s.core.v1.Service(
    `${name}-service`,
    {
      metadata: meta(names.service),
      spec: {
        type: "ClusterIP",
        // Envoy's resolver address, fixed in the model so sidecars can be rendered before the cluster exists.
        clusterIP: settings.consulDnsIP,
        selector,
        ports: serverPorts
          .filter((p) => p.name.startsWith("dns") || p.name === "https")
          .map((p) => ({ ...p, targetPort: p.port })),
      },
    },
    nsOpts,
  );
  // Cluster peering: other clusters' servers dial the gRPC TLS port directly, at `consul.peeringAddress` (the
  // address reserved for this LoadBalancer; see consul/peering.ts). Only that port: never the API, DNS or Raft.
  // Any server may answer; followers turn the dialer away and it retries until it reaches the leader. The
  // provider waits for it (pulumi-kubernetes waits for a LoadBalancer's ingress), so no peering token names the
  // address before the cloud has bound it.
  const peering: pulumi.Resource[] = [];
  if (inputs.mesh.clusters.length > 1) {
    const peeringService = new k8s.core.v1.Service(
      `${name}-peering`,
      {
        metadata: meta(names.peeringService),
        spec: {
          type: "LoadBalancer",
          // The reserved address the peering token names, bound to this LoadBalancer.
          ...boundAddress(cluster.consul.peeringAddress ?? ""),
          selector,
          ports: serverPorts.filter((p) => p.port === consulPorts.grpcTls).map((p) => ({ ...p, targetPort: p.port })),
        },
      },
      nsOpts,
    );
    peering.push(peeringService);
  }

  // Where Pulumi reaches the HTTPS API: a LoadBalancer (internal, through the configured annotations) bound to the
  // reserved `consulApiAddress`, which the server certificate carries (pki/identity.ts). Only the API port.
  const apiService = new k8s.core.v1.Service(
    `${name}-api`,
    {
      metadata: { ...meta(names.apiService), annotations: { ...settings.consulApiAnnotations } },
      spec: {
        type: "LoadBalancer",
        loadBalancerIP: settings.consulApiAddress,
        selector,
        ports: serverPorts.filter((p) => p.name === "https").map((p) => ({ ...p, targetPort: p.port })),
      },
    },
    nsOpts,
  );
  const certificate = inputs.tlsFiles.find((f) => f.name === consulPaths.certFile)?.content ?? "";
  const checksum = pulumi.output(certificate).apply((pem) => restartChecksum(inputs.serverConfig("all"), pem));

  const statefulSet = new k8s.apps.v1.StatefulSet(
    `${name}-statefulset`,
    {
      metadata: meta(names.statefulSet),
      spec: {
        serviceName: names.headlessService,
        replicas: cluster.consul.servers,
        // Raft needs all servers up to elect the first leader; ordered start would wait forever on pod 0's readiness.
        podManagementPolicy: "Parallel",
        updateStrategy: { type: "RollingUpdate" },
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: { ...serverLabels, ...selector },
            annotations: { [CONFIG_CHECKSUM_ANNOTATION]: checksum },
          },
          spec: {
            serviceAccountName: names.serviceAccount,
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 30,
            securityContext: podSecurity,
            affinity: {
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  { labelSelector: { matchLabels: selector }, topologyKey: "kubernetes.io/hostname" },
                ],
              },
            },
            containers: [
              {
                name: "consul",
                image: cluster.consul.image,
                // Advertise the pod IP, as consul-k8s does (charts/consul/templates/server-statefulset.yaml), rather
                // than letting Consul pick a private address; kubelet expands $(POD_IP) from the env below.
                command: ["consul", "agent", `-config-dir=${consulPaths.configDir}`, "-advertise=$(POD_IP)"],
                env: [{ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }],
                ports: serverPorts.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol })),
                securityContext: containerSecurity,
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
              { name: "tls", secret: { secretName: names.tls, defaultMode: 0o440 } },
              tmpVolume,
            ],
          },
        },
        // Raft state survives deleting or scaling down the StatefulSet (the default, written out so a review sees it).
        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
        volumeClaimTemplates: [
          {
            metadata: { name: "data", labels: serverLabels },
            spec: {
              accessModes: ["ReadWriteOnce"],
              ...(settings.storageClass ? { storageClassName: settings.storageClass } : {}),
              resources: { requests: { storage: `${cluster.consul.storageGi}Gi` } },
            },
          },
        ],
      },
    },
    { ...nsOpts, dependsOn: [ns, serviceAccount, config, secrets, tls, headless] },
  );
  const pdb = new k8s.policy.v1.PodDisruptionBudget(
    `${name}-pdb`,
    { metadata: meta(names.pdb), spec: { maxUnavailable: 1, selector: { matchLabels: selector } } },
    nsOpts,
  );

  const restrictedPod = (extra: Omit<k8s.types.input.core.v1.PodSpec, "securityContext">) => ({
    automountServiceAccountToken: false,
    securityContext: podSecurity,
    ...extra,
  });

  const aclInitConfig = new k8s.core.v1.ConfigMap(
    `${name}-acl-init-config`,
    { metadata: meta(names.aclInit), data: fileMap(inputs.aclInit.config) },
    nsOpts,
  );
  const aclInitSecrets = new k8s.core.v1.Secret(
    `${name}-acl-init-tokens`,
    { metadata: meta(names.aclInitSecrets), type: "Opaque", stringData: fileMap(inputs.aclInit.tokens) },
    nsOpts,
  );
  // The provider waits for the Job to complete, so the cluster's consumers find the tokens in place.
  // A changed script or policy changes the Job's pod template, and pulumi-kubernetes replaces a Job whose
  // `.spec.template` changes (provider/pkg/provider/forcenew.go, `job`): the bootstrap runs again and updates the
  // policies. Without it the ConfigMap changes and the completed Job never reads it again.
  const aclInitChecksum = pulumi
    .all(inputs.aclInit.config.map((f) => f.content))
    .apply((contents) => configChecksum(inputs.aclInit.config.map((f, i) => `${f.name}\0${contents[i] ?? ""}`)));
  const aclInit = new k8s.batch.v1.Job(
    `${name}-acl-init`,
    {
      metadata: meta(names.aclInit),
      spec: {
        backoffLimit: 4,
        template: {
          metadata: { labels: serverLabels, annotations: { [CONFIG_CHECKSUM_ANNOTATION]: aclInitChecksum } },
          spec: restrictedPod({
            restartPolicy: "OnFailure",
            containers: [
              {
                name: "acl-init",
                image: cluster.consul.image,
                command: ["/bin/sh", `${aclInitPaths.configDir}/${aclInitPaths.script}`],
                securityContext: containerSecurity,
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
              {
                name: "tls",
                secret: { secretName: names.tls, items: [{ key: consulPaths.caFile, path: consulPaths.caFile }] },
              },
              tmpVolume,
            ],
          }),
        },
      },
    },
    { ...nsOpts, dependsOn: [statefulSet, service, aclInitConfig, aclInitSecrets] },
  );

  const esmConfig = new k8s.core.v1.ConfigMap(
    `${name}-esm-config`,
    { metadata: meta(names.esmConfig, esmLabels), data: { [esmPaths.config]: inputs.esm.config } },
    nsOpts,
  );
  const esmSecret = new k8s.core.v1.Secret(
    `${name}-esm-token`,
    { metadata: meta(names.esmSecrets, esmLabels), type: "Opaque", stringData: { [esmPaths.token]: inputs.esm.token } },
    nsOpts,
  );
  const esmSelector = { "app.kubernetes.io/name": names.esm, "lucid.mesh/cluster": cluster.name };
  const esm = new k8s.apps.v1.Deployment(
    `${name}-esm`,
    {
      metadata: meta(names.esm, esmLabels),
      spec: {
        // consul-esm instances share work through a KV lock; one is enough for the checks of one cluster.
        replicas: 1,
        selector: { matchLabels: esmSelector },
        template: {
          metadata: { labels: { ...esmLabels, ...esmSelector } },
          spec: restrictedPod({
            containers: [
              {
                name: "consul-esm",
                image: CONSUL_ESM_IMAGE,
                args: [`-config-dir=${esmPaths.configDir}`],
                // `/metrics` (consul/esmConfig.ts client_address); Prometheus keeps pods by this declared port.
                ports: [{ name: "metrics", containerPort: CONSUL_ESM_METRICS_PORT, protocol: "TCP" }],
                securityContext: containerSecurity,
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
              {
                name: "tls",
                secret: { secretName: names.tls, items: [{ key: consulPaths.caFile, path: consulPaths.caFile }] },
              },
              tmpVolume,
            ],
          }),
        },
      },
    },
    { ...nsOpts, dependsOn: [aclInit, esmConfig, esmSecret] },
  );

  const catalogSync = inputs.catalogSyncToken
    ? deployCatalogSync(
        {
          name,
          mesh: inputs.mesh,
          cluster,
          namespace,
          labels: inputs.labels("consul-catalog-sync"),
          token: inputs.catalogSyncToken,
          caSecretName: names.tls,
          caKey: consulPaths.caFile,
        },
        { ...opts, dependsOn: [aclInit] },
      )
    : [];

  // The reserved address, bound to the API LoadBalancer: distinct per cluster and in the server certificate.
  const apiAddress = pulumi.output(`https://${settings.consulApiAddress}:${consulPorts.https}`);
  return { apiAddress, ready: [statefulSet, pdb, aclInit, esm, apiService, ...peering, ...catalogSync] };
};
