/**
 * The Consul applier (consul/applier.ts, simulate/consul/applier.ts): its payload says what the per-instance
 * `consul.ConfigEntry` and `consul.Service` resources said before (recorded from main's dev and prod renders in
 * testdata/), its token may do exactly what its script does, and one pass against Consul converges, prunes what it
 * no longer declares and stops with Consul's own message where Consul refuses.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import {
  APPLIER_MANAGED_KEY,
  APPLIER_MANAGED_VALUE,
  applierPayload,
  applierPolicy,
  applierScript,
  renderPayload,
  type ApplierPayload,
} from "../../consul/applier";
import { parseAclRules, type TokenAuthority } from "../../simulate/consul/aclRules";
import { appliersOf, applierPass, emptyStore, type ConsulStore } from "../../simulate/consul/applier";
import type { RecordedResource } from "../../simulate/recorder";
import { replayingTlsModels, type TlsResults } from "../../simulate/renewal";
import { simulateMesh, simulateStack } from "../../simulate/stack";
import { tlsModels } from "../../simulate/tls";
import { PROJECT_DIR, rawMeshConfig, stackMesh } from "../helpers/stacks";

interface LegacyResource {
  readonly type: string;
  readonly name: string;
  readonly provider: string;
  readonly inputs: Record<string, unknown>;
}

function legacy(stack: "dev" | "prod"): LegacyResource[] {
  const file = path.join(__dirname, "testdata", `legacy-consul-inputs.${stack}.json`);
  return JSON.parse(readFileSync(file, "utf8")) as LegacyResource[];
}

/** `east-consul-provider` → `east`. */
const clusterOfProvider = (provider: string): string => provider.replace(/-consul-provider$/, "");

function token(rules: string, accessor = "applier-test"): { accessor: string; authority: TokenAuthority } {
  return { accessor, authority: { kind: "policies", policies: [parseAclRules(rules)] } };
}

const mesh = stackMesh("dev");
const east = mesh.clusters.find((c) => c.name === "east")!;
const eastPayload = (): ApplierPayload => applierPayload(mesh, east, { registersInstances: true });
const eastToken = () => token(applierPolicy(mesh, east, true).rules);

