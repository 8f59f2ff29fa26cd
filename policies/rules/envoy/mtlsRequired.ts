import { resourceRule } from "../../lib/policy";
import type { Json } from "../../lib/props";
import { asRecord, asRecords, asString, at, isRecord } from "../../lib/props";
import {
  clusterTransportSockets,
  envoyConfigOf,
  filterChains,
  isInboundListener,
  isUpstreamCluster,
  nameOf,
  tlsContext,
} from "../../lib/envoyArtifacts";
import type { ResourceInput } from "../../lib/types";
import { types } from "../../lib/types";

export const mtlsRequiredDefaults = {
  /** The sidecar's inbound listener port (seed: proxy_port 15001). */
  proxyPort: 15001,
  minTlsVersion: "TLSv1_2",
};
export type MtlsRequiredConfig = typeof mtlsRequiredDefaults;

const TLS_VERSIONS = ["TLSv1_0", "TLSv1_1", "TLSv1_2", "TLSv1_3"];
const DOWNSTREAM = ".DownstreamTlsContext";
const UPSTREAM = ".UpstreamTlsContext";

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

/** SAN matcher values (exact or prefix) an upstream context checks the server's URI SAN against. */
function uriSanMatchers(common: Json | undefined): string[] {
  const contexts = [
    asRecord(at(common, "validation_context")),
    asRecord(at(common, "combined_validation_context", "default_validation_context")),
  ];
  const values: string[] = [];
  for (const context of contexts) {
    for (const typed of asRecords(context?.match_typed_subject_alt_names)) {
      if (typed.san_type !== "URI") continue;
      const matcher = asRecord(typed.matcher);
      const value = asString(matcher?.exact) ?? asString(matcher?.prefix);
      if (value !== undefined) values.push(value);
    }
    for (const matcher of asRecords(context?.match_subject_alt_names)) {
      const value = asString(matcher.exact) ?? asString(matcher.prefix);
      if (value !== undefined) values.push(value);
    }
  }
  return values;
}

function checkInbound(listener: Json, config: MtlsRequiredConfig): string[] {
  const where = `listener "${nameOf(listener)}"`;
  const chains = filterChains(listener);
  if (chains.length === 0)
    return [`${where} has no filter chains; give it a filter chain with a DownstreamTlsContext.`];
  const problems: string[] = [];
  chains.forEach((chain, index) => {
    const chainName = `${where} filter chain ${index}`;
    const context = tlsContext(chain.transport_socket, DOWNSTREAM);
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

function checkUpstream(cluster: Json, config: MtlsRequiredConfig): string[] {
  const where = `cluster "${nameOf(cluster)}"`;
  const contexts = clusterTransportSockets(cluster).map((socket) => tlsContext(socket, UPSTREAM));
  if (contexts.length === 0 || contexts.some((c) => c === undefined)) {
    return [
      `${where} connects without mTLS; give every transport socket an UpstreamTlsContext with the service certificate.`,
    ];
  }
  const problems: string[] = [];
  for (const context of contexts) {
    if (!context) continue;
    const common = asRecord(context.common_tls_context);
    const sans = uriSanMatchers(common);
    if (sans.length === 0 || !sans.every((san) => san.startsWith("spiffe://"))) {
      problems.push(
        `${where} does not pin the server's SPIFFE ID; add match_typed_subject_alt_names with san_type URI and the spiffe:// ID of the upstream service.`,
      );
    }
    if (!hasValidationContext(common)) {
      problems.push(
        `${where} has no trust bundle; add a validation_context_sds_secret_config for the mesh trust bundle.`,
      );
    }
    const problem = versionProblem(where, context, config);
    if (problem) problems.push(problem);
  }
  return problems;
}

/** Inbound listeners demand client certificates; upstream clusters present one and verify the SPIFFE ID. */
export function checkMtlsRequired(input: ResourceInput, config: MtlsRequiredConfig): string[] {
  const envoy = envoyConfigOf(input);
  if (!envoy) return [];
  const problems = [...envoy.errors.map((e) => `${e}; fix the file so its TLS settings can be checked.`)];
  for (const listener of envoy.listeners) {
    if (isInboundListener(listener, config.proxyPort)) {
      problems.push(...checkInbound(listener, config));
    } else {
      // Other listeners (gateway, metrics) need no client certificates, but any TLS they do set must be modern.
      for (const chain of filterChains(listener)) {
        const context = tlsContext(chain.transport_socket, DOWNSTREAM);
        const problem = context && versionProblem(`listener "${nameOf(listener)}"`, context, config);
        if (problem) problems.push(problem);
      }
    }
  }
  for (const cluster of envoy.clusters) {
    if (isUpstreamCluster(cluster)) {
      problems.push(...checkUpstream(cluster, config));
    } else {
      for (const socket of clusterTransportSockets(cluster)) {
        const context = tlsContext(socket, UPSTREAM);
        const problem = context && versionProblem(`cluster "${nameOf(cluster)}"`, context, config);
        if (problem) problems.push(problem);
      }
    }
  }
  return problems;
}

export const mtlsRequired = resourceRule(
  {
    name: "lucid-envoy-mtls-required",
    description: "Require mTLS with SPIFFE identities on every sidecar's inbound listener and upstream clusters.",
    severity: "critical",
    appliesTo: [types.dockerContainer, types.configMap],
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
      },
    },
  },
  checkMtlsRequired,
);
