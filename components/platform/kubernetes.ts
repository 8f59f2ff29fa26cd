/** Sidecars and gateways on Kubernetes: the production platform. */
import { isIPv4 } from "node:net";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { envoyFiles, type KubernetesMeshCluster, type MeshService, type SidecarConfig } from "../../model";
import { catalogSyncAnnotations, meshServiceName } from "./catalogSync";
import { meshLabels } from "../labels";
import { restrictedContainerSecurity, restrictedPodSecurity } from "./podSecurity";
import { kubernetesEdgeService, withKubernetesEdgeCertificate } from "./edge";
import { kubernetesConsulApplier } from "./consulApplierKubernetes";
import { configChecksum } from "./configChecksum";
import { CONFIG_CHECKSUM_ANNOTATION } from "./consulKubernetesObjects";
import {
  type ConsulApplierSpec,
  envoyCommand,
  type GatewayEndpoints,
  type GatewaySpec,
  type SidecarEndpoints,
  type SidecarSpec,
  type WorkloadPlatform,
} from "./types";

export interface KubernetesPlatformArgs {
  readonly cluster: KubernetesMeshCluster;
  readonly provider: k8s.Provider;
  /** The mesh's namespace in this cluster (made by ConsulCluster). */
  readonly namespace: pulumi.Input<string>;
}

const ENVOY_UID = 101;
/** Envoy's group, given to its Secret files through `fsGroup` so uid 101 can read the 0440 certificates and key. */
export const ENVOY_GID = 101;
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
  readinessProbe: k8s.types.input.core.v1.Probe = { tcpSocket: { port: listenerPort }, periodSeconds: 10 },
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
    readinessProbe,
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

/**
 * Readiness is the app's health as the sidecar's health listener passes it on (the path for HTTP services, a
 * connection for TCP ones): catalog sync turns it into the instance's "Kubernetes Readiness Check".
 */
function sidecarReadiness(service: MeshService, healthPort: number): k8s.types.input.core.v1.Probe {
  return service.protocol === "tcp"
    ? { tcpSocket: { port: healthPort }, periodSeconds: 10 }
    : { httpGet: { path: service.healthCheckPath, port: healthPort }, periodSeconds: 10 };
}

/** `loadBalancerIP` when the address is a reserved IP: the cloud binds it to this LoadBalancer. */
export function boundAddress(address: string): { loadBalancerIP?: string } {
  return isIPv4(address) ? { loadBalancerIP: address } : {};
}

/**
 * The pod template annotation that rolls Envoy's pods when what it reads only at start changes: the bootstrap.
 * kubelet updates the ConfigMap's files in place and Envoy reloads LDS and CDS from them (watched_directory), but
 * it reads bootstrap.yaml once; without this a bootstrap change (Consul's DNS resolver, tracing, overload limits)
 * would never reach running pods, while the CDS that relies on it would. As the Consul servers' config-checksum
 * (consulKubernetesObjects.ts) and the Docker sidecar's restart digest.
 */
export function envoyStartChecksum(files: Readonly<Record<string, string>>): Record<string, string> {
  return { [CONFIG_CHECKSUM_ANNOTATION]: configChecksum([files[envoyFiles.bootstrap] ?? ""]) };
}

export class KubernetesPlatform implements WorkloadPlatform {
  /** Instances are registered at run time by consul-k8s catalog sync, one per pod (see catalogSync.ts). */
  readonly instanceRegistration = "runtime" as const;

  constructor(private readonly args: KubernetesPlatformArgs) {}

  deployConsulApplier(name: string, spec: ConsulApplierSpec, parent: pulumi.Resource): pulumi.Resource[] {
    return kubernetesConsulApplier(name, spec, this.args, parent);
  }

  deploySidecar(name: string, spec: SidecarSpec, parent: pulumi.Resource): SidecarEndpoints {
    const { mesh, service, cluster } = spec;
    const opts = { parent, provider: this.args.provider };
    // A team's workload stays in its own namespace: the mesh adds objects there but never owns the namespace.
    const namespace = service.kubernetesNamespace ?? this.args.namespace;
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
        // The SDS files (chain and trust bundle inline) and the key they name: nothing else, as on Docker.
        stringData: pulumi
          .all([spec.sdsFiles, spec.privateKeyPem])
          .apply(([sds, key]) => ({ ...sds, [envoyFiles.privateKeyPem]: key })),
      },
      opts,
    );
    const { envoy, volumes } = withKubernetesEdgeCertificate(
      service,
      envoyContainer(
        mesh.sidecar,
        mesh.sidecar.proxyPort,
        [mesh.sidecar.healthPort, mesh.sidecar.metricsPort],
        true,
        sidecarReadiness(service, mesh.sidecar.healthPort),
      ),
      envoyVolumes(configMap.metadata.name, secret.metadata.name),
    );
    // fsGroup gives the Secret files to Envoy's group; without it they stay root:root 0440 and Envoy gets EACCES.
    const fileGroup = { fsGroup: ENVOY_GID };
    const selector = { "app.kubernetes.io/name": service.name };
    const dependsOn = [configMap, secret];
    const atStart = envoyStartChecksum(spec.envoyFiles);
    if (service.image) {
      new k8s.apps.v1.Deployment(
        name,
        {
          metadata: { name: service.name, namespace, labels: { ...labels, ...selector } },
          spec: {
            replicas: service.instances,
            selector: { matchLabels: selector },
            template: {
              metadata: { labels: { ...labels, ...selector }, annotations: atStart },
              spec: {
                securityContext: restrictedPodSecurity(undefined, fileGroup),
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
      // The team owns the Deployment; server-side apply adds only our container, volumes, labels and fsGroup, and
      // deleting the patch gives those fields back rather than deleting the Deployment (pulumi-kubernetes
      // provider/pkg/await/await.go, Deletion: ssa.Relinquish for patch resources).
      new k8s.apps.v1.DeploymentPatch(
        name,
        {
          metadata: { name: service.deployment, namespace, annotations: { "pulumi.com/patchForce": "true" } },
          spec: {
            template: {
              metadata: { labels, annotations: atStart },
              spec: {
                securityContext: { ...fileGroup, fsGroupChangePolicy: "OnRootMismatch" },
                containers: [envoy],
                volumes,
              },
            },
          },
        },
        { ...opts, dependsOn },
      );
    }
    // A ClusterIP Service selecting the sidecar pods, named apart from the team's own Service of the same name.
    // consul-k8s catalog sync registers each of its endpoints (each pod) at the mesh port, with its readiness.
    new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: {
          name: meshServiceName(service.name),
          namespace,
          labels,
          annotations: catalogSyncAnnotations(mesh, cluster, service),
        },
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
    return {
      // Pod IPs, known only at run time: catalog sync registers them.
      addresses: {},
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
            metadata: { labels: { ...labels, ...selector }, annotations: envoyStartChecksum(spec.envoyFiles) },
            spec: {
              securityContext: restrictedPodSecurity(undefined, { fsGroup: ENVOY_GID }),
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
          // The reserved address other clusters' gateways dial, bound to this LoadBalancer.
          ...boundAddress(cluster.gateway.wanAddress),
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
