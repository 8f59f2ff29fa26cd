import { resourceRule } from "../../lib/policy";
import { asString, labelsOf, serviceLabel } from "../../lib/props";
import { envoyConfigOf, filterChains, httpConnectionManagers, nameOf, tlsContext } from "../../lib/envoyArtifacts";
import type { ResourceInput } from "../../lib/types";
import { types } from "../../lib/types";

export const edgeOnlyDefaults = {
  /**
   * Services allowed to accept clients without certificates (the stack's `services[].edge`). Listing one here is a
   * reviewed change to the pack config, not only to the stack.
   */
  edgeServices: [] as string[],
};
export type EdgeOnlyConfig = typeof edgeOnlyDefaults;

const DOWNSTREAM = ".DownstreamTlsContext";

/**
 * A TLS listener without client certificates is a way in for anyone who can reach its port: only edge services may
 * have one, and there it must keep Envoy's default `forward_client_cert_details: SANITIZE`, so a client-sent
 * `x-forwarded-client-cert` never reaches the app as if the mesh had vouched for it.
 */
export function checkEdgeOnly(input: ResourceInput, config: EdgeOnlyConfig): string[] {
  const envoy = envoyConfigOf(input);
  if (!envoy) return [];
  const service = labelsOf(input.props)[serviceLabel];
  const isEdge = service !== undefined && config.edgeServices.includes(service);
  const problems: string[] = [];
  for (const listener of envoy.listeners) {
    filterChains(listener).forEach((chain, index) => {
      const context = tlsContext(chain.transport_socket, DOWNSTREAM);
      if (!context || context.require_client_certificate === true) return;
      const where = `listener "${nameOf(listener)}" filter chain ${index}`;
      if (!isEdge) {
        problems.push(
          `${where} accepts clients without certificates, but ${service ?? "this workload"} is not an edge service; set require_client_certificate: true, or list the service under edgeServices in the policy config.`,
        );
        return;
      }
      for (const hcm of httpConnectionManagers(chain)) {
        const forward = asString(hcm.forward_client_cert_details);
        if (forward !== undefined && forward !== "SANITIZE") {
          problems.push(
            `${where} sets forward_client_cert_details ${forward}, so a client's own x-forwarded-client-cert reaches the app; leave it unset (SANITIZE).`,
          );
        }
      }
    });
  }
  return problems;
}

export const edgeOnly = resourceRule(
  {
    name: "lucid-envoy-edge-only",
    description:
      "Allow listeners without client certificates only on edge services, and never forward a client's XFCC.",
    severity: "critical",
    appliesTo: [types.dockerContainer, types.configMap],
    defaults: edgeOnlyDefaults,
    configSchema: {
      properties: {
        edgeServices: {
          type: "array",
          items: { type: "string" },
          default: edgeOnlyDefaults.edgeServices,
          description: "Services that may accept clients without certificates.",
        },
      },
    },
  },
  checkEdgeOnly,
);
