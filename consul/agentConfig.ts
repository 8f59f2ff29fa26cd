/**
 * Consul server agent config as JSON objects, split in two: `server.json` holds no secret and may sit in a
 * ConfigMap; `secrets.json` holds the gossip key and the agent tokens and only ever goes into a Secret or a
 * secret upload. Consul merges every `*.json` in its config directory, so the two halves make one config.
 */
import type { Mesh, MeshCluster } from "../model";
import { consulPaths, consulPorts } from "./names";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface ServerConfigOptions {
  /** Other servers to join at start: addresses or DNS names. */
  readonly retryJoin: readonly string[];
  /** The server's own address, when it is fixed (Docker). @default Consul picks the only private address */
  readonly advertiseAddr?: string;
}

/** TLS paths every server and client of the API shares. */
export function consulTlsFiles(): { caFile: string; certFile: string; keyFile: string } {
  return {
    caFile: `${consulPaths.tlsDir}/${consulPaths.caFile}`,
    certFile: `${consulPaths.tlsDir}/${consulPaths.certFile}`,
    keyFile: `${consulPaths.tlsDir}/${consulPaths.keyFile}`,
  };
}

/**
 * Top-level `server.json` keys a running server applies on a reload (hashicorp/consul agent/agent.go
 * reloadConfigInternal: `a.logger.SetLevel(newCfg.Logging.LogLevel)`). The rest of this file is read at start only
 * (ports, addresses, datacenter, Raft and ACL settings; the TLS paths, whose files reload on their own).
 */
export const RELOADED_SERVER_KEYS: readonly string[] = ["log_level"];

/** The non-secret half of a server's agent config (`server.json`). */
export function consulServerConfig(mesh: Mesh, cluster: MeshCluster, opts: ServerConfigOptions): JsonObject {
  const tls = consulTlsFiles();
  return {
    server: true,
    datacenter: cluster.datacenter,
    bootstrap_expect: cluster.consul.servers,
    retry_join: [...opts.retryJoin],
    ...(opts.advertiseAddr ? { advertise_addr: opts.advertiseAddr } : {}),
    data_dir: consulPaths.dataDir,
    log_level: "INFO",
    log_json: true,
    ui_config: { enabled: cluster.consul.ui },
    bind_addr: "0.0.0.0",
    client_addr: "0.0.0.0",
    // The HTTPS API and DNS listen on every interface; the ports below decide what exists at all.
    addresses: { https: "0.0.0.0", dns: "0.0.0.0", grpc_tls: "0.0.0.0" },
    ports: {
      dns: consulPorts.dns,
      // No plaintext API: health checks use the HTTPS status endpoints, which need no token.
      http: -1,
      https: consulPorts.https,
      grpc: -1,
      // Peering streams run over the TLS gRPC port.
      grpc_tls: consulPorts.grpcTls,
      // Clusters are joined by cluster peering (servers dial each other's gRPC TLS port), never by WAN federation.
      serf_wan: -1,
    },
    tls: {
      defaults: {
        ca_file: tls.caFile,
        cert_file: tls.certFile,
        key_file: tls.keyFile,
        verify_incoming: true,
        verify_outgoing: true,
        tls_min_version: "TLSv1_2",
      },
      internal_rpc: { verify_server_hostname: true },
      // API callers (the Pulumi provider, consul-esm, browsers on the UI) authenticate with ACL tokens, not client
      // certificates; the connection is still TLS with the server's certificate.
      https: { verify_incoming: false },
      // Peer clusters' servers dial this port directly and prove themselves with the peering secret, not a client
      // certificate from our PKI; Consul answers them with its own Connect-CA certificate (see consul/peering.ts).
      grpc: { verify_incoming: false },
    },
    acl: {
      enabled: true,
      default_policy: "deny",
      enable_token_persistence: true,
      down_policy: "extend-cache",
    },
    enable_script_checks: false,
    enable_local_script_checks: false,
    disable_remote_exec: true,
    disable_update_check: true,
    telemetry: { prometheus_retention_time: "60s", disable_hostname: true },
    connect: { enabled: true },
    peering: { enabled: true },
    // No recursors: the servers answer only for `.consul`, which is all Envoy asks them.
    dns_config: {
      allow_stale: true,
      max_stale: "10s",
      node_ttl: "10s",
      service_ttl: { "*": "5s" },
      only_passing: true,
      enable_truncate: true,
    },
    // Consul meta keys allow only letters, digits, '-' and '_', so the contract's `lucid.mesh/` prefix becomes
    // `lucid-mesh-` here.
    node_meta: { "lucid-mesh-cluster": cluster.name, "lucid-mesh-trust-domain": mesh.trustDomain },
  };
}

export interface SecretsConfigInput {
  /** 32 random bytes, base64 (`consul keygen` format). */
  readonly gossipKey: string;
  /** SecretID of the initial management token. */
  readonly bootstrapToken: string;
  /** SecretID of the token the agent answers DNS with. */
  readonly dnsToken: string;
  /** SecretID of the token the agent registers its own node with. @default no agent token */
  readonly agentToken?: string;
}

/** The secret half of a server's agent config (`secrets.json`). */
export function consulSecretsConfig(input: SecretsConfigInput): JsonObject {
  return {
    encrypt: input.gossipKey,
    acl: {
      tokens: {
        initial_management: input.bootstrapToken,
        ...(input.agentToken ? { agent: input.agentToken } : {}),
        dns: input.dnsToken,
      },
    },
  };
}

/** Stable JSON text of a config: sorted keys, two-space indent, trailing newline. */
export function renderJson(value: JsonValue): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys(value[k] as JsonValue)]),
    );
  }
  return value;
}
