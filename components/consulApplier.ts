/**
 * One per cluster: the Consul applier's token (its own least-privilege policy) and the applier itself, which
 * reconciles the cluster's config entries and, on Docker, its instances' catalog registrations from one payload
 * (consul/applier.ts). A change of one service changes only the payload.
 */
import { createHash } from "node:crypto";
import * as consul from "@pulumi/consul";
import * as pulumi from "@pulumi/pulumi";
import { applierPayload, applierPolicy, applierScript, applierTokenHeader, renderPayload } from "../consul/applier";
import type { Mesh, MeshCluster } from "../model";
import type { WorkloadPlatform } from "./platform/types";

export interface ConsulApplierArgs {
  readonly mesh: Mesh;
  readonly cluster: MeshCluster;
  readonly platform: WorkloadPlatform;
  /** Addresses the workloads really got, by instance name (Docker). */
  readonly addresses: Readonly<Record<string, pulumi.Output<string>>>;
  readonly trustBundlePem: pulumi.Input<string>;
  /** What the applier waits for besides its token: the cluster's Consul. */
  readonly after: readonly pulumi.Resource[];
}

export class ConsulApplier extends pulumi.ComponentResource {
  /** The payload the applier reconciles Consul to. */
  readonly payload: pulumi.Output<string>;

  /**
   * @param opts.provider the cluster's `consul.Provider`, for the applier's policy and token.
   * @param opts.dependsOn the cluster's Consul, so the policy and token are written to a working Consul.
   */
  constructor(name: string, args: ConsulApplierArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("lucid:mesh:ConsulApplier", name, {}, opts);
    const { mesh, cluster, platform } = args;
    const consulOpts = { parent: this, ...(opts.provider ? { provider: opts.provider } : {}) };
    const registersInstances = platform.instanceRegistration === "pulumi";

    const spec = applierPolicy(mesh, cluster, registersInstances);
    const policy = new consul.AclPolicy(
      `${name}-policy`,
      { name: spec.name, description: spec.description, rules: spec.rules, datacenters: [cluster.datacenter] },
      consulOpts,
    );
    const token = new consul.AclToken(
      `${name}-token`,
      { description: spec.description, policies: [policy.name], local: true },
      consulOpts,
    );
    const secretId = consul.getAclTokenSecretIdOutput({ accessorId: token.accessorId }, consulOpts).secretId;

    this.payload = pulumi
      .all(args.addresses)
      .apply((addresses) => renderPayload(applierPayload(mesh, cluster, { registersInstances, addresses })));
    const script = applierScript(cluster);
    const digest = this.payload.apply((payload) =>
      createHash("sha256").update(payload).update("\0").update(script).digest("hex").slice(0, 16),
    );
    platform.deployConsulApplier(
      name,
      {
        cluster,
        payload: this.payload,
        script,
        caPem: args.trustBundlePem,
        tokenHeader: pulumi.secret(secretId.apply(applierTokenHeader)),
        digest,
        dependsOn: [token, ...args.after],
      },
      this,
    );
    this.registerOutputs({ payload: this.payload });
  }
}
