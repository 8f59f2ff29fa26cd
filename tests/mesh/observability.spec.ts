import { strict as assert } from "node:assert";
import { simulateMesh } from "../../simulate/stack";
import type { ResourceRecorder } from "../../simulate/recorder";
import { rawMeshConfig } from "../helpers/stacks";

type Upload = { file: string; content: string };

describe("mesh: optional Prometheus in the whole program", function () {
  this.timeout(120_000);

  describe("dev with observability.prometheus on", () => {
    let recorder: ResourceRecorder;
    let outputs: Record<string, unknown>;

    before(async () => {
      const raw = rawMeshConfig("dev");
      raw.observability = { prometheus: true };
      ({ recorder, outputs } = await simulateMesh("dev", raw));
    });

    it("runs one pinned Prometheus on every cluster network and exports its URL", () => {
      const [container, ...others] = recorder
        .ofType("docker:index/container:Container")
        .filter((c) =>
          (c.inputs.labels as Array<{ label: string; value: string }>).some((l) => l.value === "prometheus"),
        );
      assert.ok(container, "no Prometheus container");
      assert.equal(others.length, 0);
      const networks = (container.inputs.networksAdvanced as Array<{ name: string }>).map((n) => n.name).sort();
      assert.deepEqual(networks, ["lucid-mesh-east", "lucid-mesh-west"]);
      assert.equal(typeof outputs.prometheusUrl, "string");
      assert.match(String(outputs.prometheusUrl), /^http:\/\//);
    });

    it("reads each cluster's metrics token from a file, never from the config", () => {
      const container = recorder
        .ofType("docker:index/container:Container")
        .find((c) =>
          (c.inputs.labels as Array<{ label: string; value: string }>).some((l) => l.value === "prometheus"),
        );
      assert.ok(container);
      const uploads = container.inputs.uploads as Upload[];
      const config = uploads.find((u) => u.file.endsWith("prometheus.yml"));
      assert.ok(config);
      assert.match(config.content, /credentials_file: \/etc\/prometheus\/secrets\/consul-east\.token/);
      assert.doesNotMatch(config.content, /credentials: /);
      assert.ok(container.secretInputs.includes("uploads"));
    });
  });

  it("deploys nothing for Prometheus when it is off", async () => {
    const { recorder } = await simulateMesh("dev", rawMeshConfig("dev"));
    assert.equal(recorder.resources.filter((r) => r.type === "lucid:mesh:Prometheus").length, 0);
  });
});
