/**
 * Each cluster's platform, made once: its provider, how its Consul and its workloads run, and what Prometheus needs
 * from it. With the rest of components/platform/, the only code that asks which platform a cluster is on
 * (tests/platformSeam.spec.ts holds that); the address plan is the model's (MeshCluster.addresses).
 */
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import {
  DOCKER_WAN_NETWORK,
  DOCKER_WAN_SUBNET,
  type DockerMeshCluster,
  type Mesh,
  type MeshCluster,
} from "../../model";
import { dockerLabels } from "../labels";
import { consulDocker } from "./consulDocker";
import { consulKubernetes } from "./consulKubernetes";
import type { ConsulPlatformInputs, ConsulPlatformResult } from "./consulTypes";
import { DockerPlatform } from "./docker";
import { KubernetesPlatform } from "./kubernetes";
import type { WorkloadPlatform } from "./types";

/** Consul on one cluster's platform. */
export interface ConsulOnPlatform {
  /** Whether pods register through consul-k8s catalog sync, which needs a least-privilege ACL token of its own. */
  readonly catalogSync: boolean;
  /** Deploys the rendered files; `opts` carries the parent and the platform provider. */
  deploy(inputs: ConsulPlatformInputs, opts: pulumi.CustomResourceOptions): ConsulPlatformResult;
}

/**
 * Consul on `cluster`'s platform. Docker servers also join the shared WAN network, where the other clusters' servers
 * dial them to peer. @param wanNetworkName @default `lucid-mesh-wan`
 */
export function consulOnPlatform(cluster: MeshCluster, wanNetworkName?: pulumi.Input<string>): ConsulOnPlatform {
  switch (cluster.platform) {
    case "docker":
      return {
        catalogSync: false,
        deploy: (inputs, opts) =>
          consulDocker({ ...inputs, cluster, ...(wanNetworkName !== undefined ? { wanNetworkName } : {}) }, opts),
      };
    case "kubernetes":
      return { catalogSync: true, deploy: (inputs, opts) => consulKubernetes({ ...inputs, cluster }, opts) };
  }
}

/** One cluster's platform, for ServiceMesh and the components under it. */
export interface ClusterPlatform {
  /** The Docker or Kubernetes provider the cluster's resources are declared with. */
  readonly provider: pulumi.ProviderResource;
  /** What the cluster's components wait for: on Docker, the shared WAN network. */
  readonly dependsOn: readonly pulumi.Resource[];
  readonly consul: ConsulOnPlatform;
  /** Docker runs a sidecar per instance; Kubernetes one Deployment whose replicas are the instances. */
  readonly sidecarPerInstance: boolean;
  /** Runs sidecars and gateways; the same object on every call. */
  workloads(): WorkloadPlatform;
}

/** What the Prometheus component needs from the platforms (see components/platform/prometheus.ts). */
export interface PrometheusPlacement {
  readonly dockerNetworks: Readonly<Record<string, pulumi.Input<string>>>;
  readonly dockerProvider?: pulumi.ProviderResource;
  readonly kubernetesProviders: Readonly<Record<string, pulumi.ProviderResource>>;
}

/**
 * Makes each cluster's platform under `parent` (the top-level mesh), and shares what clusters share: Docker
 * clusters on one host meet on one WAN network, which the first Docker cluster makes, or, in a split mesh's cluster
 * stack, the root stack made (`sharedWanNetworkName`).
 */
export class MeshPlatforms {
  private wanNetwork: docker.Network | undefined;
  private readonly dockerProviders = new Map<string, docker.Provider>();
  private readonly dockerNetworks = new Map<string, string>();
  private readonly kubernetesProviders = new Map<string, k8s.Provider>();

  constructor(
    private readonly name: string,
    private readonly parent: pulumi.Resource,
    private readonly sharedWanNetworkName?: pulumi.Input<string>,
  ) {}

