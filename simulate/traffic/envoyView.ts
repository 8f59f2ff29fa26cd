/**
 * The parts of a rendered Envoy file set a request meets, parsed once: listeners (with their filter chains, the
 * HTTP route or TCP proxy cluster, RBAC and downstream TLS), clusters (endpoints by priority, with the transport
 * socket each endpoint picks through `transport_socket_matches`), the SDS certificate and trust bundle, and the
 * bootstrap's static clusters (`local_app`), and the DNS resolver each DNS cluster asks. Field meanings follow envoyproxy/envoy api/envoy/config/listener/v3,
 * api/envoy/config/cluster/v3 and api/envoy/extensions/transport_sockets/tls/v3.
 */
import * as yaml from "js-yaml";
import { envoyFiles } from "../../model/names";
import type { EnvoyFileSet } from "../../artifacts/envoy";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export interface SanMatcher {
  readonly kind: "exact" | "prefix" | "suffix" | "contains" | "other";
  readonly value: string;
}

export interface UpstreamTls {
  readonly sni?: string;
  readonly sanMatchers: readonly SanMatcher[];
  /** Path of the SDS file the client certificate comes from, and of the trust bundle. */
  readonly certificateSds?: string;
  readonly trustBundleSds?: string;
}

export interface Endpoint {
  readonly address: string;
  readonly port: number;
  readonly priority: number;
  readonly tls?: UpstreamTls;
}

/**
 * The resolver a DNS cluster asks, as Envoy picks it (envoyproxy/envoy source/common/upstream/
 * cluster_factory_impl.cc `selectDnsResolver`): the cluster's own `typed_dns_resolver_config` when its
 * `typed_config` has a type; else the server's, built from the bootstrap's `typed_dns_resolver_config`
 * (source/server/server.cc `getOrCreateDnsResolver`); else Envoy's default c-ares. c-ares without `resolvers`, or
 * with them as `use_resolvers_as_fallback`, keeps the servers of /etc/resolv.conf
 * (source/extensions/network/dns_resolver/cares/dns_impl.cc `maybeBuildResolversCsv`, `initializeChannel`).
 */
export interface DnsResolver {
  readonly from: "cluster" | "bootstrap" | "default";
  /** The servers c-ares asks, as `address:port`; empty means the system resolver (/etc/resolv.conf). */
  readonly servers: readonly string[];
  /** `resolvers` listed with `use_resolvers_as_fallback`: asked only if resolv.conf had no nameserver. */
  readonly fallback?: readonly string[];
}

export interface EnvoyCluster {
  readonly name: string;
  readonly type: string;
  readonly endpoints: readonly Endpoint[];
  /** Only for STRICT_DNS and LOGICAL_DNS clusters: the others resolve nothing. */
  readonly dns?: DnsResolver;
}

/** Envoy's default resolver (no bootstrap `typed_dns_resolver_config`): c-ares on /etc/resolv.conf. */
const DEFAULT_RESOLVER: DnsResolver = { from: "default", servers: [] };

/** Whether `dns` is the system resolver, which has no Consul DNS behind it (resolv.conf takes no port 8600). */
export function isSystemResolver(dns: DnsResolver): boolean {
  return dns.servers.length === 0;
}

export type RbacPrincipal =
  | { readonly kind: "any" }
  | { readonly kind: "authenticated"; readonly matcher: SanMatcher }
  | { readonly kind: "other"; readonly text: string };

export interface RbacPolicy {
  readonly name: string;
  readonly principals: readonly RbacPrincipal[];
}

export interface FilterChain {
  readonly name: string;
  readonly serverNames: readonly string[];
  /** The cluster an HTTP route (first route of the first virtual host) or a TCP proxy sends to. */
  readonly cluster?: string;
  readonly http: boolean;
  readonly rbac?: { readonly action: string; readonly policies: readonly RbacPolicy[] };
  readonly downstreamTls?: {
    readonly requireClientCertificate: boolean;
    readonly certificateSds?: string;
    readonly trustBundleSds?: string;
  };
}

export interface EnvoyListener {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly chains: readonly FilterChain[];
}

export interface EnvoyView {
  readonly set: EnvoyFileSet;
  readonly listeners: readonly EnvoyListener[];
  readonly clusters: ReadonlyMap<string, EnvoyCluster>;
  /** SDS file path → PEM strings it carries (certificate chain, or trusted CA). */
  readonly sds: ReadonlyMap<string, readonly string[]>;
}

