import { strict as assert } from "node:assert";
import { sidecarFiles } from "../../../envoy";
import { allInstances } from "../../../model";
import type { Json } from "../../lib/props";
import { toStackResource } from "../../../simulate/policyRunner";
import { checkRbacMatchesIntentions, rbacMatchesIntentionsDefaults } from "../../rules/envoy/rbacMatchesIntentions";
import { editEnvoy, intentionEntriesFor, mesh, named } from "../fixtures/mesh";
import type { ResourceUnderTest } from "../../../simulate/policyRunner";

/** East's blockchain-core sidecar, which api-gateway may call. */
function coreSidecar(): ResourceUnderTest {
  const instance = allInstances(mesh).find((i) => i.service === "blockchain-core" && i.cluster === "east")!;
  return {
    type: "docker:index/container:Container",
    name: `${instance.name}-sidecar`,
    urn: `urn:pulumi:dev::lucid-mesh::docker:index/container:Container::${instance.name}-sidecar`,
    props: {
      labels: [
        { label: "lucid.mesh/role", value: "sidecar" },
        { label: "lucid.mesh/cluster", value: "east" },
        { label: "lucid.mesh/service", value: "blockchain-core" },
      ],
      uploads: Object.entries(sidecarFiles(mesh, instance)).map(([file, content]) => ({
        file: `/etc/envoy/${file}`,
        content,
      })),
    },
  };
}

function entry(name: string, destination: string, sources: Json[]): ResourceUnderTest {
  return {
    type: "consul:index/configEntry:ConfigEntry",
    name,
    urn: `urn:pulumi:dev::lucid-mesh::consul:index/configEntry:ConfigEntry::${name}`,
    props: { kind: "service-intentions", name: destination, configJson: JSON.stringify({ Sources: sources }) },
  };
}

function principals(r: ResourceUnderTest): Json[] {
  let list: Json[] = [];
  editEnvoy(r, "listener.yaml", (d) => {
    const chain = (named(d, "inbound").filter_chains as Json[])[0] as Json;
    const manager = (chain.filters as Json[]).find((f) => f.name === "envoy.filters.network.http_connection_manager")!;
    const rbac = ((manager.typed_config as Json).http_filters as Json[]).find(
      (f) => f.name === "envoy.filters.http.rbac",
    )!;
    list = (((rbac.typed_config as Json).rules as Json).policies as Record<string, Json>).allowed_sources!
      .principals as Json[];
  });
  return list;
}

const check = (resources: ResourceUnderTest[]): string[] =>
  checkRbacMatchesIntentions(resources.map(toStackResource), rbacMatchesIntentionsDefaults).map((v) => v.message);

const API_GATEWAY = "spiffe://lucid.mesh/ns/lucid/dc/east/svc/api-gateway";

describe("lucid-envoy-rbac-matches-intentions", () => {
  it("passes the generated sidecar against the generated intentions", () => {
    assert.ok(principals(coreSidecar()).length > 0, "blockchain-core admits api-gateway");
    assert.deepEqual(check([coreSidecar(), ...intentionEntriesFor("east")]), []);
  });

  it("fails an exact in-domain principal that no intention allows", () => {
    const r = editEnvoy(coreSidecar(), "listener.yaml", (d) => {
      const chain = (named(d, "inbound").filter_chains as Json[])[0] as Json;
      const manager = (chain.filters as Json[])[0]!.typed_config as Json;
      const rbac = (manager.http_filters as Json[]).find((f) => f.name === "envoy.filters.http.rbac")!;
      const policy = (((rbac.typed_config as Json).rules as Json).policies as Record<string, Json>).allowed_sources!;
      (policy.principals as Json[]).push({
        authenticated: { principal_name: { exact: "spiffe://lucid.mesh/ns/lucid/dc/east/svc/session-recorder" } },
      });
    });
    assert.deepEqual(check([r, ...intentionEntriesFor("east")]), [
      'east-blockchain-core-1-sidecar: RBAC of "blockchain-core" admits spiffe://lucid.mesh/ns/lucid/dc/east/svc/session-recorder, but no intention allows session-recorder → blockchain-core (Consul denies it); remove the principal, or add the intention.',
    ]);
  });

  it("decides by Consul's precedence: * → blockchain-core deny outranks api-gateway → * allow", () => {
    const denyAll = entry("east-config-all", "*", [{ Name: "*", Action: "deny" }]);
    const closed = [
      denyAll,
      entry("east-config-core", "blockchain-core", [{ Name: "*", Action: "deny" }]),
      entry("east-config-from-gw", "*", [{ Name: "api-gateway", Action: "allow" }]),
    ];
    assert.deepEqual(check([coreSidecar(), ...closed]), [
      `east-blockchain-core-1-sidecar: RBAC of "blockchain-core" admits ${API_GATEWAY}, but no intention allows api-gateway → blockchain-core (Consul denies it); remove the principal, or add the intention.`,
    ]);
    const open = [
      denyAll,
      entry("east-config-core", "blockchain-core", [{ Name: "*", Action: "allow" }]),
      entry("east-config-from-gw", "*", [{ Name: "api-gateway", Action: "deny" }]),
    ];
    assert.deepEqual(check([coreSidecar(), ...open]), []);
  });

  it("does not count an intention with L7 permissions as a whole-connection allow", () => {
    const entries = [
      entry("east-config-core", "blockchain-core", [
        { Name: "api-gateway", Permissions: [{ Action: "allow", HTTP: { PathPrefix: "/public" } }] },
      ]),
    ];
    assert.equal(check([coreSidecar(), ...entries]).length, 1);
  });

  it("uses the sidecar's own cluster's entries", () => {
    const westOnly = intentionEntriesFor("west");
    const eastDenies = entry("east-config-all", "*", [{ Name: "*", Action: "deny" }]);
    assert.equal(check([coreSidecar(), ...westOnly, eastDenies]).length, 1);
  });

  it("fails closed when RBAC admits callers and the stack declares no intentions", () => {
    assert.deepEqual(check([coreSidecar()]), [
      'east-blockchain-core-1-sidecar: the inbound RBAC of "blockchain-core" admits 1 caller(s) but the stack has no service-intentions to allow them; declare the intentions (Consul then agrees with Envoy).',
    ]);
  });
});
