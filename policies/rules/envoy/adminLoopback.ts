import { resourceRule } from "../../lib/policy";
import { asNumber, asRecords, at } from "../../lib/props";
import { envoyConfigOf, socketAddress } from "../../lib/envoyArtifacts";
import type { ResourceInput } from "../../lib/types";
import { types } from "../../lib/types";

export const adminLoopbackDefaults = {
  /** Seed: ENVOY_ADMIN_PORT=15000. Used where the bootstrap is not in the same resource (Kubernetes Services). */
  adminPort: 15000,
};
export type AdminLoopbackConfig = typeof adminLoopbackDefaults;

const LOOPBACK = ["127.0.0.1", "::1"];

function checkPublishedPorts(props: unknown, adminPort: number): string[] {
  return asRecords(at(props, "ports"))
    .filter((p) => asNumber(p.internal) === adminPort)
    .map(() => `Docker publishes the Envoy admin port ${adminPort}; remove it from ports.`);
}

function checkServicePorts(props: unknown, adminPort: number): string[] {
  return asRecords(at(props, "spec", "ports"))
    .filter((p) => asNumber(p.port) === adminPort || asNumber(p.targetPort) === adminPort)
    .map((p) => `Service port "${String(p.name ?? p.port)}" exposes the Envoy admin port ${adminPort}; remove it.`);
}

/** The Envoy admin API (which can drain, reconfigure and dump secrets) listens on loopback only and is never published. */
export function checkAdminLoopback(input: ResourceInput, config: AdminLoopbackConfig): string[] {
  if (input.type === types.k8sService) return checkServicePorts(input.props, config.adminPort);
  const envoy = envoyConfigOf(input);
  const admin = envoy?.bootstrap ? socketAddress(at(envoy.bootstrap, "admin", "address")) : undefined;
  const problems: string[] = [];
  if (admin?.address !== undefined && !LOOPBACK.includes(admin.address)) {
    problems.push(`Envoy admin listens on ${admin.address}; bind admin.address.socket_address.address to 127.0.0.1.`);
  }
  if (input.type === types.dockerContainer) {
    problems.push(...checkPublishedPorts(input.props, admin?.port ?? config.adminPort));
  }
  return problems;
}

export const adminLoopback = resourceRule(
  {
    name: "lucid-envoy-admin-loopback",
    description: "Keep the Envoy admin interface on loopback and never publish its port.",
    severity: "high",
    appliesTo: [types.dockerContainer, types.configMap, types.k8sService],
    defaults: adminLoopbackDefaults,
    configSchema: {
      properties: {
        adminPort: {
          type: "integer",
          minimum: 1,
          maximum: 65535,
          default: adminLoopbackDefaults.adminPort,
          description: "Envoy admin port, for resources that do not carry the bootstrap.",
        },
      },
    },
  },
  checkAdminLoopback,
);
