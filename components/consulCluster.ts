/**
 * One cluster's Consul servers with TLS, gossip encryption and default-deny ACLs, consul-esm, and a
 * `consul.Provider` for everything registered in it afterwards. The platform (Docker or Kubernetes) sits behind
 * `components/platform`; this file renders the files and owns the secrets.
 */
import * as consul from "@pulumi/consul";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { agentPolicy, dnsPolicy, esmPolicy } from "../consul/acl";
import { catalogSyncPolicy } from "../consul/catalogSyncAcl";
import { aclInitPaths, aclInitScript, policyFileName, type BootstrapToken } from "../consul/aclBootstrap";
import { consulSecretsConfig, consulServerConfig, renderJson } from "../consul/agentConfig";
import { esmConfig, esmSecretConfig } from "../consul/esmConfig";
import { consulApiHost, consulPaths, consulServerHosts } from "../consul/names";
import type { Mesh, MeshCluster } from "../model";
import { consulOnPlatform, type ConsulOnPlatform } from "./platform/clusterPlatform";
import type { RenderedFile } from "./platform/consulTypes";

/** TLS material for the servers, from the mesh PKI. */
export interface ConsulServerTls {
  /** The CA that signed the server certificates (the trust bundle). */
  readonly caPem: pulumi.Input<string>;
  /** Server certificate with its chain; must carry `server.<datacenter>.consul`. */
  readonly certPem: pulumi.Input<string>;
  /** The servers' private key. Kept secret. */
  readonly keyPem: pulumi.Input<string>;
}

export interface ConsulClusterArgs {
  /** The resolved mesh. */
  readonly mesh: Mesh;
  /** The cluster to deploy Consul into; its platform picks Docker or Kubernetes. */
  readonly cluster: MeshCluster;
  /** Server TLS from the PKI component (`ca.consulServer(cluster)` and `ca.trustBundlePem`). */
  readonly tls: ConsulServerTls;
  /** Where Consul runs. @default the cluster's own platform, on the default Docker WAN network */
  readonly platform?: ConsulOnPlatform;
}

