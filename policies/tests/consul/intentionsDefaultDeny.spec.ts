import { strict as assert } from "node:assert";
import { intentionsDefaultDeny } from "../../rules/consul/intentionsDefaultDeny";
import { byName, intentionEntriesFor, sidecarConfigMap, sidecarContainer } from "../fixtures/mesh";
import type { ResourceUnderTest } from "../../../simulate/policyRunner";
import { runStackPolicy } from "../../../simulate/policyRunner";

async function messages(resources: ResourceUnderTest[]): Promise<string[]> {
  return (await runStackPolicy(intentionsDefaultDeny, resources)).violations.map((v) => v.message);
}

function sources(entry: ResourceUnderTest): Array<Record<string, unknown>> {
  return (JSON.parse(entry.props.configJson as string) as { Sources: Array<Record<string, unknown>> }).Sources;
}

function setSources(entry: ResourceUnderTest, list: Array<Record<string, unknown>>): void {
  entry.props.configJson = JSON.stringify({ Sources: list });
}

describe("lucid-consul-intentions-default-deny", () => {
  it("passes east's generated intentions with its api-gateway sidecar (Docker and Kubernetes)", async () => {
    assert.deepEqual(
      await messages([...intentionEntriesFor("east"), ...intentionEntriesFor("west"), sidecarContainer()]),
      [],
    );
    assert.deepEqual(await messages([...intentionEntriesFor("east"), sidecarConfigMap()]), []);
  });

  it("fails a stack without a '*' deny entry", async () => {
    const entries = intentionEntriesFor("east").filter((e) => e.props.name !== "*");
    assert.deepEqual(await messages(entries), [
      'no service-intentions entry denies "*" to "*"; add a ConfigEntry with kind service-intentions, name "*" and configJson {"Sources":[{"Name":"*","Action":"deny"}]}.',
    ]);
  });

  it("fails an entry that allows every source", async () => {
    const entries = intentionEntriesFor("east");
    const target = byName(entries, "east-intentions-blockchain-core");
    setSources(target, [...sources(target), { Name: "*", Action: "allow" }]);
    assert.deepEqual(await messages(entries), [
      'east-intentions-blockchain-core: source "*" is allowed to call "blockchain-core"; replace it with one allow per calling service.',
    ]);
  });

  it("fails a declared upstream that no intention allows, naming the sidecar", async () => {
    const entries = intentionEntriesFor("east");
    const target = byName(entries, "east-intentions-session-api");
    setSources(
      target,
      sources(target).filter((s) => s.Name !== "api-gateway"),
    );
    const sidecar = sidecarContainer();
    const result = await runStackPolicy(intentionsDefaultDeny, [...entries, sidecar]);
    assert.deepEqual(result.violations, [
      {
        policy: "lucid-consul-intentions-default-deny",
        level: "mandatory",
        urn: sidecar.urn,
        message:
          'api-gateway dials upstream "session-api" but no intention allows it; add {"Name":"api-gateway","Action":"allow"} to the service-intentions entry for "session-api".',
      },
    ]);
  });

  it("leaves an upstream that neither runs nor has intentions in the stack to its own stack (a split mesh)", async () => {
    // east's stack of a split mesh without session-api: its intentions live in the stack that runs it.
    const entries = intentionEntriesFor("east").filter((e) => e.props.name !== "session-api");
    assert.deepEqual(await messages([...entries, sidecarContainer()]), []);
    // Once the stack holds session-api's entry, the missing allow is this stack's to report again.
    const target = byName(intentionEntriesFor("east"), "east-intentions-session-api");
    setSources(
      target,
      sources(target).filter((s) => s.Name !== "api-gateway"),
    );
    assert.equal((await messages([...entries, target, sidecarContainer()])).length, 1);
  });

  it("reports configJson it cannot parse", async () => {
    const entries = intentionEntriesFor("east");
    byName(entries, "east-intentions-session-api").props.configJson = "{";
    const found = await messages(entries);
    assert.match(found[0] ?? "", /^east-intentions-session-api: configJson is not valid JSON \(.*\); fix the JSON\.$/);
  });
});
