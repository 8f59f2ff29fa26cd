/**
 * What goes into a running Consul: the Pulumi-managed ACL policies and tokens, and peering. Everything here uses
 * the cluster's `consul.Provider` and waits for the cluster. Config entries are the Consul applier's
 * (components/consulApplier.ts), one payload per cluster instead of one resource per entry.
 *
 * The DNS, agent and consul-esm tokens are not here: their SecretIDs must be in the agent config before Consul
 * runs, and `consul.AclToken` cannot take a chosen SecretID, so the cluster's ACL bootstrap creates them (see
 * consul/aclBootstrap.ts). Mesh gateway and Prometheus tokens are created here and read back with
 * `getAclTokenSecretIdOutput`, since their consumers start after Consul.
 */
import * as consul from "@pulumi/consul";
import * as pulumi from "@pulumi/pulumi";
import { meshGatewayPolicy, prometheusPolicy, type AclPolicySpec } from "../consul/acl";
import { clusterConfigEntries } from "../consul/configEntries";
import { peeringServerAddresses } from "../consul/peering";
import type { Mesh, MeshCluster } from "../model";

export interface ConsulMeshConfigArgs {
  /** The resolved mesh. */
  readonly mesh: Mesh;
  /** The cluster the entries and tokens belong to. */
  readonly cluster: MeshCluster;
}

export class ConsulMeshConfig extends pulumi.ComponentResource {
  /** SecretID of the mesh gateways' token (secret). */
  readonly meshGatewayToken: pulumi.Output<string>;
  /** SecretID of Prometheus' token for `/v1/agent/metrics` (secret). */
  readonly prometheusToken: pulumi.Output<string>;
  /** `kind/name` of every config entry the cluster's applier writes, in order. */
  readonly configEntries: pulumi.Output<string[]>;
  /** Resolves once every config entry is declared and the outputs are registered. */
  readonly declared: Promise<void>;

  /**
   * @param opts.provider the cluster's `consul.Provider`.
   * @param opts.dependsOn the `ConsulCluster`, so nothing is written before Consul works.
   */
  constructor(name: string, args: ConsulMeshConfigArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("lucid:mesh:ConsulMeshConfig", name, {}, opts);
    const { mesh, cluster } = args;
    const childOpts = { parent: this, ...(opts.provider ? { provider: opts.provider } : {}) };

    const entries = clusterConfigEntries(mesh, cluster);

    const token = (role: string, spec: AclPolicySpec): pulumi.Output<string> => {
      const policy = new consul.AclPolicy(
        `${name}-${role}-policy`,
        { name: spec.name, description: spec.description, rules: spec.rules, datacenters: [cluster.datacenter] },
        childOpts,
      );
      const aclToken = new consul.AclToken(
        `${name}-${role}-token`,
        { description: spec.description, policies: [policy.name], local: true },
        childOpts,
      );
      const secret = consul.getAclTokenSecretIdOutput(
        { accessorId: aclToken.accessorId },
        opts.provider ? { provider: opts.provider, parent: this } : { parent: this },
      );
      return pulumi.secret(secret.secretId);
    };
    this.meshGatewayToken = token("mesh-gateway", meshGatewayPolicy(cluster));
    this.prometheusToken = token("prometheus", prometheusPolicy(cluster));
    this.configEntries = pulumi.output(entries.map((e) => `${e.kind}/${e.name}`));

    this.registerOutputs({
      meshGatewayToken: this.meshGatewayToken,
      prometheusToken: this.prometheusToken,
      configEntries: this.configEntries,
    });
    this.declared = Promise.resolve();
  }
}

/** One side of a peering: a cluster and its Consul provider. */
export interface PeerSide {
  readonly cluster: MeshCluster;
  readonly provider: consul.Provider;
  /** Resources the side's Consul must have first (its ConsulCluster and ConsulMeshConfig). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Peers two clusters: `a` issues a token naming the peer `b`, and `b` establishes the peering under the name `a`.
 * Each side names the other by cluster name, which is what intentions' `Peer` and
 * exported-services' consumers use. The token points at `a`'s Consul servers' gRPC TLS port, which `b`'s servers
 * dial directly: our self-managed gateways carry only service traffic (see consul/peering.ts).
 */
export function peerClusters(
  name: string,
  mesh: Mesh,
  a: PeerSide,
  b: PeerSide,
  opts: { parent?: pulumi.Resource } = {},
): { token: consul.PeeringToken; peering: consul.Peering } {
  const token = new consul.PeeringToken(
    `${name}-token`,
    {
      peerName: b.cluster.name,
      serverExternalAddresses: peeringServerAddresses(mesh, a.cluster),
      meta: { "lucid-mesh-peer": b.cluster.name },
    },
    { ...opts, provider: a.provider, ...(a.dependsOn ? { dependsOn: a.dependsOn } : {}) },
  );
  const peering = new consul.Peering(
    `${name}-peering`,
    { peerName: a.cluster.name, peeringToken: token.peeringToken, meta: { "lucid-mesh-peer": a.cluster.name } },
    { ...opts, provider: b.provider, ...(b.dependsOn ? { dependsOn: b.dependsOn } : {}) },
  );
  return { token, peering };
}

/** Every unordered pair of clusters, in name order: the peerings a mesh needs. */
export function clusterPairs<T extends { readonly cluster: MeshCluster }>(sides: readonly T[]): Array<[T, T]> {
  const sorted = [...sides].sort((x, y) =>
    x.cluster.name < y.cluster.name ? -1 : x.cluster.name > y.cluster.name ? 1 : 0,
  );
  return sorted.flatMap((x, i) => sorted.slice(i + 1).map((y): [T, T] => [x, y]));
}
