/** Labels every container and Kubernetes object carries, so policies and operators can tell what it is. */
/** What a container or object is; `*-config` and `consul-acl-init` are writers and one-shots, never restarted by a renewal's cost. */
export type MeshRole =
  | "consul-server"
  | "consul-config"
  | "consul-acl-init"
  | "consul-esm"
  | "consul-catalog-sync"
  | "sidecar"
  | "gateway"
  | "app"
  | "prometheus"
  | "envoy-config";

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

/**
 * Docker uploads are one property, so Pulumi marks all of them secret when one file is. This label names the
 * files that really are secret, so a plan can show the rest for review and redact exactly these.
 */
export const SECRET_FILES_LABEL = `${LABEL_PREFIX}/secret-files`;

export function secretFilesLabel(paths: readonly string[]): Record<string, string> {
  return { [SECRET_FILES_LABEL]: [...paths].sort().join(",") };
}
