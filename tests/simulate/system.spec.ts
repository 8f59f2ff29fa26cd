import { strict as assert } from "node:assert";
import { recordedResource } from "../helpers/recorded";
import type { RecordedResource } from "../../simulate/recorder";
import { checkSystems, secondUp, type Deployment, type SystemModel } from "../../simulate/system";

const resource = recordedResource;

const CONTAINER = "docker:index/container:Container";

const rewriting: SystemModel = {
  system: "test",
  readBack: {
    [CONTAINER]: (r) => ({ networkMode: String(r.inputs.networkMode).replace("app", "0123abcd"), memory: 256 }),
  },
  forceNew: { [CONTAINER]: ["networkMode"] },
  check: (d) =>
    d.resources
      .filter((r) => r.inputs.readOnly === true)
      .map((r) => ({ system: "test", rule: "r", source: "s", subject: r.urn, message: "read-only" })),
};

describe("system models (simulate/system.ts)", () => {
  const deployment = (resources: RecordedResource[]): Deployment => ({ resources, outputsOf: () => undefined });

  it("plans a replacement when a ForceNew input reads back rewritten, an update otherwise", () => {
    const changes = secondUp(
      [rewriting],
      deployment([
        resource(CONTAINER, "a", { networkMode: "container:app", memory: 256 }),
        resource(CONTAINER, "b", { networkMode: "bridge", memory: 128 }),
      ]),
    );
    assert.deepEqual(
      changes.map((c) => [c.name, c.action, c.properties]),
      [
        ["a", "replace", ["networkMode"]],
        ["b", "update", ["memory"]],
      ],
    );
  });

  it("plans nothing when every stored value equals the declared one, and ignores keys not read back", () => {
    const quiet = secondUp(
      [rewriting],
      deployment([resource(CONTAINER, "c", { networkMode: "bridge", memory: 256, x: 1 })]),
    );
    assert.deepEqual(quiet, []);
  });

  it("collects every system's findings", () => {
    const findings = checkSystems([rewriting], deployment([resource(CONTAINER, "ro", { readOnly: true })]));
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.message, "read-only");
  });
});
