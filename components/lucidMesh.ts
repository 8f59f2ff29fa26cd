/**
 * The whole mesh: one certificate authority, one `ServiceMesh` per cluster, each on its own explicit provider,
 * and cluster peering between every pair of clusters.
 */
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DOCKER_WAN_NETWORK, DOCKER_WAN_SUBNET, type Mesh, type MeshCluster } from "../model";
import { MeshCertificateAuthority, type CertificateAuthorityPart } from "./certificateAuthority";
import { clusterPairs, peerClusters } from "./consulConfig";
import { dockerClusterNetworkName } from "../consul/names";
import { dockerLabels } from "./labels";
import type { Pace } from "./pacing";
import { Prometheus } from "./prometheus";
import { ServiceMesh, type PlatformProvider } from "./serviceMesh";

export interface LucidMeshArgs {
  /** The validated, resolved mesh model. */
  readonly mesh: Mesh;
  /** Awaited between batches of declarations (see pacing.ts). `pulumi up` passes none. */
  readonly pace?: Pace;
  /** A split mesh's cluster stack: declare this one cluster only (components/splitMesh.ts). @default every cluster */
  readonly part?: ClusterPart;
}

/** One cluster of a split mesh: its share of the PKI, and the shared Docker WAN network the root stack made. */
export interface ClusterPart {
  readonly cluster: string;
  readonly ca: Extract<CertificateAuthorityPart, { role: "cluster" }>;
  readonly wanNetworkName?: pulumi.Input<string>;
}

export interface ClusterOutputs {
  readonly platform: string;
  readonly datacenter: string;
  readonly consulApi: pulumi.Output<string>;
  readonly consulUi: pulumi.Output<string>;
  readonly gatewayAddress: pulumi.Output<string>;
  readonly sidecars: Record<string, { readonly admin: string; readonly metrics: string }>;
}

export class LucidMesh extends pulumi.ComponentResource {
  readonly ca: MeshCertificateAuthority;
  readonly clusters: Record<string, ServiceMesh> = {};
  /** Set when `observability.prometheus` is on and the mesh is declared. */
  get prometheusUrl(): pulumi.Output<string> | undefined {
    return this.prometheusOutput;
  }
  private prometheusOutput: pulumi.Output<string> | undefined;
  /**
   * Resolves once every resource of the mesh is declared and the outputs are registered. Clusters are declared one
   * after the other; with no pace it settles within the same turn of the event loop as the constructor.
   */
  readonly declared: Promise<void>;
  private readonly kubernetesProviders = new Map<string, k8s.Provider>();

  constructor(name: string, args: LucidMeshArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lucid:mesh:LucidMesh", name, {}, opts);
    const { mesh } = args;
    this.ca = new MeshCertificateAuthority(
      name,
      { mesh, leaves: "on-demand", ...(args.part ? { part: args.part.ca } : {}) },
      { parent: this },
    );
    this.declared = this.declareClusters(name, args);
  }

  private async declareClusters(name: string, { mesh, pace, part }: LucidMeshArgs): Promise<void> {
    let wanNetwork: docker.Network | undefined;
    // A cluster stack declares its cluster once the root stack has signed its intermediate; until then only the CSR.
    const declared = part
      ? mesh.clusters.filter((c) => c.name === part.cluster && part.ca.intermediateCertPem !== undefined)
      : mesh.clusters;
    for (const cluster of declared) {
      const platform = this.platformProvider(cluster, () => {
        if (part?.wanNetworkName !== undefined) return part.wanNetworkName;
        // Docker clusters on one host share one WAN network for their gateways; the first cluster makes it.
        wanNetwork ??= new docker.Network(
          `${name}-wan`,
          {
            name: DOCKER_WAN_NETWORK,
            driver: "bridge",
            ipamConfigs: [{ subnet: DOCKER_WAN_SUBNET }],
            labels: dockerLabels({ "app.kubernetes.io/managed-by": "lucid-mesh" }),
          },
          { parent: this, provider: this.dockerProvider(cluster) },
        );
        return wanNetwork;
      });
      const images = new Map<string, pulumi.Output<string>>();
      const dockerImage = (reference: string): pulumi.Output<string> => {
        const known = images.get(reference);
        if (known) return known;
        const pulled = new docker.RemoteImage(
          `${cluster.name}-image-${reference.replace(/[^a-z0-9]+/gi, "-")}`,
          { name: reference, keepLocally: true },
          { parent: this, provider: platform.provider as docker.Provider },
        ).imageId;
        images.set(reference, pulled);
        return pulled;
      };
      const serviceMesh = new ServiceMesh(
        cluster.name,
        {
          mesh,
          cluster,
          ca: this.ca,
          platform,
          ...(platform.kind === "docker" ? { dockerImage } : {}),
          pace,
        },
        { parent: this, dependsOn: wanNetwork && platform.kind === "docker" ? [wanNetwork] : [] },
      );
      this.clusters[cluster.name] = serviceMesh;
      await serviceMesh.declared;
    }
    this.ca.completeInventory();
    if (part) {
      // Peering and Prometheus join clusters: a split mesh's cluster stack holds neither.
      this.registerOutputs({ trustBundlePem: this.ca.trustBundlePem, inventory: this.ca.inventory });
      return;
    }

    const sides = mesh.clusters.map((cluster) => {
      const serviceMesh = this.clusters[cluster.name]!;
      return { cluster, provider: serviceMesh.consul.provider, dependsOn: [serviceMesh.consul, serviceMesh.config] };
    });
    for (const [a, b] of clusterPairs(sides)) {
      peerClusters(`${a.cluster.name}-${b.cluster.name}`, mesh, a, b, { parent: this });
    }

    this.prometheusOutput = mesh.observability.prometheus ? this.prometheus(name, mesh) : undefined;
    this.registerOutputs({
      trustBundlePem: this.ca.trustBundlePem,
      inventory: this.ca.inventory,
      prometheusUrl: this.prometheusUrl,
    });
  }