function resourcesOf(text: string | undefined): Obj[] {
  if (text === undefined) return [];
  const doc = obj(yaml.load(text));
  return arr(doc.resources).map(obj);
}

function sanMatcher(m: Obj): SanMatcher {
  const matcher = obj(m.matcher ?? m);
  for (const kind of ["exact", "prefix", "suffix", "contains"] as const) {
    const value = str(matcher[kind]);
    if (value !== undefined) return { kind, value };
  }
  return { kind: "other", value: JSON.stringify(matcher) };
}

export function sanMatches(matcher: SanMatcher, san: string): boolean {
  switch (matcher.kind) {
    case "exact":
      return san === matcher.value;
    case "prefix":
      return san.startsWith(matcher.value);
    case "suffix":
      return san.endsWith(matcher.value);
    case "contains":
      return san.includes(matcher.value);
    default:
      return false;
  }
}

function sdsPath(config: unknown): string | undefined {
  return str(obj(obj(obj(config).sds_config).path_config_source).path);
}

function upstreamTls(socket: unknown): UpstreamTls | undefined {
  const typed = obj(obj(socket).typed_config);
  if (Object.keys(typed).length === 0) return undefined;
  const common = obj(typed.common_tls_context);
  const combined = obj(common.combined_validation_context);
  const validation = obj(combined.default_validation_context ?? common.validation_context);
  const certificate = sdsPath(arr(common.tls_certificate_sds_secret_configs)[0]);
  const bundle = sdsPath(combined.validation_context_sds_secret_config ?? common.validation_context_sds_secret_config);
  return {
    ...(str(typed.sni) ? { sni: str(typed.sni)! } : {}),
    sanMatchers: arr(validation.match_typed_subject_alt_names).map((m) => sanMatcher(obj(m))),
    ...(certificate ? { certificateSds: certificate } : {}),
    ...(bundle ? { trustBundleSds: bundle } : {}),
  };
}

/**
 * The resolver a `typed_dns_resolver_config` stands for, else undefined: a cluster's counts only when its
 * `typed_config` has a type (`selectDnsResolver`); the bootstrap's whenever it is set (dns_factory_util.h
 * `checkTypedDnsResolverConfigExist`).
 */
function resolverOf(config: unknown, from: "cluster" | "bootstrap"): DnsResolver | undefined {
  if (config === undefined || config === null) return undefined;
  const typed = obj(obj(config).typed_config);
  if (from === "cluster" && !str(typed["@type"])) return undefined;
  const listed = arr(typed.resolvers).map((r) => {
    const s = obj(obj(r).socket_address);
    return `${String(s.address ?? "")}:${String(s.port_value ?? "")}`;
  });
  // As a fallback the listed resolvers serve only when resolv.conf names no nameserver (dns_impl.cc
  // `initializeChannel`); Docker and Kubernetes always write one, so the system's serve.
  if (typed.use_resolvers_as_fallback === true) return { from, servers: [], fallback: listed };
  return { from, servers: listed };
}

const DNS_TYPES = new Set(["STRICT_DNS", "LOGICAL_DNS"]);

function parseCluster(c: Obj, serverResolver: DnsResolver): EnvoyCluster {
  const matches = arr(c.transport_socket_matches).map(obj);
  const defaultTls = upstreamTls(c.transport_socket);
  const endpoints: Endpoint[] = [];
  for (const group of arr(obj(c.load_assignment).endpoints).map(obj)) {
    const priority = Number(group.priority ?? 0);
    for (const lb of arr(group.lb_endpoints).map(obj)) {
      const socket = obj(obj(obj(lb.endpoint).address).socket_address);
      const wanted = obj(obj(obj(lb.metadata).filter_metadata)["envoy.transport_socket_match"]);
      // The first match whose every key equals the endpoint's metadata (an empty match takes any endpoint).
      const matched = matches.find((m) =>
        Object.entries(obj(m.match)).every(([k, v]) => wanted[k] !== undefined && wanted[k] === v),
      );
      const tls = matched ? upstreamTls(matched.transport_socket) : defaultTls;
      endpoints.push({
        address: String(socket.address ?? ""),
        port: Number(socket.port_value ?? 0),
        priority,
        ...(tls ? { tls } : {}),
      });
    }
  }
  const type = String(c.type ?? "STATIC");
  const dns = DNS_TYPES.has(type) ? (resolverOf(c.typed_dns_resolver_config, "cluster") ?? serverResolver) : undefined;
  return { name: String(c.name ?? ""), type, endpoints, ...(dns ? { dns } : {}) };
}

