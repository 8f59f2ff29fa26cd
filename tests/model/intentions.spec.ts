/**
 * Intentions are decided as Consul decides them (hashicorp/consul):
 * - precedence: agent/structs/config_entry_intentions.go `computeIntentionPrecedence` (= `Intention.UpdatePrecedence`
 *   in agent/structs/intention.go): exact → exact 9, `*` → exact 8, exact → `*` 6, `*` → `*` 5;
 * - decision: agent/consul/state/intention.go `IntentionDecision`: matches sorted by `IntentionPrecedenceSorter`,
 *   the first whose source matches decides, the default otherwise.
 * The oracle below is written from that table and loop, not from model/intentions.ts.
 */
import { strict as assert } from "node:assert";
import fc from "fast-check";
import { load } from "js-yaml";
import { sidecarFiles } from "../../envoy";
import type { IntentionRule } from "../../model";
import {
  allInstances,
  allowedSourceSpiffeIds,
  crossReferenceProblems,
  intentionAllows,
  intentionPrecedence,
  intentionsByDestination,
  isAllowed,
  meshConfigSchema,
  parseMeshConfig,
  serviceSpiffeIds,
} from "../../model";
import { rawMeshConfig } from "../helpers/stacks";

type Action = IntentionRule["action"];
const rule = (source: string, destination: string, action: Action): IntentionRule => ({
  source,
  destination,
  action,
});

/** Consul's table, literally (config_entry_intentions.go: max 9 or 6 by destination, minus 1 for a `*` source). */
const CONSUL_PRECEDENCE: Record<string, number> = {
  "exact→exact": 9,
  "*→exact": 8,
  "exact→*": 6,
  "*→*": 5,
};
const kind = (r: IntentionRule): string =>
  `${r.source === "*" ? "*" : "exact"}→${r.destination === "*" ? "*" : "exact"}`;

/** `IntentionDecision`: sort the matches by precedence (ties by source, then destination), the first decides. */
function consulDecides(
  rules: readonly IntentionRule[],
  fallback: Action,
  source: string,
  destination: string,
): boolean {
  const matching = rules
    .filter(
      (r) => (r.source === "*" || r.source === source) && (r.destination === "*" || r.destination === destination),
    )
    .sort(
      (a, b) =>
        (CONSUL_PRECEDENCE[kind(b)] ?? 0) - (CONSUL_PRECEDENCE[kind(a)] ?? 0) ||
        a.source.localeCompare(b.source) ||
        a.destination.localeCompare(b.destination),
    );
  return (matching[0]?.action ?? fallback) === "allow";
}

