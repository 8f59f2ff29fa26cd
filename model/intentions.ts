/**
 * Consul's intention decision, as a pure function so the model, Envoy RBAC and the policy pack agree.
 *
 * Read from hashicorp/consul:
 * - agent/structs/config_entry_intentions.go `computeIntentionPrecedence` (and `Intention.UpdatePrecedence` in
 *   agent/structs/intention.go): the destination sets the ceiling (exact name 9, `*` 6), an exact source keeps it,
 *   a `*` source takes one off. So exact → exact 9, `*` → exact 8, exact → `*` 6, `*` → `*` 5: an exact
 *   destination outranks an exact source.
 * - agent/consul/state/intention.go `IntentionDecision`: the intentions matching the destination, sorted by
 *   `IntentionPrecedenceSorter` (precedence descending), are walked in order and the first whose source matches
 *   decides; with none, the default decision applies.
 */

export interface IntentionRule {
  readonly source: string;
  readonly destination: string;
  readonly action: "allow" | "deny";
}

export const WILDCARD = "*";

/** `computeIntentionPrecedence` for the default namespace and partition (both exact), which is all the mesh uses. */
export function intentionPrecedence(rule: Pick<IntentionRule, "source" | "destination">): number {
  const ceiling = rule.destination === WILDCARD ? 6 : 9;
  return ceiling - (rule.source === WILDCARD ? 1 : 0);
}

function matches(rule: IntentionRule, source: string, destination: string): boolean {
  return (
    (rule.source === source || rule.source === WILDCARD) &&
    (rule.destination === destination || rule.destination === WILDCARD)
  );
}

/**
 * The intention Consul acts on for `source` → `destination`, or undefined when none matches (the default applies).
 *
 * At one precedence only one source/destination pair can match a given call (the precedence fixes which side is
 * `*`, the call fixes the other), so two matches there can only be the same pair twice. Consul refuses that
 * ("Sources[%d] defines %q more than once", `ServiceIntentionsConfigEntry.validate`); should it reach here anyway,
 * the deny is taken, so the answer never depends on input order and never opens what one of them closes.
 */
export function decidingIntention<R extends IntentionRule>(
  rules: readonly R[],
  source: string,
  destination: string,
): R | undefined {
  let best: R | undefined;
  let bestPrecedence = -1;
  for (const rule of rules) {
    if (!matches(rule, source, destination)) continue;
    const precedence = intentionPrecedence(rule);
    if (precedence > bestPrecedence || (precedence === bestPrecedence && rule.action === "deny")) {
      best = rule;
      bestPrecedence = precedence;
    }
  }
  return best;
}

/**
 * The intentions that can match calls to each destination: its own and those to `*`. The others never match, so
 * `decidingIntention` over this subset decides exactly as over all of them (whose order does not matter); looking
 * them up instead of scanning every intention per call keeps a big mesh's checks linear.
 */
export function intentionsByDestination<R extends IntentionRule>(
  rules: readonly R[],
): (destination: string) => readonly R[] {
  const own = new Map<string, R[]>();
  const anyDestination: R[] = [];
  for (const rule of rules) {
    if (rule.destination === WILDCARD) {
      anyDestination.push(rule);
      continue;
    }
    const list = own.get(rule.destination);
    if (list) list.push(rule);
    else own.set(rule.destination, [rule]);
  }
  return (destination) => {
    const mine = destination === WILDCARD ? [] : (own.get(destination) ?? []);
    return anyDestination.length === 0 ? mine : [...mine, ...anyDestination];
  };
}

/** Whether `source` may call `destination`: the deciding intention's action, or `defaultAction` when none matches. */
export function intentionAllows(
  rules: readonly IntentionRule[],
  defaultAction: "allow" | "deny",
  source: string,
  destination: string,
): boolean {
  const deciding = decidingIntention(rules, source, destination);
  return (deciding?.action ?? defaultAction) === "allow";
}
