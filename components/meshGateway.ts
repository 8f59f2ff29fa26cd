/** A cluster's mesh gateway: routes other clusters' mesh traffic by SNI, never terminating its TLS. */
import * as pulumi from "@pulumi/pulumi";
import { gatewayFiles } from "../envoy";
import type { Mesh, MeshCluster } from "../model";
import type { WorkloadPlatform } from "./platform/types";

export interface MeshGatewayArgs {
  readonly mesh: Mesh;
  readonly cluster: MeshCluster;
  /** Where it runs: the cluster's platform. */
  readonly platform: WorkloadPlatform;
}

export class MeshGateway extends pulumi.ComponentResource {
  /** What other clusters dial: `host:port`. */
  readonly wanAddress: pulumi.Output<string>;
  /** The gateway's host inside its own cluster, as registered in Consul. */
  readonly localHost: pulumi.Output<string>;

  constructor(name: string, args: MeshGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lucid:mesh:MeshGateway", name, {}, opts);
    const endpoints = args.platform.deployGateway(
      name,
      { mesh: args.mesh, cluster: args.cluster, envoyFiles: gatewayFiles(args.mesh, args.cluster.name) },
      this,
    );
    this.wanAddress = endpoints.wanAddress;
    this.localHost = endpoints.localHost;
    this.registerOutputs({ wanAddress: this.wanAddress, localHost: this.localHost });
  }
}
