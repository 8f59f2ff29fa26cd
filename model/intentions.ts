/** Consul's intention precedence, as a pure function so the model, Envoy RBAC and the policy pack agree. */

export interface IntentionRule {
  readonly source: string;
  readonly destination: string;
  readonly action: "allow" | "deny";
}

/** Consul ranks an exact source above `*`, then an exact destination above `*`. */
function precedence(rule: IntentionRule): number {
  return (rule.source === "*" ? 0 : 2) + (rule.destination === "*" ? 0 : 1);
}

/**
 * Whether `source` may call `destination`. The most specific matching intention decides; at equal precedence a
 * deny wins; with no match the default applies.
 */
export function intentionAllows(
  rules: readonly IntentionRule[],
  defaultAction: "allow" | "deny",
  source: string,
  destination: string,
): boolean {
  const matching = rules.filter(
    (r) => (r.source === source || r.source === "*") && (r.destination === destination || r.destination === "*"),
  );
  if (matching.length === 0) return defaultAction === "allow";
  const top = Math.max(...matching.map(precedence));
  return matching.filter((r) => precedence(r) === top).every((r) => r.action === "allow");
}
