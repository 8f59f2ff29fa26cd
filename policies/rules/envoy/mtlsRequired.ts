import { resourceRule } from "../../lib/policy";
import type { Json } from "../../lib/props";
import { asArray, asRecord, asRecords, asString, at, isRecord } from "../../lib/props";
import { DEFAULT_TRUST_DOMAIN, envoyFiles, envoyNames, SIDECAR_PORT_DEFAULTS } from "../../vendor/model/names";
import {
  DOWNSTREAM_TLS,
  EDGE_LISTENER_PREFIX,
  TCP_PROXY,
  TLS_INSPECTOR,
  UPSTREAM_TLS,
  clusterTransportSockets,
  envoyConfigOf,
  filterChains,
  filterIs,
  httpConnectionManagers,
  isEdgeListener,
  isInboundListener,
  isPublicListener,
  isUpstreamCluster,
  mustCarrySidecarConfig,
  nameOf,
  routesOf,
  sdsSecretsOf,
  socketAddress,
  tlsContext,
  validationContexts,
} from "../../lib/envoyArtifacts";
import { parseWorkloadId } from "../../lib/spiffe";
import type { ResourceInput } from "../../lib/types";
import { types } from "../../lib/types";

export const mtlsRequiredDefaults = {
  /** The sidecar's inbound listener port (seed: proxy_port 15001). */
  proxyPort: SIDECAR_PORT_DEFAULTS.proxyPort,
  minTlsVersion: "TLSv1_2",
  /** The trust domain upstream SAN matchers must pin. */
  trustDomain: DEFAULT_TRUST_DOMAIN,
  /** The sidecar's health listener port (model sidecar.healthPort). */
  healthPort: SIDECAR_PORT_DEFAULTS.healthPort,
};
export type MtlsRequiredConfig = typeof mtlsRequiredDefaults;

const TLS_VERSIONS = ["TLSv1_0", "TLSv1_1", "TLSv1_2", "TLSv1_3"];

/** Envoy's TLS_AUTO means TLSv1_2 as a minimum on both sides, so it ranks there. */
function tlsRank(version: string): number {
  return version === "TLS_AUTO" ? TLS_VERSIONS.indexOf("TLSv1_2") : TLS_VERSIONS.indexOf(version);
}

function minimumVersion(context: Json): string | undefined {
  return asString(at(context, "common_tls_context", "tls_params", "tls_minimum_protocol_version"));
}

function versionProblem(where: string, context: Json, config: MtlsRequiredConfig): string | undefined {
  const version = minimumVersion(context);
  if (version === undefined || tlsRank(version) >= tlsRank(config.minTlsVersion)) return undefined;
  return `${where}: tls_minimum_protocol_version is ${version}; set common_tls_context.tls_params.tls_minimum_protocol_version to ${config.minTlsVersion} or later.`;
}

/** A trust anchor: an SDS validation context, or an inline/file trusted CA, directly or inside a combined context. */
function hasValidationContext(common: Json | undefined): boolean {
  if (!common) return false;
  if (isRecord(common.validation_context_sds_secret_config)) return true;
  if (isRecord(at(common, "validation_context", "trusted_ca"))) return true;
  const combined = asRecord(common.combined_validation_context);
  return (
    isRecord(combined?.validation_context_sds_secret_config) ||
    isRecord(at(combined, "default_validation_context", "trusted_ca"))
  );
}

/** Validation settings that accept a peer the trust bundle does not vouch for. */
function trustProblems(where: string, common: unknown): string[] {
  const problems: string[] = [];
  for (const context of validationContexts(common)) {
    if (context.trust_chain_verification === "ACCEPT_UNTRUSTED") {
      problems.push(
        `${where} sets trust_chain_verification: ACCEPT_UNTRUSTED, so any certificate is accepted; remove it (VERIFY_TRUST_CHAIN is the default).`,
      );
    }
    if (context.allow_expired_certificate === true) {
      problems.push(`${where} accepts expired certificates; remove allow_expired_certificate.`);
    }
  }
  return problems;
}

const SAN_MATCHER_KINDS = ["exact", "prefix", "suffix", "contains", "safe_regex"];

interface SanMatcher {
  readonly kind: string;
  readonly value: string;
  readonly sanType: string;
}