describe("Consul applier", () => {
  describe("its payload means what the per-instance resources meant (main's recorded inputs)", () => {
    for (const stack of ["dev", "prod"] as const) {
      it(`${stack}: same entries, same registrations with the same checks, nothing more`, async function () {
        this.timeout(300_000);
        const { recorder } = await simulateStack(PROJECT_DIR, stack);
        const payloads = new Map(appliersOf(recorder.resources).map((a) => [a.payload.cluster, a.payload]));
        const before = legacy(stack);
        const entries = before.filter((r) => r.type === "consul:index/configEntry:ConfigEntry");
        const services = before.filter(
          (r) => r.type === "consul:index/service:Service" && r.inputs.name !== "mesh-gateway",
        );
        assert.ok(entries.length > 0);

        for (const r of entries) {
          const payload = payloads.get(clusterOfProvider(r.provider))!;
          const found = payload.configEntries.find((e) => e.Kind === r.inputs.kind && e.Name === r.inputs.name);
          assert.ok(found, `${r.name}: not in the payload`);
          const { Kind, Name, Meta, ...body } = found;
          void Kind;
          void Name;
          assert.deepEqual(body, JSON.parse(String(r.inputs.configJson)), r.name);
          assert.deepEqual(Meta, { [APPLIER_MANAGED_KEY]: APPLIER_MANAGED_VALUE });
        }
        for (const r of services) {
          const payload = payloads.get(clusterOfProvider(r.provider))!;
          const found = payload.registrations.find((x) => x.Service.ID === r.inputs.serviceId);
          assert.ok(found, `${r.name}: not in the payload`);
          // The recording's addresses came from the Docker model's earlier hashed stand-in; dockerd's IPAM model
          // (simulate/docker/ipam.ts) gives each holder another one. Compare with the address the model gives now.
          const recorded = r.inputs as Record<string, unknown>;
          const dynamic = /^\d+\.\d+\.\d+\.(\d+)$/.exec(found.Address);
          assert.ok(dynamic && Number(dynamic[1]) >= 129 && Number(dynamic[1]) <= 254, found.Address);
          const i = JSON.parse(JSON.stringify(recorded).split(String(recorded.address)).join(found.Address)) as Record<
            string,
            unknown
          > & { checks: Array<Record<string, unknown>> };
          assert.equal(found.Datacenter, i.datacenter);
          assert.equal(found.Node, i.node);
          // terraform-provider-consul getCatalogRegistration: the service address is also the registration's.
          assert.equal(found.Address, i.address);
          assert.deepEqual(
            { ...found.Service, Meta: { ...found.Service.Meta } },
            {
              ID: i.serviceId,
              Service: i.name,
              Address: i.address,
              Port: i.port,
              Tags: i.tags,
              // The provider added `external-source: terraform`; the applier names itself and marks what it owns.
              Meta: {
                ...(i.meta as object),
                "external-source": "lucid-mesh",
                [APPLIER_MANAGED_KEY]: APPLIER_MANAGED_VALUE,
              },
            },
            r.name,
          );
          assert.deepEqual(
            found.Checks.map((c) => ({
              checkId: c.CheckID,
              name: c.Name,
              http: c.Definition.HTTP,
              method: c.Definition.Method,
              interval: c.Definition.Interval,
              timeout: c.Definition.Timeout,
              deregisterCriticalServiceAfter: c.Definition.DeregisterCriticalServiceAfter,
            })),
            i.checks,
            r.name,
          );
        }
        const count = (f: (p: ApplierPayload) => number): number =>
          [...payloads.values()].map(f).reduce((a, b) => a + b, 0);
        assert.equal(
          count((p) => p.configEntries.length),
          entries.length,
        );
        assert.equal(
          count((p) => p.registrations.length),
          services.length,
        );
      });
    }
  });

  describe("one pass against Consul (hashicorp/consul config_endpoint.go, catalog_endpoint.go)", () => {
    it("writes everything on the first pass and nothing on the second", () => {
      const first = applierPass(emptyStore(), eastPayload(), eastToken());
      assert.deepEqual(first.refusals, []);
      assert.equal(first.writes.length, eastPayload().configEntries.length + eastPayload().registrations.length);
      assert.deepEqual(applierPass(first.store, eastPayload(), eastToken()).writes, []);
    });

    it("reverts manual drift: an edited registration is registered again", () => {
      const { store } = applierPass(emptyStore(), eastPayload(), eastToken());
      const services = new Map(store.services);
      const drifted = services.get("api-gateway-1")!;
      services.set("api-gateway-1", { ...drifted, Service: { ...drifted.Service, Port: 9999 } });
      const again = applierPass({ ...store, services }, eastPayload(), eastToken());
      assert.deepEqual(again.writes, ["register api-gateway-1"]);
      assert.equal(again.store.services.get("api-gateway-1")!.Service.Port, 15001);
    });

    it("prunes a managed entry and a managed registration it no longer declares, and leaves anything else alone", () => {
      const { store } = applierPass(emptyStore(), eastPayload(), eastToken());
      const managed = { [APPLIER_MANAGED_KEY]: APPLIER_MANAGED_VALUE };
      const entries = new Map(store.entries);
      entries.set("service-intentions/retired", {
        Kind: "service-intentions",
        Name: "retired",
        Sources: [],
        Meta: managed,
      });
      entries.set("service-intentions/operator", { Kind: "service-intentions", Name: "operator", Sources: [] });
      const services = new Map(store.services);
      const template = services.get("api-gateway-1")!;
      services.set("retired-1", { ...template, Service: { ...template.Service, ID: "retired-1", Service: "retired" } });
      const stale: ConsulStore = { ...store, entries, services };
      const pass = applierPass(stale, eastPayload(), eastToken());
      assert.deepEqual(pass.refusals, []);
      assert.deepEqual(pass.writes, ["DELETE /v1/config/service-intentions/retired", "deregister retired-1"]);
      assert.ok(pass.store.entries.has("service-intentions/operator"));
    });

    it("cannot deregister a removed service without node:write on its node (vetDeregisterWithACL)", () => {
      const { store } = applierPass(emptyStore(), eastPayload(), eastToken());
      const services = new Map(store.services);
      const template = services.get("api-gateway-1")!;
      services.set("retired-1", { ...template, Service: { ...template.Service, ID: "retired-1", Service: "retired" } });
      const noNodeWrite = applierPolicy(mesh, east, true).rules.replace(
        'node "east-external" {\n  policy = "write"\n}',
        'node "east-external" {\n  policy = "read"\n}',
      );
      const pass = applierPass({ ...store, services }, eastPayload(), token(noNodeWrite));
      assert.equal(pass.refusals.length, 1);
      assert.equal(
        pass.refusals[0]!.message,
        `Consul refused (403): Permission denied: token with AccessorID 'applier-test' lacks permission 'service:write' on "retired"`,
      );
    });

    it("a token without intentions = write is denied with Consul's message, and the pass stops there", () => {
      const rules = applierPolicy(mesh, east, true).rules.replace(/\n {2}intentions = "write"/g, "");
      const pass = applierPass(emptyStore(), eastPayload(), token(rules));
      assert.deepEqual(pass.writes, []);
      assert.equal(
        pass.refusals[0]!.message,
        `Consul refused (403): Permission denied: token with AccessorID 'applier-test' lacks permission 'intention:write' on "*"`,
      );
    });

    it("an exact service rule beats the prefix rule for intentions too (acl/policy_authorizer.go)", () => {
      const rules =
        'service "api-gateway" {\n  policy = "write"\n}\nservice_prefix "" {\n  policy = "read"\n  intentions = "write"\n}\n';
      const { authority } = token(rules);
      const allowedOn = (segment: string): boolean =>
        applierPass(
          emptyStore(),
          {
            ...eastPayload(),
            configEntries: [
              {
                Kind: "service-intentions",
                Name: segment,
                Sources: [{ Name: "web", Action: "allow", Precedence: 9, Type: "consul" }],
              },
            ],
            registrations: [],
          },
          { accessor: "t", authority },
        ).refusals.length === 0;
      assert.equal(allowedOn("session-api"), true);
      assert.equal(allowedOn("api-gateway"), false);
    });

    it("a token that cannot read its node sees none of its registrations and registers again on every pass", () => {
      const rules = applierPolicy(mesh, east, true).rules.replace(
        'node "east-external" {\n  policy = "write"\n}\n',
        "",
      );
      const first = applierPass(emptyStore(), eastPayload(), token(rules));
      assert.deepEqual(first.refusals, []);
      assert.equal(
        applierPass(first.store, eastPayload(), token(rules)).writes.length,
        eastPayload().registrations.length,
      );
    });

    it("an entry Consul refuses stops the pass with Consul's validation message", () => {
      const payload: ApplierPayload = {
        ...eastPayload(),
        configEntries: [{ Kind: "service-resolver", Name: "session-api", Redirect: { Peer: "west" } }],
      };
      const pass = applierPass(emptyStore(), payload, { accessor: "m", authority: { kind: "management" } });
      assert.match(pass.refusals[0]!.message, /^Consul refused: .*Redirect\.Peer defined without Redirect\.Service/);
    });
  });

  describe("its policy and script", () => {
    it("the policy parses as Consul parses it, with write only on the services it registers", () => {
      const rules = parseAclRules(applierPolicy(mesh, east, true).rules);
      const serviceWrites = rules.segments.filter((r) => r.resource === "service" && r.access === "write");
      assert.deepEqual(
        serviceWrites.map((r) => r.segment),
        ["api-gateway", "blockchain-core", "session-api", "session-recorder"],
      );
      assert.equal(rules.scalars.mesh, "write");
      const k8s = parseAclRules(applierPolicy(mesh, east, false).rules);
      assert.deepEqual(
        k8s.segments.filter((r) => r.access === "write"),
        [],
      );
    });

    it("the script is valid POSIX sh, reads its token from a header file and prunes by the managed meta", () => {
      const script = applierScript(east);
      execFileSync("sh", ["-n"], { input: script });
      assert.match(script, /-H @'\/lucid-applier\/token-header'/);
      assert.match(script, /--connect-to "\$CONNECT"/);
      assert.match(script, /CONNECT='server\.east\.consul:8501:10\.10\.1\.10:8501'/);
      assert.match(script, /PUT \/v1\/catalog\/deregister/);
      assert.doesNotMatch(script, /X-Consul-Token: [0-9a-f]/);
    });

    it("the payload file has one object a line, so a preview diff shows exactly what changed", () => {
      const text = renderPayload(eastPayload());
      assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(eastPayload())));
      const registrationLines = text.split("\n").filter((l) => l.includes('"SkipNodeUpdate":true'));
      assert.equal(registrationLines.length, eastPayload().registrations.length);
    });
  });

  it("a change of one service changes only the applier's payload (and its digest), nothing else", async function () {
    this.timeout(300_000);
    const inputsByUrn = (resources: readonly RecordedResource[]): Map<string, string> =>
      new Map(resources.filter((r) => r.custom).map((r) => [r.urn, JSON.stringify(r.inputs)]));
    // The second run gets the first run's tls results back where its inputs are unchanged, as the provider keeps them.
    const tls: TlsResults = new Map();
    const first = await simulateMesh("dev", rawMeshConfig("dev"), { tlsModels: replayingTlsModels(tlsModels, tls) });
    const before = inputsByUrn(first.recorder.resources);
    const raw = rawMeshConfig("dev");
    const services = raw["services"] as Array<Record<string, unknown>>;
    const recorder = services.find((s) => s["name"] === "session-recorder")!;
    recorder["tags"] = [...((recorder["tags"] as string[] | undefined) ?? []), "canary"];
    const second = await simulateMesh("dev", raw, { tlsModels: replayingTlsModels(tlsModels, new Map(), tls) });
    const after = inputsByUrn(second.recorder.resources);
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
    const changedUrns = [...after]
      .filter(([urn, inputs]) => before.get(urn) !== inputs)
      .map(([urn]) => urn.split("::").pop());
    assert.deepEqual(changedUrns.sort(), ["east-consul-applier", "east-consul-applier-files"]);
  });
});