function parseChain(chain: Obj): FilterChain {
  const filters = arr(chain.filters).map(obj);
  let cluster: string | undefined;
  let http = false;
  let rbac: FilterChain["rbac"];
  for (const f of filters) {
    const typed = obj(f.typed_config);
    if (f.name === "envoy.filters.network.tcp_proxy") cluster = str(typed.cluster);
    if (f.name === "envoy.filters.network.http_connection_manager") {
      http = true;
      const host = obj(arr(obj(typed.route_config).virtual_hosts)[0]);
      cluster = str(obj(obj(arr(host.routes)[0]).route).cluster);
      const rbacFilter = arr(typed.http_filters)
        .map(obj)
        .find((h) => h.name === "envoy.filters.http.rbac");
      if (rbacFilter) {
        const rules = obj(obj(rbacFilter.typed_config).rules);
        rbac = {
          action: String(rules.action ?? "ALLOW"),
          policies: Object.entries(obj(rules.policies)).map(([name, p]) => ({
            name,
            principals: arr(obj(p).principals).map((x): RbacPrincipal => {
              const principal = obj(x);
              if (principal.any === true) return { kind: "any" };
              const auth = obj(principal.authenticated);
              if (auth.principal_name !== undefined) {
                return { kind: "authenticated", matcher: sanMatcher(obj(auth.principal_name)) };
              }
              return { kind: "other", text: JSON.stringify(principal) };
            }),
          })),
        };
      }
    }
  }
  const socket = obj(obj(chain.transport_socket).typed_config);
  const common = obj(socket.common_tls_context);
  const certificate = sdsPath(arr(common.tls_certificate_sds_secret_configs)[0]);
  const bundle = sdsPath(common.validation_context_sds_secret_config);
  return {
    name: String(chain.name ?? ""),
    serverNames: arr(obj(chain.filter_chain_match).server_names).map(String),
    ...(cluster !== undefined ? { cluster } : {}),
    http,
    ...(rbac ? { rbac } : {}),
    ...(Object.keys(socket).length > 0
      ? {
          downstreamTls: {
            requireClientCertificate: socket.require_client_certificate === true,
            ...(certificate ? { certificateSds: certificate } : {}),
            ...(bundle ? { trustBundleSds: bundle } : {}),
          },
        }
      : {}),
  };
}

function pemsOf(text: string | undefined): string[] {
  const pems: string[] = [];
  for (const secret of resourcesOf(text)) {
    const chain = str(obj(obj(secret.tls_certificate).certificate_chain).inline_string);
    const ca = str(obj(obj(secret.validation_context).trusted_ca).inline_string);
    for (const block of [chain, ca]) {
      if (block) pems.push(...(block.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []));
    }
  }
  return pems;
}

export function envoyView(set: EnvoyFileSet): EnvoyView {
  const file = (name: string): string | undefined => set.files[`${envoyFiles.directory}/${name}`];
  const listeners = resourcesOf(file(envoyFiles.listeners)).map((l): EnvoyListener => {
    const socket = obj(obj(l.address).socket_address);
    return {
      name: String(l.name ?? ""),
      address: String(socket.address ?? ""),
      port: Number(socket.port_value ?? 0),
      chains: arr(l.filter_chains).map((c) => parseChain(obj(c))),
    };
  });
  const clusters = new Map<string, EnvoyCluster>();
  const bootstrap = obj(yaml.load(file(envoyFiles.bootstrap) ?? "") ?? {});
  const serverResolver = resolverOf(bootstrap.typed_dns_resolver_config, "bootstrap") ?? DEFAULT_RESOLVER;
  for (const c of arr(obj(bootstrap.static_resources).clusters))
    clusters.set(String(obj(c).name), parseCluster(obj(c), serverResolver));
  for (const c of resourcesOf(file(envoyFiles.clusters))) clusters.set(String(c.name), parseCluster(c, serverResolver));
  const sds = new Map<string, string[]>();
  for (const [path, text] of Object.entries(set.files)) {
    if (path.startsWith(`${envoyFiles.secretsDirectory}/`) && path.endsWith(".yaml")) sds.set(path, pemsOf(text));
  }
  return { set, listeners, clusters, sds };
}
