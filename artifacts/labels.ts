/**
 * A recorded resource's labels under the resource contract, whatever its platform: Docker's `labels: [{label,
 * value}]` or Kubernetes' `metadata.labels`.
 */
import type { RecordedResource } from "../simulate/recorder";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function resourceLabels(resource: Pick<RecordedResource, "inputs">): Record<string, string> {
  const inputs = resource.inputs;
  if (Array.isArray(inputs.labels)) {
    return Object.fromEntries(
      inputs.labels.filter(isRecord).map((l) => [String(l.label), String(l.value)] as [string, string]),
    );
  }
  const metadata = isRecord(inputs.metadata) ? inputs.metadata : {};
  return isRecord(metadata.labels) ? (metadata.labels as Record<string, string>) : {};
}

/** The `lucid.mesh/role` label: sidecar, gateway, consul-server, envoy-config, ... ("" when unlabelled). */
export function resourceRole(resource: Pick<RecordedResource, "inputs">): string {
  return resourceLabels(resource)["lucid.mesh/role"] ?? "";
}
