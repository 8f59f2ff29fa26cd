/**
 * The whole mesh: one certificate authority, one `ServiceMesh` per cluster, each on its own explicit provider,
 * and cluster peering between every pair of clusters.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Mesh } from "../model";
import { MeshCertificateAuthority, type CertificateAuthorityPart } from "./certificateAuthority";
import { clusterPairs, peerClusters } from "./consulConfig";
import type { Pace } from "./pacing";
import { MeshPlatforms } from "./platform/clusterPlatform";
import { Prometheus } from "./platform/prometheus";
import { ServiceMesh } from "./serviceMesh";

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
  private readonly platforms: MeshPlatforms;

  constructor(name: string, args: LucidMeshArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lucid:mesh:LucidMesh", name, {}, opts);
    const { mesh } = args;
    this.ca = new MeshCertificateAuthority(
      name,
      { mesh, leaves: "on-demand", ...(args.part ? { part: args.part.ca } : {}) },
      { parent: this },
    );
    this.platforms = new MeshPlatforms(name, this, args.part?.wanNetworkName);
    this.declared = this.declareClusters(name, args);
  }

  private async declareClusters(name: string, { mesh, pace, part }: LucidMeshArgs): Promise<void> {
    // A cluster stack declares its cluster once the root stack has signed its intermediate; until then only the CSR.
    const declared = part
      ? mesh.clusters.filter((c) => c.name === part.cluster && part.ca.intermediateCertPem !== undefined)
      : mesh.clusters;
    for (const cluster of declared) {
      const platform = this.platforms.forCluster(cluster);
      const serviceMesh = new ServiceMesh(
        cluster.name,
        { mesh, cluster, ca: this.ca, platform, pace },
        { parent: this, dependsOn: [...platform.dependsOn] },
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
    const prometheus = new Prometheus(
      `${name}-prometheus`,
      {
        mesh,
        consulMetricsTokens: Object.fromEntries(
          mesh.clusters.map((c) => [c.name, this.clusters[c.name]!.config.prometheusToken]),
        ),
        caCertificatePem: this.ca.trustBundlePem,
        ...this.platforms.prometheusPlacement(),
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
}
