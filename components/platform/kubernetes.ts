/** Sidecars and gateways on Kubernetes: the production platform. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { envoyFiles, type MeshCluster, type SidecarConfig } from "../../model";
import { meshLabels } from "../labels";
import { restrictedContainerSecurity, restrictedPodSecurity } from "./podSecurity";
import { kubernetesEdgeService, withKubernetesEdgeCertificate } from "./edge";
import {
  envoyCommand,
  type GatewayEndpoints,
  type GatewaySpec,
  type SidecarEndpoints,
  type SidecarSpec,
  type WorkloadPlatform,
} from "./types";

export interface KubernetesPlatformArgs {
  readonly cluster: MeshCluster;
  readonly provider: k8s.Provider;
  /** The mesh's namespace in this cluster (made by ConsulCluster). */
  readonly namespace: pulumi.Input<string>;
}

const ENVOY_UID = 101;
const CONFIG_VOLUME = "envoy-config";
const SECRETS_VOLUME = "envoy-secrets";

type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;

/**
 * The Envoy container of a sidecar or a gateway. `listenerPort` is the port traffic arrives on (the inbound mTLS
 * listener, or the gateway's): probes check it, since admin is loopback-only and metrics can be switched off.
 */
function envoyContainer(
  sidecar: SidecarConfig,
  listenerPort: number,
  ports: readonly number[],
  mountsCertificates: boolean,
): Container {
  return {
    name: "envoy",
    image: sidecar.image,
    command: ["/usr/local/bin/envoy"],
    // The pod name becomes the node id, so replicas sharing one ConfigMap stay distinguishable in stats.
    args: [
      ...envoyCommand(`${envoyFiles.directory}/${envoyFiles.bootstrap}`, sidecar.cpus),
      "--service-node",
      "$(POD_NAME)",
    ],
    env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
    ports: [listenerPort, ...ports].map((containerPort) => ({ containerPort })),
    volumeMounts: [
      { name: CONFIG_VOLUME, mountPath: envoyFiles.directory, readOnly: true },
      // The gateway never terminates mesh TLS, so it mounts no certificates.
      ...(mountsCertificates ? [{ name: SECRETS_VOLUME, mountPath: envoyFiles.secretsDirectory, readOnly: true }] : []),
      { name: "tmp", mountPath: "/tmp" },
    ],
    readinessProbe: { tcpSocket: { port: listenerPort }, periodSeconds: 10 },
    livenessProbe: { tcpSocket: { port: listenerPort }, periodSeconds: 20, failureThreshold: 3 },
    resources: {
      requests: { cpu: `${Math.round(sidecar.cpus * 500)}m`, memory: `${Math.round(sidecar.memoryMb / 2)}Mi` },
      limits: { cpu: `${Math.round(sidecar.cpus * 1000)}m`, memory: `${sidecar.memoryMb}Mi` },
    },
    securityContext: restrictedContainerSecurity(ENVOY_UID),
  };
}

