/**
 * How Consul decides whether a caller may reach a destination, from the `service-intentions` entries it stores
 * (hashicorp/consul agent/consul/state/config_entry_intention.go `IntentionMatch`, with the precedence of
 * agent/structs/config_entry_intentions.go `computeIntentionPrecedence`): every source naming the caller (its name
 * or `*`, from the caller's peer or locally) in the destination's entry or the `*` entry matches, the match with
 * the highest precedence decides, and with no match the ACL default policy (deny) does. Used to show that the
 * entries the program writes say exactly what the Envoy RBAC enforces.
 */
import { consulIntentionPrecedence } from "./configEntries";

export interface StoredIntentionEntry {
  /** The destination: a service name or `*`. */
  readonly name: string;
  readonly sources: ReadonlyArray<{ readonly Name: string; readonly Peer?: string; readonly Action: string }>;
}

/** A caller as Consul names it: its service, and the peer it calls from (none when local). */
export interface IntentionCaller {
  readonly service: string;
  readonly peer?: string;
}

export function consulAllows(
  entries: readonly StoredIntentionEntry[],
  caller: IntentionCaller,
  destination: string,
  defaultAllow = false,
): boolean {
  const matches = entries
    .filter((e) => e.name === destination || e.name === "*")
    .flatMap((e) =>
      e.sources
        .filter((s) => (s.Peer ?? "") === (caller.peer ?? "") && (s.Name === "*" || s.Name === caller.service))
        .map((s) => ({ precedence: consulIntentionPrecedence(e.name, s.Name), allow: s.Action === "allow" })),
    )
    .sort((a, b) => b.precedence - a.precedence);
  return matches[0]?.allow ?? defaultAllow;
}