/** Every SAN matcher an upstream context checks the server against (typed, and the deprecated untyped list). */
function sanMatchers(common: Json | undefined): SanMatcher[] {
  const matchers: SanMatcher[] = [];
  const read = (matcher: Json | undefined, sanType: string): void => {
    if (!matcher) return;
    const kind = SAN_MATCHER_KINDS.find((k) => matcher[k] !== undefined) ?? "unknown";
    const raw = matcher[kind];
    const value = typeof raw === "string" ? raw : JSON.stringify(raw ?? null);
    matchers.push({
      kind: matcher.ignore_case === true && kind === "exact" ? "exact, ignore_case" : kind,
      value,
      sanType,
    });
  };
  for (const context of validationContexts(common)) {
    for (const typed of asRecords(context.match_typed_subject_alt_names)) {
      read(asRecord(typed.matcher), asString(typed.san_type) ?? "SAN_TYPE_UNSPECIFIED");
    }
    for (const matcher of asRecords(context.match_subject_alt_names)) read(matcher, "any");
  }
  return matchers;
}

function checkInbound(listener: Json, config: MtlsRequiredConfig): string[] {
  const where = `listener "${nameOf(listener)}"`;
  const chains = filterChains(listener);
  if (chains.length === 0)
    return [`${where} has no filter chains; give it a filter chain with a DownstreamTlsContext.`];
  const problems: string[] = [];
  chains.forEach((chain, index) => {
    const chainName = `${where} filter chain ${index}`;
    const context = tlsContext(chain.transport_socket, DOWNSTREAM_TLS);
    if (!context) {
      problems.push(
        `${chainName} accepts plaintext; add an envoy.transport_sockets.tls transport socket with a DownstreamTlsContext.`,
      );
      return;
    }
    if (context.require_client_certificate !== true) {
      problems.push(`${chainName} does not require client certificates; set require_client_certificate: true.`);
    }
    if (!hasValidationContext(asRecord(context.common_tls_context))) {
      problems.push(
        `${chainName} has no validation context; set common_tls_context.validation_context_sds_secret_config to the trust bundle (or an inline trusted_ca).`,
      );
    }
    problems.push(...trustProblems(chainName, context.common_tls_context));
    if (minimumVersion(context) === undefined) {
      problems.push(
        `${chainName} leaves the minimum TLS version implicit; set common_tls_context.tls_params.tls_minimum_protocol_version to ${config.minTlsVersion}.`,
      );
    } else {
      const problem = versionProblem(chainName, context, config);
      if (problem) problems.push(problem);
    }
  });
  return problems;
}

/** A chain that only forwards TLS it does not terminate, chosen by SNI: the mesh gateway's passthrough. */
function isSniPassthrough(listener: Json, chain: Json): boolean {
  const serverNames = asRecords([at(chain, "filter_chain_match")]).flatMap((m) => asArray(m.server_names));
  const inspects = asRecords(listener.listener_filters).some((f) => filterIs(f, TLS_INSPECTOR, ".TlsInspector"));
  const filters = asRecords(chain.filters);
  return (
    serverNames.length > 0 &&
    inspects &&
    filters.length > 0 &&
    filters.every((f) => filterIs(f, TCP_PROXY, ".TcpProxy"))
  );
}

/**
 * The generated health listener of a TCP service (envoy/listener/health.ts): Consul's TCP check connects through it
 * to the app. It is tolerated by name, port and target only, and is a known plaintext path to a TCP app (reported
 * to the data-plane owner); any other plaintext TCP forwarder on a public address fails.
 */
function isTcpHealthCheck(listener: Json, chain: Json, config: MtlsRequiredConfig): boolean {
  const filters = asRecords(chain.filters);
  return (
    nameOf(listener) === envoyNames.healthListener &&
    socketAddress(listener.address).port === config.healthPort &&
    filters.length === 1 &&
    filters.every(
      (f) => filterIs(f, TCP_PROXY, ".TcpProxy") && at(f, "typed_config", "cluster") === envoyNames.localAppCluster,
    )
  );
}