/** 32 hex digits as a UUID: 8-4-4-4-12. */
export function uuidFromHex(hex: string): string {
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error("a token needs 16 random bytes");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Token roles whose SecretIDs must exist before Consul does (see consul/aclBootstrap.ts). */
const TOKEN_FILES = { dns: "dns", agent: "agent", esm: "esm", catalogSync: "catalog-sync" } as const;

export class ConsulCluster extends pulumi.ComponentResource {
  /** HTTPS API URL as the Pulumi program reaches it. */
  readonly apiAddress: pulumi.Output<string>;
  /** Web UI URL, or an empty string when the UI is off. */
  readonly uiAddress: pulumi.Output<string>;
  /** CA the API's certificate chains to. */
  readonly caPem: pulumi.Output<string>;
  /** Initial management token (secret). */
  readonly bootstrapToken: pulumi.Output<string>;
  /** The agents' DNS token (secret). */
  readonly dnsToken: pulumi.Output<string>;
  /** Consul provider for this cluster, authenticated with the bootstrap token. */
  readonly provider: consul.Provider;
  /**
   * What a workload waits for: Consul's servers answering DNS (on Kubernetes, with their DNS Service), the ACL
   * bootstrap that set the DNS token, consul-esm. Each waits on the config it needs, so depending on these orders a
   * workload as depending on the whole component did, with four URNs in each sidecar's state instead of every one
   * of the component's resources (issue 22: a dependsOn on a component expands to all its resources).
   */
  readonly serving: readonly pulumi.Resource[];

  /**
   * @param opts.provider the platform provider: a `docker.Provider` for Docker clusters, a `k8s.Provider` for
   * Kubernetes clusters.
   */
  constructor(name: string, args: ConsulClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("lucid:mesh:ConsulCluster", name, {}, opts);
    const { mesh, cluster } = args;
    const platform = args.platform ?? consulOnPlatform(cluster);
    const child = { parent: this };

    // Gossip key: 32 random bytes, base64, as `consul keygen` makes it.
    const gossip = new random.RandomBytes(`${name}-gossip-key`, { length: 32 }, child);
    // Token SecretIDs: 16 random bytes written as a UUID (Consul accepts only UUIDs). Not `RandomUuid`, whose value
    // is also its resource ID, and IDs are stored unencrypted; `RandomBytes` keeps its bytes in secret outputs only.
    const uuid = (role: string): pulumi.Output<string> =>
      pulumi.secret(new random.RandomBytes(`${name}-${role}-token`, { length: 16 }, child).hex.apply(uuidFromHex));
    const bootstrapToken = uuid("bootstrap");
    const tokens = { dns: uuid("dns"), agent: uuid("agent"), esm: uuid("esm") };
    // Pods registered through consul-k8s catalog sync: it has its own least-privilege token.
    const catalogSyncToken = platform.catalogSync ? uuid("catalog-sync") : undefined;

    const secretsConfig = pulumi.secret(
      pulumi
        .all([gossip.base64, bootstrapToken, tokens.dns, tokens.agent])
        .apply(([gossipKey, boot, dns, agent]) =>
          renderJson(consulSecretsConfig({ gossipKey, bootstrapToken: boot, dnsToken: dns, agentToken: agent })),
        ),
    );

    const hosts = consulServerHosts(cluster);
    const serverConfig = (index: number | "all"): string => {
      const self = index === "all" ? undefined : hosts[index];
      const fixedAddress =
        cluster.addresses.consulServersAdvertiseHost && self !== undefined ? { advertiseAddr: self } : {};
      return renderJson(
        consulServerConfig(mesh, cluster, { retryJoin: hosts.filter((h) => h !== self), ...fixedAddress }),
      );
    };

    const tlsFiles: RenderedFile[] = [
      { name: consulPaths.caFile, content: args.tls.caPem },
      { name: consulPaths.certFile, content: args.tls.certPem },
      { name: consulPaths.keyFile, content: pulumi.secret(args.tls.keyPem) },
    ];

    const bootstrapTokens: BootstrapToken[] = [
      { file: TOKEN_FILES.dns, policy: dnsPolicy(cluster), description: "Consul DNS (acl.tokens.dns)" },
      { file: TOKEN_FILES.agent, policy: agentPolicy(cluster), description: "Consul server agents (acl.tokens.agent)" },
      { file: TOKEN_FILES.esm, policy: esmPolicy(mesh, cluster), description: "consul-esm" },
      ...(catalogSyncToken
        ? [
            {
              file: TOKEN_FILES.catalogSync,
              policy: catalogSyncPolicy(mesh, cluster),
              description: "consul-k8s catalog sync",
            },
          ]
        : []),
    ];
    const aclInit = {
      config: [
        { name: aclInitPaths.script, content: aclInitScript(cluster, consulApiHost(cluster), bootstrapTokens) },
        ...bootstrapTokens.map((t) => ({ name: policyFileName(t.policy), content: t.policy.rules })),
      ],
      tokens: [
        { name: aclInitPaths.bootstrapToken, content: bootstrapToken },
        { name: TOKEN_FILES.dns, content: tokens.dns },
        { name: TOKEN_FILES.agent, content: tokens.agent },
        { name: TOKEN_FILES.esm, content: tokens.esm },
        ...(catalogSyncToken ? [{ name: TOKEN_FILES.catalogSync, content: catalogSyncToken }] : []),
      ],
    };

    const deployed = platform.deploy(
      {
        name,
        mesh,
        cluster,
        serverConfig,
        secretsConfig,
        tlsFiles,
        aclInit,
        esm: { config: renderJson(esmConfig(cluster)), token: tokens.esm.apply((t) => renderJson(esmSecretConfig(t))) },
        labels: (role) => ({ "lucid.mesh/role": role, "lucid.mesh/cluster": cluster.name }),
        ...(catalogSyncToken ? { catalogSyncToken } : {}),
      },
      { parent: this, ...(opts.provider ? { provider: opts.provider } : {}) },
    );

    this.apiAddress = deployed.apiAddress;
    this.serving = deployed.serving;
    this.uiAddress = cluster.consul.ui ? deployed.apiAddress.apply((a) => `${a}/ui/`) : pulumi.output("");
    this.caPem = pulumi.output(args.tls.caPem);
    this.bootstrapToken = bootstrapToken;
    this.dnsToken = tokens.dns;
    this.provider = new consul.Provider(
      `${name}-provider`,
      {
        address: this.apiAddress,
        scheme: "https",
        datacenter: cluster.datacenter,
        caPem: this.caPem,
        token: this.bootstrapToken,
      },
      { parent: this, dependsOn: [...deployed.ready] },
    );

    this.registerOutputs({
      apiAddress: this.apiAddress,
      uiAddress: this.uiAddress,
      caPem: this.caPem,
      bootstrapToken: this.bootstrapToken,
      dnsToken: this.dnsToken,
      provider: this.provider,
    });
  }
}