describe("model: intentions are decided as Consul decides them", () => {
  it("precedence is Consul's table: an exact destination outranks an exact source", () => {
    assert.equal(intentionPrecedence(rule("a", "b", "allow")), 9);
    assert.equal(intentionPrecedence(rule("*", "b", "allow")), 8);
    assert.equal(intentionPrecedence(rule("a", "*", "allow")), 6);
    assert.equal(intentionPrecedence(rule("*", "*", "allow")), 5);
  });

  it("the issue's example: * → payments-db deny beats ops-debug → * allow (8 > 6)", () => {
    const rules = [rule("*", "payments-db", "deny"), rule("ops-debug", "*", "allow")];
    assert.equal(intentionAllows(rules, "deny", "ops-debug", "payments-db"), false);
    assert.equal(intentionAllows(rules, "deny", "ops-debug", "ledger"), true);
    assert.equal(consulDecides(rules, "deny", "ops-debug", "payments-db"), false);
  });

  it("every combination of the four matching kinds, each absent, allow or deny, under both defaults", () => {
    const kinds: Array<[string, string]> = [
      ["a", "b"],
      ["*", "b"],
      ["a", "*"],
      ["*", "*"],
    ];
    const choices: Array<Action | undefined> = [undefined, "allow", "deny"];
    let cases = 0;
    for (const c0 of choices)
      for (const c1 of choices)
        for (const c2 of choices)
          for (const c3 of choices)
            for (const fallback of ["allow", "deny"] as const) {
              const rules = [c0, c1, c2, c3].flatMap((action, i) =>
                action ? [rule(kinds[i]![0], kinds[i]![1], action)] : [],
              );
              // The first present kind in table order decides; the default otherwise.
              const expected = ([c0, c1, c2, c3].find((a) => a !== undefined) ?? fallback) === "allow";
              assert.equal(intentionAllows(rules, fallback, "a", "b"), expected, JSON.stringify({ rules, fallback }));
              assert.equal(intentionAllows([...rules].reverse(), fallback, "a", "b"), expected, "order-free");
              cases++;
            }
    assert.equal(cases, 162);
  });

  it("intentions that do not name the call never decide it", () => {
    const rules = [rule("c", "b", "allow"), rule("a", "d", "allow"), rule("*", "d", "allow")];
    assert.equal(intentionAllows(rules, "deny", "a", "b"), false);
    assert.equal(intentionAllows([rule("c", "*", "deny")], "allow", "a", "b"), true);
  });

  it("the same pair twice (which Consul refuses) is decided by the deny, in any order", () => {
    assert.equal(intentionAllows([rule("a", "b", "allow"), rule("a", "b", "deny")], "allow", "a", "b"), false);
    assert.equal(intentionAllows([rule("a", "b", "deny"), rule("a", "b", "allow")], "allow", "a", "b"), false);
  });

  it("agrees with the oracle over random intention sets", () => {
    const names = ["a", "b", "c", "*"];
    const arbitraryRule = fc.record({
      source: fc.constantFrom(...names),
      destination: fc.constantFrom(...names),
      action: fc.constantFrom<Action>("allow", "deny"),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(arbitraryRule, { selector: (r) => `${r.source}→${r.destination}`, maxLength: 12 }),
        fc.constantFrom<Action>("allow", "deny"),
        fc.constantFrom("a", "b", "c"),
        fc.constantFrom("a", "b", "c"),
        (rules, fallback, source, destination) =>
          intentionAllows(rules, fallback, source, destination) === consulDecides(rules, fallback, source, destination),
      ),
      { numRuns: 2000 },
    );
  });

  it("decides the same over intentionsByDestination's subset as over every intention", () => {
    const names = ["a", "b", "c", "*"];
    const arbitraryRule = fc.record({
      source: fc.constantFrom(...names),
      destination: fc.constantFrom(...names),
      action: fc.constantFrom<Action>("allow", "deny"),
    });
    fc.assert(
      fc.property(
        fc.array(arbitraryRule, { maxLength: 12 }),
        fc.constantFrom<Action>("allow", "deny"),
        fc.constantFrom("a", "b", "c"),
        fc.constantFrom("a", "b", "c"),
        (rules, fallback, source, destination) => {
          const subset = intentionsByDestination(rules)(destination);
          assert.ok(subset.every((r) => r.destination === destination || r.destination === "*"));
          return (
            intentionAllows(subset, fallback, source, destination) ===
            intentionAllows(rules, fallback, source, destination)
          );
        },
      ),
      { numRuns: 2000 },
    );
    assert.deepEqual(intentionsByDestination([rule("a", "*", "deny"), rule("a", "b", "allow")])("*"), [
      rule("a", "*", "deny"),
    ]);
  });
});

// ---- The generated Envoy RBAC against Consul's decision ----

const SERVICES = ["api-gateway", "blockchain-core", "blockchain-anchor", "blockchain-manager", "session-api"];

/** The dev stack with its upstreams removed (so any intention set validates) and these intentions. */
function devMeshWith(intentions: readonly IntentionRule[], defaultIntention: Action) {
  const raw = rawMeshConfig("dev");
  for (const service of raw.services as Array<Record<string, unknown>>) service.upstreams = [];
  raw.intentions = intentions.map((i) => ({ ...i }));
  raw.security = { ...(raw.security as object), defaultIntention };
  return parseMeshConfig(raw);
}

interface Principal {
  readonly authenticated: { readonly principal_name: { readonly exact: string } };
}