/** What a plaintext HTTP chain forwards beyond fixed paths (health, metrics): a prefix, regex or other matcher. */
function openRoutes(chain: Json): string[] {
  const open: string[] = [];
  for (const manager of httpConnectionManagers(chain)) {
    if (!isRecord(manager.route_config)) open.push("routes from RDS (not checkable)");
    for (const route of routesOf(manager)) {
      if (route.direct_response !== undefined) continue;
      const match = asRecord(route.match) ?? {};
      const exactPath = asString(match.path);
      if (
        exactPath !== undefined &&
        Object.keys(match).every((k) => ["path", "headers", "query_parameters"].includes(k))
      ) {
        continue;
      }
      open.push(JSON.stringify(match));
    }
  }
  return open;
}

/**
 * Listeners other than the inbound one. On a public address each chain either terminates TLS (with client
 * certificates unless the listener is an edge listener), passes TLS through by SNI, or serves only fixed paths in
 * plaintext (health, metrics). Anything else is a second, plaintext way into the workload.
 */
function checkOtherListener(listener: Json, config: MtlsRequiredConfig): string[] {
  const where = `listener "${nameOf(listener)}"`;
  const problems: string[] = [];
  const exposed = isPublicListener(listener);
  filterChains(listener).forEach((chain, index) => {
    const chainName = `${where} filter chain ${index}`;
    const context = tlsContext(chain.transport_socket, DOWNSTREAM_TLS);
    if (context) {
      const problem = versionProblem(where, context, config);
      if (problem) problems.push(problem);
      problems.push(...trustProblems(chainName, context.common_tls_context));
      if (exposed && context.require_client_certificate !== true && !isEdgeListener(listener)) {
        problems.push(
          `${chainName} terminates TLS on a public address without requiring client certificates; set require_client_certificate: true, or mark it as the edge (name ${EDGE_LISTENER_PREFIX}…).`,
        );
      }
      return;
    }
    if (!exposed || isSniPassthrough(listener, chain) || isTcpHealthCheck(listener, chain, config)) return;
    const httpManagers = httpConnectionManagers(chain);
    if (httpManagers.length === 0) {
      problems.push(
        `${chainName} accepts plaintext on a public address and forwards it; give it a DownstreamTlsContext that requires client certificates, or bind it to 127.0.0.1.`,
      );
      return;
    }
    const open = openRoutes(chain);
    if (open.length > 0) {
      problems.push(
        `${chainName} is a second plaintext listener on a public address, routing ${open.join(", ")}; serve mesh traffic only on the mTLS inbound listener, or bind it to 127.0.0.1.`,
      );
    }
  });
  return problems;
}

function checkUpstream(cluster: Json, config: MtlsRequiredConfig): string[] {
  const where = `cluster "${nameOf(cluster)}"`;
  const service = nameOf(cluster).slice(envoyNames.upstreamCluster("").length);
  const problems: string[] = [];
  if (!tlsContext(cluster.transport_socket, UPSTREAM_TLS)) {
    problems.push(
      isRecord(cluster.transport_socket) || asRecords(cluster.transport_socket_matches).length === 0
        ? `${where} connects without mTLS; give it a transport_socket with an UpstreamTlsContext and the service certificate.`
        : `${where} has transport_socket_matches but no default transport_socket, so endpoints that match no entry get plaintext; add a default transport_socket with an UpstreamTlsContext.`,
    );
  }
  const sockets = clusterTransportSockets(cluster);
  for (const socket of sockets) {
    const context = tlsContext(socket, UPSTREAM_TLS);
    if (!context) {
      if (socket !== cluster.transport_socket) {
        problems.push(`${where} has a transport_socket_matches entry without mTLS; give it an UpstreamTlsContext.`);
      }
      continue;
    }
    const common = asRecord(context.common_tls_context);
    const matchers = sanMatchers(common);
    if (matchers.length === 0) {
      problems.push(
        `${where} does not pin the server's SPIFFE ID; add match_typed_subject_alt_names with san_type URI and the spiffe:// ID of the upstream service.`,
      );
    }
    for (const matcher of matchers) {
      const id = matcher.kind === "exact" && matcher.sanType === "URI" ? parseWorkloadId(matcher.value) : undefined;
      if (!id) {
        problems.push(
          `${where} matches the server's SAN by ${matcher.kind} ${matcher.value} (san_type ${matcher.sanType}), which admits other identities; match san_type URI exactly against spiffe://${config.trustDomain}/ns/<ns>/dc/<dc>/svc/${service}.`,
        );
      } else if (id.trustDomain !== config.trustDomain || id.service !== service) {
        problems.push(
          `${where} expects the server to be ${matcher.value}, not service "${service}" in trust domain ${config.trustDomain}; pin the upstream's own SPIFFE ID.`,
        );
      }
    }
    if (!hasValidationContext(common)) {
      problems.push(
        `${where} has no trust bundle; add a validation_context_sds_secret_config for the mesh trust bundle.`,
      );
    }
    problems.push(...trustProblems(where, common));
    const problem = versionProblem(where, context, config);
    if (problem) problems.push(problem);
  }
  return problems;
}

