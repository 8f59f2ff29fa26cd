import { resourceRule } from "../../lib/policy";
import { asRecords, asString, at } from "../../lib/props";
import type { ResourceInput } from "../../lib/types";
import { types } from "../../lib/types";

export const healthChecksPresentDefaults = {};
export type HealthChecksPresentConfig = typeof healthChecksPresentDefaults;

function nonEmpty(value: unknown): boolean {
  return (asString(value) ?? "").trim() !== "";
}

/** Consul only routes to instances it can see are healthy: every registration carries a real HTTP or TCP check. */
export function checkHealthChecksPresent(input: ResourceInput, _config: HealthChecksPresentConfig): string[] {
  const checks = asRecords(at(input.props, "checks"));
  if (checks.length === 0) {
    return ["the service registers no health check; add a check with http or tcp, interval and timeout."];
  }
  const problems: string[] = [];
  for (const check of checks) {
    const id = asString(check.checkId) ?? asString(check.name) ?? "(unnamed)";
    if (!nonEmpty(check.http) && !nonEmpty(check.tcp)) {
      problems.push(`check "${id}" probes nothing; set http (a URL) or tcp (host:port).`);
    }
    const missing = ["interval", "timeout"].filter((field) => !nonEmpty(check[field]));
    if (missing.length > 0)
      problems.push(`check "${id}" has no ${missing.join(" or ")}; set ${missing.join(" and ")}.`);
  }
  return problems;
}

export const healthChecksPresent = resourceRule(
  {
    name: "lucid-consul-health-checks-present",
    description: "Require an HTTP or TCP health check with interval and timeout on every Consul service registration.",
    severity: "medium",
    appliesTo: [types.consulService],
    defaults: healthChecksPresentDefaults,
  },
  checkHealthChecksPresent,
);
