/**
 * One cluster of the mesh: its Consul, its sidecars, its gateway, its registrations and config entries. The
 * top-level `LucidMesh` makes one per cluster and joins them.
 */
import * as pulumi from "@pulumi/pulumi";
import { instancesOf, servicesInCluster, type Mesh, type MeshCluster } from "../model";
import type { MeshCertificateAuthority } from "./certificateAuthority";
import { ConsulCluster } from "./consulCluster";
import { ConsulApplier } from "./consulApplier";
import { ConsulMeshConfig } from "./consulConfig";
import { EnvoySidecar } from "./envoySidecar";
import { MeshGateway } from "./meshGateway";
import { BATCH_SIZE, declareInBatches, type Pace } from "./pacing";
import type { ClusterPlatform } from "./platform/clusterPlatform";
import type { WorkloadPlatform } from "./platform/types";
import { ServiceRegistration } from "./serviceRegistration";

export interface ServiceMeshArgs {
  readonly mesh: Mesh;
  readonly cluster: MeshCluster;
  /** Issues this cluster's Consul and service certificates. */
  readonly ca: MeshCertificateAuthority;
  /** The cluster's platform, made by the top-level mesh (components/platform/clusterPlatform.ts). */
  readonly platform: ClusterPlatform;
  /** Awaited between batches of sidecars, config entries and registrations (see pacing.ts). @default none */
  readonly pace?: Pace;
}

export interface SidecarEndpointsOutput {
  readonly admin: string;
  readonly metrics: string;
}

export class ServiceMesh extends pulumi.ComponentResource {
  readonly cluster: MeshCluster;
  readonly consul: ConsulCluster;
  readonly config: ConsulMeshConfig;
  readonly gateway: MeshGateway;
  /** Sidecar endpoints by workload name, filled in as the sidecars are declared. */
  readonly sidecars: Record<string, SidecarEndpointsOutput> = {};
  /** Resolves once everything in the cluster is declared and the outputs are registered. */
  readonly declared: Promise<void>;

  constructor(name: string, args: ServiceMeshArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lucid:mesh:ServiceMesh", name, {}, opts);
    const { mesh, cluster, ca } = args;
    this.cluster = cluster;
    const serverCert = ca.consulServer(cluster.name);
    this.consul = new ConsulCluster(
      `${name}-consul`,
      {
        mesh,
        cluster,
        tls: { caPem: ca.trustBundlePem, certPem: serverCert.chainPem, keyPem: serverCert.privateKeyPem },
        platform: args.platform.consul,
      },
      { parent: this, provider: args.platform.provider },
    );
    // Config entries and registrations need a working Consul: its provider is configured from its outputs.
    const consulOpts = { parent: this, provider: this.consul.provider, dependsOn: [this.consul] };
    this.config = new ConsulMeshConfig(`${name}-config`, { mesh, cluster }, consulOpts);
    // Awaited only after the sidecars: mark a failure handled now, so it surfaces there, not as an unhandled rejection.
    this.config.declared.catch(() => undefined);

    const platform = args.platform.workloads();
    // Workloads wait for Consul: Envoy resolves upstreams through its DNS from the first second.
    const workloadOpts = { parent: this, dependsOn: [...this.consul.serving] };
    this.gateway = new MeshGateway(`${name}-gateway`, { mesh, cluster, platform }, workloadOpts);
    this.declared = this.declareWorkloads(name, args, platform, workloadOpts, consulOpts);
  }

  /** Sidecars in batches, then their registrations; runs synchronously when there is no pace. */
  private async declareWorkloads(
    name: string,
    args: ServiceMeshArgs,
    platform: WorkloadPlatform,
    workloadOpts: pulumi.ComponentResourceOptions,
    consulOpts: pulumi.ComponentResourceOptions,
  ): Promise<void> {
    const { mesh, cluster, ca } = args;
    // A sidecar per instance, or one workload whose replicas are the instances.
    const groups = servicesInCluster(mesh, cluster.name).flatMap((service) => {
      const instances = instancesOf(mesh, service).filter((i) => i.cluster === cluster.name);
      return args.platform.sidecarPerInstance
        ? instances.map((i) => ({ service, group: [i] }))
        : [{ service, group: instances }];
    });
    const addresses: Record<string, pulumi.Output<string>> = {};
    await declareInBatches(groups, BATCH_SIZE.sidecars, args.pace, ({ service, group }) => {
      const workload = group.length === 1 ? group[0]!.name : `${cluster.name}-${service.name}`;
      const sidecar = new EnvoySidecar(
        workload,
        {
          mesh,
          cluster,
          service,
          instances: group,
          certificate: ca.leaf(cluster.name, service.name),
          trustBundlePem: ca.trustBundlePem,
          platform,
        },
        workloadOpts,
      );
      this.sidecars[workload] = { admin: sidecar.admin, metrics: sidecar.metrics };
      Object.assign(addresses, sidecar.addresses);
    });
    const registration = new ServiceRegistration(
      `${name}-registrations`,
      { mesh, cluster, gateway: { address: this.gateway.localHost, port: cluster.gateway.port } },
      consulOpts,
    );
    // Registered once the workloads exist, under the addresses they really got; the config entries with them.
    new ConsulApplier(
      `${name}-consul-applier`,
      {
        mesh,
        cluster,
        platform,
        addresses,
        trustBundlePem: ca.trustBundlePem,
        after: [this.consul, registration.node],
      },
      consulOpts,
    );
    await this.config.declared;

    this.registerOutputs({
      consulApi: this.consul.apiAddress,
      consulUi: this.consul.uiAddress,
      gatewayWanAddress: this.gateway.wanAddress,
      sidecars: this.sidecars,
    });
  }
}
