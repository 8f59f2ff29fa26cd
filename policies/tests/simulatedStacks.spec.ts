/**
 * The whole program, simulated under mocks (simulate/stack.ts), checked by the pack with each environment's
 * config: every mandatory rule passes on the real stacks, and breaking one real resource fails the right rule.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { packConfigFor } from "../lib/packConfig";
import type { PackEnvironment } from "../lib/packConfig";
import { simulateStack } from "../../simulate/stack";
import type { HarnessOptions, ResourceUnderTest, Violation } from "../../simulate/policyRunner";
import { fromRecorded, optionsFromPackConfig, runPack } from "../../simulate/policyRunner";

const PROJECT_DIR = path.resolve(__dirname, "..", "..");

function optionsFor(environment: PackEnvironment): (policy: string) => HarnessOptions {
  return optionsFromPackConfig(packConfigFor(environment));
}

async function stackResources(stack: PackEnvironment): Promise<ResourceUnderTest[]> {
  const simulated = await simulateStack(PROJECT_DIR, stack);
  return [
    ...simulated.recorder.resources.map(fromRecorded),
    // AnalyzeStack sees the root stack's outputs as its props.
    { type: "pulumi:pulumi:Stack", name: `lucid-mesh-${stack}`, props: simulated.outputs },
  ];
}

function describeViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `${v.policy} ${v.urn ?? ""}: ${v.message}`).join("\n");
}

describe("the simulated dev and prod stacks under the pack", function () {
  this.timeout(120_000);
  const stacks: Partial<Record<PackEnvironment, ResourceUnderTest[]>> = {};

  before(async () => {
    // One simulation at a time: the mocks are process-global.
    stacks.dev = await stackResources("dev");
    stacks.prod = await stackResources("prod");
  });

  for (const environment of ["dev", "prod"] as const) {
    it(`${environment} passes every rule`, async () => {
      const violations = await runPack(stacks[environment] ?? [], optionsFor(environment));
      assert.equal(violations.length, 0, describeViolations(violations));
    });
  }

  it("prod fails images-pinned, mandatory, when a real sidecar image is set to the seed's v1.28-latest", async () => {
    const resources = structuredClone(stacks.prod ?? []);
    const target = resources.find((r) => r.type === "kubernetes:apps/v1:Deployment");
    assert.ok(target, "prod has a Deployment");
    const containers = (
      target.props.spec as { template: { spec: { containers: Array<{ name: string; image: string }> } } }
    ).template.spec.containers;
    const envoy = containers.find((c) => c.image.startsWith("envoyproxy/envoy")) ?? containers[0];
    assert.ok(envoy);
    envoy.image = "envoyproxy/envoy:v1.28-latest";
    const violations = await runPack(resources, optionsFor("prod"));
    assert.deepEqual(
      violations.map((v) => [v.policy, v.level, v.urn]),
      [["lucid-workloads-images-pinned", "mandatory", target.urn]],
    );
  });
});
