import { strict as assert } from "node:assert";
import { isDeepStrictEqual } from "node:util";
import type { RecordedResource } from "../../simulate/recorder";
import { simulateStack, type SimulatedStack } from "../../simulate/stack";
import { classifyChange } from "../../simulate/system";
import { dockerSystem, CONTAINER } from "../../simulate/docker";
import { PROJECT_DIR } from "../helpers/stacks";

function role(r: RecordedResource): string | undefined {
  const labels = (r.inputs.labels ?? []) as Array<{ label: string; value: string }>;
  return labels.find((l) => l.label === "lucid.mesh/role")?.value;
}

/** Envoy (sidecars, gateways) and Consul server containers: the ones a renewal must not replace. */
function envoyAndConsul(stack: SimulatedStack): RecordedResource[] {
  return stack.recorder
    .ofType(CONTAINER)
    .filter((c) => Array.isArray(c.inputs.entrypoints))
    .filter((c) => ["/usr/local/bin/envoy", "consul"].includes((c.inputs.entrypoints as string[])[0]!))
    .filter((c) => ["sidecar", "gateway", "consul-server"].includes(role(c) ?? ""));
}

describe("Docker: a certificate renewal replaces no Envoy and no Consul container", function () {
  let first: SimulatedStack;
  let renewed: SimulatedStack;

  before(async function () {
    this.timeout(240_000);
    // The simulated tls provider makes new keys and certificates on every run: a second run is a renewal of the
    // root, every intermediate, every Consul server certificate and every leaf at once.
    first = await simulateStack(PROJECT_DIR, "dev");
    renewed = await simulateStack(PROJECT_DIR, "dev");
  });

  it("gives Envoy and Consul containers no certificate material among their inputs", () => {
    const containers = envoyAndConsul(first);
    assert.equal(containers.length, 9 + 2 + 2); // 9 sidecars, 2 gateways, 2 Consul servers in dev
    for (const c of containers) assert.doesNotMatch(JSON.stringify(c.inputs), /-----BEGIN/, c.name);
  });

  it("changes, among containers, only the file writers, the ACL bootstrap and consul-esm (never the Consul applier)", () => {
    const before = new Map(first.recorder.ofType(CONTAINER).map((c) => [c.urn, c]));
    const changes = renewed.recorder.ofType(CONTAINER).flatMap((c) => {
      const old = before.get(c.urn);
      assert.ok(old, `${c.name} is new`);
      const keys = Object.keys({ ...old.inputs, ...c.inputs }).filter(
        (k) => !isDeepStrictEqual(old.inputs[k], c.inputs[k]),
      );
      const change = classifyChange([dockerSystem], c, keys);
      return change ? [change] : [];
    });
    const replaced = changes.filter((c) => c.action === "replace");
    assert.deepEqual(
      changes.map((c) => c.properties),
      changes.map(() => ["uploads"]),
    );
    const writers = replaced.filter((c) => /-files$/.test(c.name)).length;
    // One per sidecar, one per Consul server, one per Consul applier (its CA file); gateways carry no certificate.
    assert.equal(writers, 9 + 2 + 2);
    assert.deepEqual(
      replaced
        .filter((c) => !/-files$/.test(c.name))
        .map((c) => c.name)
        .sort(),
      // Both carry only the root CA (trust for the API): a root renewal replaces these two one-shot/cheap containers.
      ["east-consul-acl-init", "east-consul-esm", "west-consul-acl-init", "west-consul-esm"],
    );
    const protectedNames = new Set(envoyAndConsul(renewed).map((c) => c.name));
    assert.deepEqual(
      changes.filter((c) => protectedNames.has(c.name)),
      [],
    );
  });
});