function envoyVolumes(configMapName: pulumi.Input<string>, secretName?: pulumi.Input<string>): Volume[] {
  return [
    { name: CONFIG_VOLUME, configMap: { name: configMapName } },
    ...(secretName ? [{ name: SECRETS_VOLUME, secret: { secretName, defaultMode: 0o440 } }] : []),
    { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
  ];
}

export class KubernetesPlatform implements WorkloadPlatform {
  constructor(private readonly args: KubernetesPlatformArgs) {}

  deploySidecar(name: string, spec: SidecarSpec, parent: pulumi.Resource): SidecarEndpoints {
    const { mesh, service, cluster } = spec;
    const opts = { parent, provider: this.args.provider };
    const namespace = this.args.namespace;
    const labels = meshLabels("sidecar", cluster.name, service.name);
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      {
        metadata: {
          name: `${service.name}-envoy`,
          namespace,
          labels: meshLabels("envoy-config", cluster.name, service.name),
        },
        data: { ...spec.envoyFiles },
      },
      opts,
    );
    const secret = new k8s.core.v1.Secret(
      `${name}-certs`,
      {
        metadata: { name: `${service.name}-envoy-certs`, namespace, labels },
        type: "Opaque",
        stringData: pulumi
          .all([spec.sdsFiles, spec.certificateChainPem, spec.trustBundlePem, spec.privateKeyPem])
          .apply(([sds, chain, bundle, key]) => ({
            ...sds,
            [envoyFiles.certificatePem]: chain,
            [envoyFiles.trustBundlePem]: bundle,
            [envoyFiles.privateKeyPem]: key,
          })),
      },
      opts,
    );
    const { envoy, volumes } = withKubernetesEdgeCertificate(
      service,
      envoyContainer(mesh.sidecar, mesh.sidecar.proxyPort, [mesh.sidecar.healthPort, mesh.sidecar.metricsPort], true),
      envoyVolumes(configMap.metadata.name, secret.metadata.name),
    );
    const selector = { "app.kubernetes.io/name": service.name };
    const dependsOn = [configMap, secret];
    if (service.image) {
      new k8s.apps.v1.Deployment(
        name,
        {
          metadata: { name: service.name, namespace, labels: { ...labels, ...selector } },
          spec: {
            replicas: service.instances,
            selector: { matchLabels: selector },
            template: {
              metadata: { labels: { ...labels, ...selector } },
              spec: {
                securityContext: restrictedPodSecurity(),
                automountServiceAccountToken: false,
                containers: [
                  {
                    name: "app",
                    image: service.image,
                    args: [...service.args],
                    env: Object.entries(service.env).map(([envName, value]) => ({ name: envName, value })),
                    ports: [{ containerPort: service.port }],
                    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
                    securityContext: restrictedContainerSecurity(10001),
                  },
                  envoy,
                ],
                volumes,
              },
            },
          },
        },
        { ...opts, dependsOn },
      );
    } else {
      // The team owns the Deployment; server-side apply adds only our container and volumes to it.
      new k8s.apps.v1.DeploymentPatch(
        name,
        {
          metadata: { name: service.deployment, namespace, annotations: { "pulumi.com/patchForce": "true" } },
          spec: { template: { metadata: { labels }, spec: { containers: [envoy], volumes } } },
        },
        { ...opts, dependsOn },
      );
    }
    // The mesh reaches the pods through a ClusterIP Service: its IP is what Consul registers and its DNS answers.
    const meshService = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: service.name, namespace, labels },
        spec: {
          type: "ClusterIP",
          selector: { "lucid.mesh/role": "sidecar", "lucid.mesh/service": service.name },
          ports: [
            { name: "mesh", port: mesh.sidecar.proxyPort, targetPort: mesh.sidecar.proxyPort, protocol: "TCP" },
            { name: "health", port: mesh.sidecar.healthPort, targetPort: mesh.sidecar.healthPort, protocol: "TCP" },
          ],
        },
      },
      opts,
    );
    kubernetesEdgeService(`${name}-edge`, service, cluster.name, namespace, opts);
    const clusterIp = meshService.spec.clusterIP;
    return {
      addresses: Object.fromEntries(spec.instances.map((i) => [i.name, clusterIp])),
      admin: `127.0.0.1:${mesh.sidecar.adminPort} in each ${service.name} pod`,
      metrics: `http://<pod IP>:${mesh.sidecar.metricsPort}/stats/prometheus (pods labelled lucid.mesh/service=${service.name})`,
    };
  }

  deployGateway(name: string, spec: GatewaySpec, parent: pulumi.Resource): GatewayEndpoints {
    const { cluster, mesh } = spec;
    const opts = { parent, provider: this.args.provider };
    const namespace = this.args.namespace;
    const labels = meshLabels("gateway", cluster.name);
    const selector = { "app.kubernetes.io/name": "mesh-gateway" };
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      { metadata: { name: "mesh-gateway-envoy", namespace, labels }, data: { ...spec.envoyFiles } },
      opts,
    );
    const gatewayContainer = envoyContainer(mesh.sidecar, cluster.gateway.port, [mesh.sidecar.metricsPort], false);
    new k8s.apps.v1.Deployment(
      name,
      {
        metadata: { name: "mesh-gateway", namespace, labels: { ...labels, ...selector } },
        spec: {
          replicas: cluster.gateway.replicas,
          selector: { matchLabels: selector },
          template: {
            metadata: { labels: { ...labels, ...selector } },
            spec: {
              securityContext: restrictedPodSecurity(),
              automountServiceAccountToken: false,
              containers: [gatewayContainer],
              volumes: envoyVolumes(configMap.metadata.name),
            },
          },
        },
      },
      { ...opts, dependsOn: [configMap] },
    );
    const service = new k8s.core.v1.Service(
      `${name}-lb`,
      {
        metadata: { name: "mesh-gateway", namespace, labels },
        spec: {
          type: "LoadBalancer",
          selector,
          // Only the gateway port: the admin port is never published.
          ports: [{ name: "mesh", port: cluster.gateway.port, targetPort: cluster.gateway.port, protocol: "TCP" }],
        },
      },
      opts,
    );
    return {
      wanAddress: pulumi.output(`${cluster.gateway.wanAddress}:${cluster.gateway.port}`),
      localHost: service.spec.clusterIP,
    };
  }
}