  /** The optional Prometheus, scraping every cluster with each cluster's least-privilege metrics token. */
  private prometheus(name: string, mesh: Mesh): pulumi.Output<string> {
    const dockerClusters = mesh.clusters.filter((c) => c.platform === "docker");
    const firstDocker = dockerClusters[0];
    const prometheus = new Prometheus(
      `${name}-prometheus`,
      {
        mesh,
        consulMetricsTokens: Object.fromEntries(
          mesh.clusters.map((c) => [c.name, this.clusters[c.name]!.config.prometheusToken]),
        ),
        caCertificatePem: this.ca.trustBundlePem,
        dockerNetworks: Object.fromEntries(dockerClusters.map((c) => [c.name, dockerClusterNetworkName(c)])),
        ...(firstDocker ? { dockerProvider: this.dockerProvider(firstDocker) } : {}),
        kubernetesProviders: Object.fromEntries(this.kubernetesProviders),
      },
      // It scrapes what the clusters run, on their networks: it comes after them.
      { parent: this, dependsOn: Object.values(this.clusters) },
    );
    return prometheus.url;
  }

  /** Stack outputs per cluster. */
  clusterOutputs(): Record<string, ClusterOutputs> {
    return Object.fromEntries(
      Object.entries(this.clusters).map(([clusterName, serviceMesh]) => [
        clusterName,
        {
          platform: serviceMesh.cluster.platform,
          datacenter: serviceMesh.cluster.datacenter,
          consulApi: serviceMesh.consul.apiAddress,
          consulUi: serviceMesh.consul.uiAddress,
          gatewayAddress: serviceMesh.gateway.wanAddress,
          sidecars: serviceMesh.sidecars,
        },
      ]),
    );
  }

  private readonly dockerProviders = new Map<string, docker.Provider>();

  private dockerProvider(cluster: MeshCluster): docker.Provider {
    const existing = this.dockerProviders.get(cluster.name);
    if (existing) return existing;
    const provider = new docker.Provider(`${cluster.name}-docker`, { host: cluster.docker?.host }, { parent: this });
    this.dockerProviders.set(cluster.name, provider);
    return provider;
  }

  private platformProvider(
    cluster: MeshCluster,
    wanNetwork: () => docker.Network | pulumi.Input<string>,
  ): PlatformProvider {
    if (cluster.platform === "docker") {
      const provider = this.dockerProvider(cluster);
      const network = wanNetwork();
      return { kind: "docker", provider, wanNetworkName: network instanceof docker.Network ? network.name : network };
    }
    const settings = cluster.kubernetes;
    if (!settings) throw new Error(`${cluster.name}: kubernetes settings missing`);
    const provider = new k8s.Provider(
      `${cluster.name}-kubernetes`,
      {
        context: settings.context,
        ...(settings.kubeconfig ? { kubeconfig: settings.kubeconfig } : {}),
        namespace: settings.namespace,
        enableServerSideApply: true,
      },
      { parent: this },
    );
    this.kubernetesProviders.set(cluster.name, provider);
    return { kind: "kubernetes", provider };
  }
}