/** SDS documents: the trust bundle must not relax verification either (it is merged into every context). */
function checkSds(input: ResourceInput): string[] {
  const { secrets, errors } = sdsSecretsOf(input);
  const problems = errors.map((e) => `${e}; fix the file so its TLS settings can be checked.`);
  for (const secret of secrets) {
    problems.push(
      ...trustProblems(`SDS secret "${nameOf(secret)}"`, { validation_context: secret.validation_context }),
    );
  }
  return problems;
}

/** Inbound listeners demand client certificates; upstream clusters present one and verify the SPIFFE ID. */
export function checkMtlsRequired(input: ResourceInput, config: MtlsRequiredConfig): string[] {
  if (input.type === types.secret) return checkSds(input);
  const envoy = envoyConfigOf(input);
  if (!envoy) {
    return mustCarrySidecarConfig(input)
      ? [
          `this sidecar carries no Envoy config (${envoyFiles.directory}/${envoyFiles.listeners}), so nothing proves it requires mTLS; deliver the generated files.`,
        ]
      : [];
  }
  const problems = [...envoy.errors.map((e) => `${e}; fix the file so its TLS settings can be checked.`)];
  const inbound = envoy.listeners.filter((l) => isInboundListener(l, config.proxyPort));
  if (inbound.length === 0 && mustCarrySidecarConfig(input)) {
    problems.push(
      `this sidecar has no inbound listener ("${envoyNames.inboundListener}" on port ${config.proxyPort}), so nothing proves it requires mTLS; deliver a listener file with the inbound mTLS listener.`,
    );
  }
  for (const listener of envoy.listeners) {
    problems.push(
      ...(isInboundListener(listener, config.proxyPort)
        ? checkInbound(listener, config)
        : checkOtherListener(listener, config)),
    );
  }
  for (const cluster of envoy.clusters) {
    if (isUpstreamCluster(cluster)) {
      problems.push(...checkUpstream(cluster, config));
    } else {
      for (const socket of clusterTransportSockets(cluster)) {
        const context = tlsContext(socket, UPSTREAM_TLS);
        if (!context) continue;
        const problem = versionProblem(`cluster "${nameOf(cluster)}"`, context, config);
        if (problem) problems.push(problem);
        problems.push(...trustProblems(`cluster "${nameOf(cluster)}"`, context.common_tls_context));
      }
    }
  }
  if (input.type === types.dockerContainer) problems.push(...checkSds(input));
  return problems;
}

export const mtlsRequired = resourceRule(
  {
    name: "lucid-envoy-mtls-required",
    description: "Require mTLS with SPIFFE identities on every sidecar's inbound listener and upstream clusters.",
    severity: "critical",
    appliesTo: [types.dockerContainer, types.configMap, types.secret],
    defaults: mtlsRequiredDefaults,
    configSchema: {
      properties: {
        proxyPort: {
          type: "integer",
          minimum: 1,
          maximum: 65535,
          default: mtlsRequiredDefaults.proxyPort,
          description: "Port of the inbound mTLS listener.",
        },
        minTlsVersion: {
          type: "string",
          enum: ["TLSv1_2", "TLSv1_3"],
          default: mtlsRequiredDefaults.minTlsVersion,
          description: "Lowest acceptable tls_minimum_protocol_version.",
        },
        healthPort: { type: "integer", minimum: 1, maximum: 65535, default: mtlsRequiredDefaults.healthPort },
        trustDomain: {
          type: "string",
          default: mtlsRequiredDefaults.trustDomain,
          description: "The trust domain whose SPIFFE IDs upstream clusters must pin exactly.",
        },
      },
    },
  },
  checkMtlsRequired,
);
