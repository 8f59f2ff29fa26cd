/**
 * Wraps pure checks in @pulumi/policy objects. Only types come from @pulumi/policy, so rule files stay pure and
 * tests can import them without starting a policy server.
 */
import type { PolicyConfigSchema, ResourceValidationPolicy, Severity, StackValidationPolicy } from "@pulumi/policy";
import type { ConfigShape } from "./config";
import { withDefaults } from "./config";
import type { ResourceInput, StackResource, StackViolation } from "./types";

interface RuleMeta<C extends ConfigShape> {
  readonly name: string;
  readonly description: string;
  readonly severity: Severity;
  readonly defaults: C;
  readonly configSchema?: PolicyConfigSchema;
}

export type ResourceCheck<C extends ConfigShape> = (input: ResourceInput, config: C) => string[];
export type StackCheck<C extends ConfigShape> = (resources: readonly StackResource[], config: C) => StackViolation[];

/** A policy over one resource at a time, applicable to the listed type tokens. */
export function resourceRule<C extends ConfigShape>(
  meta: RuleMeta<C> & { readonly appliesTo: readonly string[] },
  check: ResourceCheck<C>,
): ResourceValidationPolicy {
  return {
    name: meta.name,
    description: meta.description,
    severity: meta.severity,
    ...(meta.configSchema ? { configSchema: meta.configSchema } : {}),
    validateResource: (args, reportViolation) => {
      if (!meta.appliesTo.includes(args.type)) {
        args.notApplicable(`applies only to ${meta.appliesTo.join(", ")}`);
      }
      const config = withDefaults(meta.defaults, args.getConfig<Record<string, unknown>>());
      for (const message of check({ type: args.type, name: args.name, props: args.props }, config)) {
        reportViolation(message);
      }
    },
  };
}

/** A policy over the whole stack: for rules that relate several resources. Each violation names its resource. */
export function stackRule<C extends ConfigShape>(meta: RuleMeta<C>, check: StackCheck<C>): StackValidationPolicy {
  return {
    name: meta.name,
    description: meta.description,
    severity: meta.severity,
    ...(meta.configSchema ? { configSchema: meta.configSchema } : {}),
    validateStack: (args, reportViolation) => {
      const config = withDefaults(meta.defaults, args.getConfig<Record<string, unknown>>());
      const resources = args.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.props }));
      for (const violation of check(resources, config)) {
        reportViolation(violation.message, violation.urn);
      }
    },
  };
}
