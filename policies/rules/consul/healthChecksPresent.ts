import { applierPayloads } from "../../lib/consulArtifacts";
import { resourceRule } from "../../lib/policy";
import { asRecords, asString, at } from "../../lib/props";
import type { ResourceInput } from "../../lib/types";
import { types } from "../../lib/types";

export const healthChecksPresentDefaults = {};
export type HealthChecksPresentConfig = typeof healthChecksPresentDefaults;

function nonEmpty(value: unknown): boolean {
  return (asString(value) ?? "").trim() !== "";
}

/**
 * Consul only routes to instances it can see are healthy: every registration carries a real HTTP or TCP check,
 * whether a `consul.Service` or a registration in the Consul applier's payload (API casing).
 */
export function checkHealthChecksPresent(input: ResourceInput, _config: HealthChecksPresentConfig): string[] {
  if (input.type !== types.consulService) {
    return applierPayloads([{ ...input, urn: "" }]).flatMap((payload) =>
      payload.registrations.flatMap((registration) => {
        const id = asString(at(registration, "Service", "ID")) ?? "(no ID)";
        const checks = asRecords(registration.Checks).map((c) => ({
          checkId: c.CheckID,
          name: c.Name,
          http: at(c, "Definition", "HTTP"),
          tcp: at(c, "Definition", "TCP"),
          interval: at(c, "Definition", "Interval"),
          timeout: at(c, "Definition", "Timeout"),
        }));
        return registrationProblems(checks).map((p) => `registration "${id}": ${p}`);
      }),
    );
  }
  return registrationProblems(asRecords(at(input.props, "checks")));
}

function registrationProblems(checks: ReadonlyArray<Record<string, unknown>>): string[] {
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
    // Containers and ConfigMaps: the applier's payload, where it carries one.
    appliesTo: [types.consulService, types.dockerContainer, types.configMap],
    defaults: healthChecksPresentDefaults,
  },
  checkHealthChecksPresent,
);
