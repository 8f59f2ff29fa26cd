import { meshLabelKeys } from "../model/names";

/** Labels every container and Kubernetes object carries, so policies and operators can tell what it is. */
/** What a container or object is; `*-config` and `consul-acl-init` are writers and one-shots, never restarted by a renewal's cost. */
export type MeshRole =
  | "consul-server"
  | "consul-config"
  | "consul-acl-init"
  | "consul-esm"
  | "consul-catalog-sync"
  | "consul-applier"
  | "sidecar"
  | "gateway"
  | "app"
  | "prometheus"
  | "envoy-config";

/** The key is the model's, so the policy pack and the render read the label these components write. */
export const SECRET_FILES_LABEL = meshLabelKeys.secretFiles;

export function meshLabels(role: MeshRole, cluster: string, service?: string): Record<string, string> {
  return {
    "app.kubernetes.io/managed-by": "lucid-mesh",
    [meshLabelKeys.role]: role,
    [meshLabelKeys.cluster]: cluster,
    ...(service ? { [meshLabelKeys.service]: service } : {}),
  };
}

/** Docker's `labels` input shape. */
export function dockerLabels(labels: Record<string, string>): Array<{ label: string; value: string }> {
  return Object.entries(labels).map(([label, value]) => ({ label, value }));
}

export function secretFilesLabel(paths: readonly string[]): Record<string, string> {
  return { [SECRET_FILES_LABEL]: [...paths].sort().join(",") };
}
