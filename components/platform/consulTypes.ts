/**
 * Between ConsulCluster and the platform it runs on (chosen in clusterPlatform.ts). The component renders every file (pure, from
 * consul/); a platform only decides how those files and containers become Docker or Kubernetes resources.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Mesh, MeshCluster } from "../../model";

/** A file for a container: `content` is a secret Output when `secret` is set. */
export interface RenderedFile {
  readonly name: string;
  readonly content: pulumi.Input<string>;
}

export interface ConsulPlatformInputs<C extends MeshCluster = MeshCluster> {
  /** Prefix of every child resource name (the component's name). */
  readonly name: string;
  readonly mesh: Mesh;
  readonly cluster: C;
  /** `server.json` for server `index`: Docker gives each its own (own address, others to join). */
  readonly serverConfig: (index: number | "all") => string;
  /** `secrets.json` (secret). */
  readonly secretsConfig: pulumi.Output<string>;
  /** PEMs for `/consul/tls`: CA, certificate chain and key (the key secret). */
  readonly tlsFiles: readonly RenderedFile[];
  /** ACL bootstrap job: its script and policy files, and its token files (secret). */
  readonly aclInit: { readonly config: readonly RenderedFile[]; readonly tokens: readonly RenderedFile[] };
  /** consul-esm: `esm.json` and `token.json` (secret). */
  readonly esm: { readonly config: string; readonly token: pulumi.Output<string> };
  /** Kubernetes: the SecretID of consul-k8s catalog sync's ACL token (secret). */
  readonly catalogSyncToken?: pulumi.Output<string>;
  /** Docker: the shared WAN network the servers also join, for cluster peering. @default `lucid-mesh-wan` */
  readonly wanNetworkName?: pulumi.Input<string>;
  /** Labels of the contract (`lucid.mesh/role`, `lucid.mesh/cluster`) for a role. */
  readonly labels: (
    role: "consul-server" | "consul-config" | "consul-acl-init" | "consul-esm" | "consul-catalog-sync",
  ) => Record<string, string>;
}

export interface ConsulPlatformResult {
  /** HTTPS API address as the Pulumi program reaches it. */
  readonly apiAddress: pulumi.Output<string>;
  /** Resources the cluster's consumers must wait for (servers up, ACLs bootstrapped). */
  readonly ready: readonly pulumi.Resource[];
  /**
   * What a workload waits for, a subset of `ready`: the servers answering DNS, the ACL bootstrap that set the DNS
   * token, consul-esm that turns the checks passing. Each is listed in every sidecar's state, so no more.
   */
  readonly serving: readonly pulumi.Resource[];
}

/** A platform deploys the rendered files; `opts` carries the parent and the platform provider. */
export type ConsulPlatform<C extends MeshCluster = MeshCluster> = (
  inputs: ConsulPlatformInputs<C>,
  opts: pulumi.CustomResourceOptions,
) => ConsulPlatformResult;
