import { strict as assert } from "node:assert";
import { packConfigFor, packEnvironment, parsePackConfig } from "../lib/packConfig";
import { allPolicies } from "../rules";

describe("policy pack config", () => {
  it("dev.json is advisory and prod.json mandatory for every policy, with nothing unknown", () => {
    for (const [environment, level] of [
      ["dev", "advisory"],
      ["prod", "mandatory"],
    ] as const) {
      const config = packConfigFor(environment);
      assert.deepEqual(Object.keys(config).sort(), allPolicies.map((p) => p.name).sort());
      for (const entry of Object.values(config)) {
        assert.equal(typeof entry === "string" ? entry : entry.enforcementLevel, level);
      }
    }
  });

  it("only sets properties each policy's schema declares", () => {
    for (const environment of ["dev", "prod"] as const) {
      for (const [name, entry] of Object.entries(packConfigFor(environment))) {
        const schema = allPolicies.find((p) => p.name === name)?.configSchema?.properties ?? {};
        const keys = typeof entry === "string" ? [] : Object.keys(entry).filter((k) => k !== "enforcementLevel");
        for (const key of keys) assert.ok(key in schema, `${environment}: ${name}.${key} is not in its schema`);
      }
    }
  });

  it("rejects an unknown enforcement level, and treats any environment but dev as prod", () => {
    assert.throws(() => parsePackConfig({ x: "warn" }), /expected an enforcement level/);
    assert.equal(packEnvironment("dev"), "dev");
    assert.equal(packEnvironment(undefined), "prod");
    assert.equal(packEnvironment("staging"), "prod");
  });
});
