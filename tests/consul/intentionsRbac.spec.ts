/**
 * Issue 15 item 9: the service-intentions entries are kept because `consul intention check` and the UI answer from
 * them, so they must say exactly what Envoy enforces. For every sidecar of the dev and prod renders, and every
 * service of the mesh calling it from every cluster, Consul's own decision over the entries the program writes
 * (simulate/consul/intentions.ts: IntentionMatch and computeIntentionPrecedence) equals the sidecar's RBAC.
 */
import { strict as assert } from "node:assert";
import * as yaml from "js-yaml";
import { envoyFileSets } from "../../artifacts/envoy";
import { parseMeshConfig, type Mesh } from "../../model";
import { appliersOf } from "../../simulate/consul/applier";
import { consulAllows, type StoredIntentionEntry } from "../../simulate/consul/intentions";
import type { RecordedResource } from "../../simulate/recorder";
import { simulateMesh } from "../../simulate/stack";
import { rawStackConfig } from "./fixtures";

/**
 * Every exact principal of the ALLOW policies of the RBAC filters of a listener file's mesh listeners. The edge
 * listener (issue 18) admits clients by address, not by identity, and intentions do not govern it.
 */
function rbacPrincipals(listenerYaml: string): { exact: Set<string>; other: unknown[] } {
  const exact = new Set<string>();
  const other: unknown[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== "object" || node === null) return;
    const record = node as Record<string, unknown>;
    const rules = record.rules as
      { action?: string; policies?: Record<string, { principals?: unknown[] }> } | undefined;
    if (typeof record["@type"] === "string" && String(record["@type"]).includes("rbac") && rules) {
      if ((rules.action ?? "ALLOW") !== "ALLOW") other.push(rules);
      for (const policy of Object.values(rules.policies ?? {})) {
        for (const principal of policy.principals ?? []) {
          const name = (principal as { authenticated?: { principal_name?: { exact?: string } } }).authenticated
            ?.principal_name?.exact;
          if (name) exact.add(name);
          else other.push(principal);
        }
      }
      return;
    }
    Object.values(record).forEach(visit);
  };
  const listeners = ((yaml.load(listenerYaml) as { resources?: Array<{ name?: string }> }).resources ?? []).filter(
    (l) => l.name !== "edge" && !String(l.name).startsWith("edge_"),
  );
  visit(listeners);
  return { exact, other };
}

/** The service-intentions entries the datacenter's Consul applier writes. */
function intentionEntries(resources: readonly RecordedResource[], datacenter: string): StoredIntentionEntry[] {
  return appliersOf(resources)
    .filter((a) => a.payload.datacenter === datacenter)
    .flatMap((a) => a.payload.configEntries)
    .filter((e) => e.Kind === "service-intentions")
    .map((e) => ({ name: e.Name, sources: e.Sources as unknown as StoredIntentionEntry["sources"] }));
}

/** Every caller on which Consul's decision and the RBAC disagree, as `sidecar ← caller@cluster (consul: x)`. */
function disagreements(mesh: Mesh, resources: readonly RecordedResource[]): { compared: number; differ: string[] } {
  let compared = 0;
  const differ: string[] = [];
  for (const set of envoyFileSets(resources)) {
    if (set.workload === "mesh-gateway") continue;
    const cluster = mesh.clusters.find((c) => c.name === set.cluster)!;
    const { exact, other } = rbacPrincipals(set.files["/etc/envoy/listener.yaml"] ?? "");
    assert.deepEqual(other, [], `${set.cluster}/${set.workload}: only exact ALLOW principals are compared`);
    const entries = intentionEntries(resources, cluster.datacenter);
    assert.ok(entries.length > 0);
    for (const caller of mesh.services) {
      for (const from of mesh.clusters.filter((c) => caller.clusters.includes(c.name))) {
        const spiffe = `spiffe://${mesh.trustDomain}/ns/${mesh.namespace}/dc/${from.datacenter}/svc/${caller.name}`;
        const consul = consulAllows(
          entries,
          { service: caller.name, ...(from.name === cluster.name ? {} : { peer: from.name }) },
          set.workload,
        );
        if (exact.has(spiffe) !== consul) {
          differ.push(
            `${set.cluster}/${set.workload} <- ${caller.name}@${from.name} (consul: ${consul ? "allow" : "deny"})`,
          );
        }
        compared++;
      }
    }
  }
  return { compared, differ };
}

describe("Consul's intention decision equals the Envoy RBAC (issue 15 item 9)", () => {
  for (const stack of ["dev", "prod"] as const) {
    it(`${stack}: every caller, every sidecar`, async function () {
      this.timeout(300_000);
      const raw = rawStackConfig(stack);
      const { recorder } = await simulateMesh(stack, raw);
      const { compared, differ } = disagreements(parseMeshConfig(raw), recorder.resources);
      assert.ok(compared > 20);
      assert.deepEqual(differ, []);
    });
  }

  it("dev with a wildcard source allowed to one destination (* → session-recorder)", async function () {
    this.timeout(300_000);
    const raw = rawStackConfig("dev");
    raw["intentions"] = [
      ...(raw["intentions"] as object[]),
      { source: "*", destination: "session-recorder", action: "allow" },
    ];
    const { recorder } = await simulateMesh("dev", raw);
    const { differ } = disagreements(parseMeshConfig(raw), recorder.resources);
    // Known and reported, not fixed here (model/intentions.ts, issue 19's area): the RBAC leaves a service out of
    // a wildcard's callers of itself, while Consul's `*` source matches the destination too.
    assert.deepEqual(differ, ["east/session-recorder <- session-recorder@east (consul: allow)"]);
  });
});
