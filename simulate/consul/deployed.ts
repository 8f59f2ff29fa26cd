/**
 * What each Consul datacenter is given, read from the recorded resources the way the processes read it: the
 * agent's config files, the ACL bootstrap's policies and tokens, consul-esm's config and token, Prometheus' token
 * files, and the `consul:index/*` resources with their provider. Docker uploads and Kubernetes ConfigMaps/Secrets
 * look the same here: files by cluster, role and base name.
 */
import { resourceLabels } from "../../artifacts/labels";
import * as path from "node:path";
import type { RecordedResource } from "../recorder";
import type { Deployment } from "../system";
import { AclRulesError, parseAclRules, type AclPolicyRules, type TokenAuthority } from "./aclRules";
import { stableUuid } from "../modelKit";

export const CONSUL_PROVIDER = "pulumi:providers:consul";
export const CONSUL_TYPES = {
  aclPolicy: "consul:index/aclPolicy:AclPolicy",
  aclToken: "consul:index/aclToken:AclToken",
  configEntry: "consul:index/configEntry:ConfigEntry",
  node: "consul:index/node:Node",
  service: "consul:index/service:Service",
  peering: "consul:index/peering:Peering",
  peeringToken: "consul:index/peeringToken:PeeringToken",
} as const;

export interface DeployedFile {
  readonly cluster: string;
  readonly role: string;
  /** Base name: `secrets.json`, `token.json`, `dns`, `lucid-dns.hcl`. */
  readonly name: string;
  readonly content: string;
  readonly urn: string;
}

/**
 * Roles whose files are the Consul agent's and the bootstrap's: on Docker the server reads them from volumes its
 * writer (`consul-config`) fills, and the one-shot bootstrap (`consul-acl-init`) carries the token files.
 */
const CONSUL_FILE_ROLES: ReadonlySet<string> = new Set(["consul-server", "consul-config", "consul-acl-init"]);

/** Every file a container or a ConfigMap/Secret carries, with its cluster and role labels. */
export function deployedFiles(resources: readonly RecordedResource[]): DeployedFile[] {
  const files: DeployedFile[] = [];
  for (const r of resources) {
    const labels = resourceLabels(r);
    const cluster = labels["lucid.mesh/cluster"] ?? "";
    const role = labels["lucid.mesh/role"] ?? "";
    const add = (file: string, content: unknown): void => {
      if (typeof content === "string")
        files.push({ cluster, role, name: path.posix.basename(file), content, urn: r.urn });
    };
    if (r.type === "docker:index/container:Container") {
      for (const u of (r.inputs.uploads ?? []) as Array<{ file: string; content?: unknown }>) add(u.file, u.content);
    } else if (r.type === "kubernetes:core/v1:ConfigMap" || r.type === "kubernetes:core/v1:Secret") {
      const data = { ...((r.inputs.data ?? {}) as object), ...((r.inputs.stringData ?? {}) as object) };
      for (const [key, content] of Object.entries(data)) add(key, content);
    }
  }
  return files;
}

