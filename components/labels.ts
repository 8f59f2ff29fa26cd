/** Labels every container and Kubernetes object carries, so policies and operators can tell what it is. */
export type MeshRole = "consul-server" | "consul-esm" | "sidecar" | "gateway" | "app" | "prometheus" | "envoy-config";

export const LABEL_PREFIX = "lucid.mesh";

export function meshLabels(role: MeshRole, cluster: string, service?: string): Record<string, string> {
  return {
    "app.kubernetes.io/managed-by": "lucid-mesh",
    [`${LABEL_PREFIX}/role`]: role,
    [`${LABEL_PREFIX}/cluster`]: cluster,
    ...(service ? { [`${LABEL_PREFIX}/service`]: service } : {}),
  };
}

/** Docker's `labels` input shape. */
export function dockerLabels(labels: Record<string, string>): Array<{ label: string; value: string }> {
  return Object.entries(labels).map(([label, value]) => ({ label, value }));
}
