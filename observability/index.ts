/** Prometheus scrape configuration and alert rules for the mesh. Pure: no Pulumi imports. */
import type { Mesh } from "../model/mesh";
import { alertRulesYaml } from "./alertRules";
import { prometheusConfigYaml, prometheusScopes } from "./scrapeConfig";

export * from "./alertRules";
export * from "./layout";
export * from "./metrics";
export * from "./scrapeConfig";

/**
 * Every Prometheus file of the mesh, by path relative to the render's `observability/` directory:
 * `alerts.yml`, plus `prometheus.yml` when one Prometheus watches the whole mesh (Docker stacks) or
 * `<scope>/prometheus.yml` per Prometheus otherwise (one per Kubernetes cluster; `docker/` for the Docker clusters
 * of a mixed mesh).
 */
export function observabilityFiles(mesh: Mesh): Record<string, string> {
  const scopes = prometheusScopes(mesh);
  const files: Record<string, string> = { "alerts.yml": alertRulesYaml(mesh) };
  for (const scope of scopes) {
    const path = scopes.length === 1 ? "prometheus.yml" : `${scope.name}/prometheus.yml`;
    files[path] = prometheusConfigYaml(mesh, scope.name);
  }
  return files;
}