  forCluster(cluster: MeshCluster): ClusterPlatform {
    switch (cluster.platform) {
      case "docker": {
        const provider = new docker.Provider(
          `${cluster.name}-docker`,
          { host: cluster.docker.host },
          { parent: this.parent },
        );
        this.dockerProviders.set(cluster.name, provider);
        this.dockerNetworks.set(cluster.name, cluster.docker.networkName);
        if (this.sharedWanNetworkName === undefined)
          this.wanNetwork ??= new docker.Network(
            `${this.name}-wan`,
            {
              name: DOCKER_WAN_NETWORK,
              driver: "bridge",
              ipamConfigs: [{ subnet: DOCKER_WAN_SUBNET }],
              labels: dockerLabels({ "app.kubernetes.io/managed-by": "lucid-mesh" }),
            },
            { parent: this.parent, provider },
          );
        const wanNetworkName = this.sharedWanNetworkName ?? this.wanNetwork!.name;
        const images = new Map<string, pulumi.Output<string>>();
        // Pulls an image once per cluster and returns its ID.
        const image = (reference: string): pulumi.Output<string> => {
          const known = images.get(reference);
          if (known) return known;
          const pulled = new docker.RemoteImage(
            `${cluster.name}-image-${reference.replace(/[^a-z0-9]+/gi, "-")}`,
            { name: reference, keepLocally: true },
            { parent: this.parent, provider },
          ).imageId;
          images.set(reference, pulled);
          return pulled;
        };
        let workloads: WorkloadPlatform | undefined;
        return {
          provider,
          dependsOn: this.wanNetwork ? [this.wanNetwork] : [],
          consul: consulOnPlatform(cluster, wanNetworkName),
          sidecarPerInstance: true,
          workloads: () =>
            (workloads ??= new DockerPlatform({
              cluster,
              provider,
              networkName: cluster.docker.networkName,
              wanNetworkName,
              image,
            })),
        };
      }
      case "kubernetes": {
        const settings = cluster.kubernetes;
        const provider = new k8s.Provider(
          `${cluster.name}-kubernetes`,
          {
            context: settings.context,
            ...(settings.kubeconfig ? { kubeconfig: settings.kubeconfig } : {}),
            namespace: settings.namespace,
            enableServerSideApply: true,
          },
          { parent: this.parent },
        );
        this.kubernetesProviders.set(cluster.name, provider);
        let workloads: WorkloadPlatform | undefined;
        return {
          provider,
          dependsOn: [],
          consul: consulOnPlatform(cluster),
          sidecarPerInstance: false,
          workloads: () => (workloads ??= new KubernetesPlatform({ cluster, provider, namespace: settings.namespace })),
        };
      }
    }
  }

  /** Where Prometheus runs and which networks it joins, for the clusters made so far. */
  prometheusPlacement(): PrometheusPlacement {
    const firstDocker = [...this.dockerProviders.values()][0];
    return {
      dockerNetworks: Object.fromEntries(this.dockerNetworks),
      ...(firstDocker ? { dockerProvider: firstDocker } : {}),
      kubernetesProviders: Object.fromEntries(this.kubernetesProviders),
    };
  }
}

/**
 * Docker clusters on one host share one WAN network. In one stack the first Docker cluster makes it; split, every
 * cluster stack joins it, so the root stack (which runs before any of them is declared) makes it, on the same
 * provider and under the same names as one stack does.
 */
export function splitRootDockerWanNetwork(mesh: Mesh): pulumi.Output<string> | undefined {
  const first = mesh.clusters.find((c): c is DockerMeshCluster => c.platform === "docker");
  if (!first) return undefined;
  const provider = new docker.Provider(`${first.name}-docker`, { host: first.docker.host });
  return new docker.Network(
    "lucid-wan",
    {
      name: DOCKER_WAN_NETWORK,
      driver: "bridge",
      ipamConfigs: [{ subnet: DOCKER_WAN_SUBNET }],
      labels: dockerLabels({ "app.kubernetes.io/managed-by": "lucid-mesh" }),
    },
    { provider },
  ).name;
}