function json(content: string): Record<string, unknown> {
  try {
    return JSON.parse(content) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** A token Consul knows, with who holds its accessor (for messages) and what it may do. */
export interface KnownToken {
  readonly accessor: string;
  readonly authority: TokenAuthority;
}

/** The secret the invoke model hands back for an `AclToken`'s accessor (simulate/consul/index.ts). */
export function modelSecretIdOf(accessorId: string): string {
  return stableUuid("secret", accessorId);
}

/** What one datacenter's Consul is given. */
export interface ConsulDatacenter {
  readonly datacenter: string;
  readonly cluster: string;
  /** Node names of the servers: Docker container hostnames, StatefulSet pod names. */
  readonly serverNodes: readonly string[];
  readonly onlyPassing: boolean;
  /** SecretID → token, for every token that exists in this datacenter once the bootstrap ran. */
  readonly tokens: ReadonlyMap<string, KnownToken>;
  /** The `consul.AclPolicy` resources of this datacenter, by policy name. */
  readonly policies: ReadonlyMap<string, AclPolicyRules>;
  readonly dnsToken?: string;
  /** `acl.tokens.agent`: what each server registers its own node with. */
  readonly agentToken?: string;
  readonly esm?: { readonly token?: string; readonly externalNodeMeta: Readonly<Record<string, string>> };
  /** Policies that could not be parsed: Consul refuses them. */
  readonly badPolicies: ReadonlyArray<{ readonly subject: string; readonly message: string }>;
}

export interface ConsulView {
  readonly datacenters: readonly ConsulDatacenter[];
  /** Provider URN (`urn::id` reference as resources carry it) → datacenter. */
  readonly providerDatacenter: ReadonlyMap<string, string>;
  /** Pulumi provider token by datacenter. */
  readonly providerToken: ReadonlyMap<string, string>;
  /** Prometheus' Consul token by datacenter. */
  readonly prometheusToken: ReadonlyMap<string, string>;
  readonly byDatacenter: (dc: string) => ConsulDatacenter | undefined;
  readonly datacenterOf: (resource: RecordedResource) => string | undefined;
}

function serverNodes(resources: readonly RecordedResource[], cluster: string): string[] {
  const nodes: string[] = [];
  for (const r of resources) {
    const labels = resourceLabels(r);
    if (labels["lucid.mesh/role"] !== "consul-server" || labels["lucid.mesh/cluster"] !== cluster) continue;
    if (r.type === "docker:index/container:Container") {
      if (typeof r.inputs.hostname === "string") nodes.push(r.inputs.hostname);
    } else if (r.type === "kubernetes:apps/v1:StatefulSet") {
      const name = (r.inputs.metadata as { name?: string } | undefined)?.name ?? r.name;
      const replicas = Number((r.inputs.spec as { replicas?: number } | undefined)?.replicas ?? 1);
      for (let i = 0; i < replicas; i++) nodes.push(`${name}-${i}`);
    }
  }
  return nodes.sort();
}

/** `ensure_token '<file>' '<policy>'` and `ensure_policy '<name>' '<desc>' '<file>'` lines of the bootstrap script. */
function bootstrapLinks(script: string): Array<{ tokenFile: string; policy: string }> {
  const quoted = (s: string): string => s.replace(/'\\''/g, "'");
  const links: Array<{ tokenFile: string; policy: string }> = [];
  for (const m of script.matchAll(/^ensure_token '((?:[^']|'\\'')*)' '((?:[^']|'\\'')*)'/gm)) {
    links.push({ tokenFile: path.posix.basename(quoted(m[1]!)), policy: quoted(m[2]!) });
  }
  return links;
}

function providerKey(reference: string): string {
  return reference.split("::").slice(0, -1).join("::");
}

/** Reads the whole Consul side of a deployment. */
export function consulView(deployment: Deployment): ConsulView {
  const { resources } = deployment;
  const files = deployedFiles(resources);
  const providerDatacenter = new Map<string, string>();
  const providerToken = new Map<string, string>();
  for (const r of resources) {
    if (r.type !== CONSUL_PROVIDER) continue;
    const dc = r.inputs.datacenter;
    if (typeof dc !== "string") continue;
    providerDatacenter.set(r.urn, dc);
    if (typeof r.inputs.token === "string") providerToken.set(dc, r.inputs.token);
  }
  const datacenterOf = (r: RecordedResource): string | undefined => {
    if (typeof r.inputs.datacenter === "string") return r.inputs.datacenter;
    return r.provider ? providerDatacenter.get(providerKey(r.provider)) : undefined;
  };

  const serverConfigs = files.filter((f) => CONSUL_FILE_ROLES.has(f.role) && f.name === "server.json");
  const clusters = new Map<string, { datacenter: string; onlyPassing: boolean }>();
  for (const f of serverConfigs) {
    const config = json(f.content);
    const dns = (config.dns_config ?? {}) as { only_passing?: boolean };
    if (typeof config.datacenter === "string") {
      clusters.set(f.cluster, { datacenter: config.datacenter, onlyPassing: dns.only_passing === true });
    }
  }

  const prometheusToken = new Map<string, string>();
  for (const f of files) {
    const m = f.role === "prometheus" ? /^consul-(.+)\.token$/.exec(f.name) : null;
    const dc = m ? clusters.get(m[1]!)?.datacenter : undefined;
    if (dc) prometheusToken.set(dc, f.content.trim());
  }

  const datacenters = [...clusters].map(([cluster, { datacenter, onlyPassing }]): ConsulDatacenter => {
    const mine = files.filter((f) => f.cluster === cluster);
    const tokens = new Map<string, KnownToken>();
    const badPolicies: Array<{ subject: string; message: string }> = [];
    const parse = (subject: string, rules: string): AclPolicyRules | undefined => {
      try {
        return parseAclRules(rules);
      } catch (error) {
        if (!(error instanceof AclRulesError)) throw error;
        badPolicies.push({ subject, message: error.message });
        return undefined;
      }
    };

    const secrets = mine.find((f) => CONSUL_FILE_ROLES.has(f.role) && f.name === "secrets.json");
    const agentTokens =
      ((json(secrets?.content ?? "{}").acl ?? {}) as { tokens?: Record<string, string> }).tokens ?? {};
    if (agentTokens.initial_management) {
      tokens.set(agentTokens.initial_management, { accessor: "initial management", authority: { kind: "management" } });
    }

    // The bootstrap script creates each token with the policy named next to its file.
    const script = mine.find((f) => f.name === "bootstrap.sh");
    for (const link of script ? bootstrapLinks(script.content) : []) {
      const secret = mine.find((f) => CONSUL_FILE_ROLES.has(f.role) && f.name === link.tokenFile);
      const policyFile = mine.find((f) => f.name === `${link.policy}.hcl`);
      const rules = policyFile ? parse(`${policyFile.urn} ${policyFile.name}`, policyFile.content) : undefined;
      if (secret) {
        tokens.set(secret.content.trim(), {
          accessor: `${link.tokenFile} (${link.policy})`,
          authority: { kind: "policies", policies: rules ? [rules] : [] },
        });
      }
    }

    // Tokens the Pulumi program creates: their policies are `AclPolicy` resources of the same datacenter.
    const policies = new Map<string, AclPolicyRules>();
    for (const r of resources) {
      if (r.type !== CONSUL_TYPES.aclPolicy || datacenterOf(r) !== datacenter) continue;
      const rules = parse(r.urn, String(r.inputs.rules ?? ""));
      if (rules && typeof r.inputs.name === "string") policies.set(r.inputs.name, rules);
    }
    for (const r of resources) {
      if (r.type !== CONSUL_TYPES.aclToken || datacenterOf(r) !== datacenter) continue;
      const accessor = deployment.outputsOf(r.urn)?.accessorId;
      if (typeof accessor !== "string") continue;
      const names = (r.inputs.policies ?? []) as string[];
      tokens.set(modelSecretIdOf(accessor), {
        accessor,
        authority: { kind: "policies", policies: names.flatMap((n) => policies.get(n) ?? []) },
      });
    }

    const esmConfig = mine.find((f) => f.role === "consul-esm" && f.name === "esm.json");
    const esmToken = mine.find((f) => f.role === "consul-esm" && f.name === "token.json");
    const esmMeta = (json(esmConfig?.content ?? "{}").external_node_meta ?? { "external-node": "true" }) as Record<
      string,
      string
    >;
    const esmSecret = json(esmToken?.content ?? "{}").token;
    return {
      datacenter,
      cluster,
      serverNodes: serverNodes(resources, cluster),
      onlyPassing,
      tokens,
      policies,
      ...(agentTokens.dns ? { dnsToken: agentTokens.dns } : {}),
      ...(agentTokens.agent ? { agentToken: agentTokens.agent } : {}),
      ...(esmConfig
        ? { esm: { ...(typeof esmSecret === "string" ? { token: esmSecret } : {}), externalNodeMeta: esmMeta } }
        : {}),
      badPolicies,
    };
  });

  return {
    datacenters,
    providerDatacenter,
    providerToken,
    prometheusToken,
    byDatacenter: (dc) => datacenters.find((d) => d.datacenter === dc),
    datacenterOf,
  };
}

/** Consul's anonymous token: what a request with an unknown or no SecretID gets, no policies here. */
export const ANONYMOUS_TOKEN: KnownToken = {
  accessor: "00000000-0000-0000-0000-000000000002 (anonymous)",
  authority: { kind: "policies", policies: [] },
};

/** The token a SecretID stands for, or the anonymous token (no policies) when Consul does not know it. */
export function tokenFor(dc: ConsulDatacenter, secret: string | undefined): KnownToken {
  const known = secret === undefined ? undefined : dc.tokens.get(secret);
  return known ?? ANONYMOUS_TOKEN;
}
