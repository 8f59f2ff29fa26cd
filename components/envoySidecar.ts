/** One Envoy sidecar: its generated files, its certificate, and the platform that runs it. */
import * as pulumi from "@pulumi/pulumi";
import { sdsFiles, sidecarFiles } from "../envoy";
import type { Mesh, MeshCluster, MeshService, ServiceInstance } from "../model";
import type { WorkloadPlatform } from "./platform/types";

export interface LeafCertificate {
  /** Leaf then intermediate, PEM. */
  readonly chainPem: pulumi.Input<string>;
  /** Always a Pulumi secret. */
  readonly privateKeyPem: pulumi.Input<string>;
}

export interface EnvoySidecarArgs {
  readonly mesh: Mesh;
  readonly cluster: MeshCluster;
  readonly service: MeshService;
  /** Docker: exactly one instance. Kubernetes: every replica of the service's Deployment in this cluster. */
  readonly instances: readonly ServiceInstance[];
  /** The service's certificate in this cluster. */
  readonly certificate: LeafCertificate;
  /** The root CA, which every peer's chain must lead to. */
  readonly trustBundlePem: pulumi.Input<string>;
  /** Where it runs: the cluster's platform. */
  readonly platform: WorkloadPlatform;
}

export class EnvoySidecar extends pulumi.ComponentResource {
  /** The admin API's address: loopback only. */
  readonly admin: string;
  /** The Prometheus endpoint. */
  readonly metrics: string;
  /** Each instance's registered address, by instance name. */
  readonly addresses: Readonly<Record<string, pulumi.Output<string>>>;

  constructor(name: string, args: EnvoySidecarArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lucid:mesh:EnvoySidecar", name, {}, opts);
    const first = args.instances[0];
    if (!first) throw new Error(`${name}: a sidecar needs at least one instance`);
    // Replicas on Kubernetes share one file set; Envoy's --service-node gives each its own node id.
    const envoyFileSet = sidecarFiles(args.mesh, first);
    const sds = pulumi
      .all([args.certificate.chainPem, args.trustBundlePem])
      .apply(([certificateChainPem, trustBundlePem]) => sdsFiles({ certificateChainPem, trustBundlePem }));
    const endpoints = args.platform.deploySidecar(
      name,
      {
        mesh: args.mesh,
        cluster: args.cluster,
        service: args.service,
        instances: args.instances,
        envoyFiles: envoyFileSet,
        sdsFiles: sds,
        privateKeyPem: args.certificate.privateKeyPem,
      },
      this,
    );
    this.admin = endpoints.admin;
    this.metrics = endpoints.metrics;
    this.addresses = endpoints.addresses;
    this.registerOutputs({ admin: this.admin, metrics: this.metrics, addresses: this.addresses });
  }
}