/** The principals of the inbound listener's RBAC (HTTP or network filter), as Envoy would load them. */
function inboundPrincipals(listenerYaml: string): string[] {
  const document = load(listenerYaml) as { resources: Array<Record<string, unknown>> };
  const inbound = document.resources.find((l) => l.name === "inbound") as {
    filter_chains: Array<{ filters: Array<{ name: string; typed_config: Record<string, unknown> }> }>;
  };
  const filters = inbound.filter_chains.flatMap((c) => c.filters);
  const manager = filters.find((f) => f.name === "envoy.filters.network.http_connection_manager");
  const candidates = manager
    ? (manager.typed_config.http_filters as Array<{ name: string; typed_config: Record<string, unknown> }>)
    : filters;
  const rbac = candidates.find((f) => f.name.endsWith(".rbac"));
  const rules = rbac?.typed_config.rules as { policies: Record<string, { principals: Principal[] }> };
  return Object.values(rules.policies)
    .flatMap((p) => p.principals.map((x) => x.authenticated.principal_name.exact))
    .sort();
}

describe("envoy RBAC equals Consul's intention decision", () => {
  const arbitraryIntentions = fc.uniqueArray(
    fc.record({
      source: fc.constantFrom("*", ...SERVICES),
      destination: fc.constantFrom("*", ...SERVICES),
      action: fc.constantFrom<Action>("allow", "deny"),
    }),
    // Consul refuses a second intention for the same pair ("Sources[%d] defines %q more than once").
    { selector: (r) => `${r.source}→${r.destination}`, maxLength: 10 },
  );

  it("over random intention sets, every sidecar's RBAC principals are exactly the callers Consul allows", function () {
    this.timeout(120_000);
    fc.assert(
      fc.property(arbitraryIntentions, fc.constantFrom<Action>("deny", "allow"), (intentions, fallback) => {
        const mesh = devMeshWith(intentions, fallback);
        for (const instance of allInstances(mesh)) {
          // Callers are the other services (the model has no self-upstreams), each by every cluster's identity.
          const expected = mesh.services
            .filter((s) => s.name !== instance.service)
            .filter((s) => consulDecides(intentions, fallback, s.name, instance.service))
            .flatMap((s) => serviceSpiffeIds(mesh, s))
            .sort();
          const principals = inboundPrincipals(sidecarFiles(mesh, instance)["listener.yaml"] ?? "");
          assert.deepEqual(principals, expected, `${instance.name}: ${JSON.stringify({ intentions, fallback })}`);
          assert.deepEqual(allowedSourceSpiffeIds(mesh, instance.service), expected);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("the issue's example on the dev mesh: * → blockchain-core deny keeps api-gateway out despite api-gateway → * allow", () => {
    const mesh = devMeshWith([rule("*", "blockchain-core", "deny"), rule("api-gateway", "*", "allow")], "deny");
    assert.equal(isAllowed(mesh, "api-gateway", "blockchain-core"), false);
    assert.equal(isAllowed(mesh, "api-gateway", "session-api"), true);
    const core = allInstances(mesh).find((i) => i.service === "blockchain-core")!;
    assert.deepEqual(inboundPrincipals(sidecarFiles(mesh, core)["listener.yaml"] ?? ""), []);
  });
});

describe("validation: the 'no intention allows this upstream' check uses Consul's precedence", () => {
  const upstreamProblems = (intentions: readonly IntentionRule[]): string[] => {
    const raw = rawMeshConfig("dev");
    raw.intentions = intentions.map((i) => ({ ...i }));
    return crossReferenceProblems(meshConfigSchema.parse(raw))
      .map((p) => p.message)
      .filter((m) => m.startsWith("no intention allows"));
  };
  const devAllows = [
    rule("blockchain-core", "blockchain-anchor", "allow"),
    rule("blockchain-core", "blockchain-manager", "allow"),
    rule("session-api", "session-processor", "allow"),
    rule("session-api", "session-recorder", "allow"),
  ];

  it("accepts api-gateway's upstreams under * → X allow with api-gateway → * deny (it used to refuse them)", () => {
    const intentions = [
      ...devAllows,
      rule("*", "blockchain-core", "allow"),
      rule("*", "session-api", "allow"),
      rule("api-gateway", "*", "deny"),
    ];
    assert.deepEqual(upstreamProblems(intentions), []);
  });

  it("refuses api-gateway → blockchain-core under * → blockchain-core deny with api-gateway → * allow (it used to accept)", () => {
    const intentions = [...devAllows, rule("*", "blockchain-core", "deny"), rule("api-gateway", "*", "allow")];
    assert.deepEqual(upstreamProblems(intentions), [
      "no intention allows api-gateway → blockchain-core, and intentions default to deny",
    ]);
  });
});
