import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { simulateMesh } from "../../simulate/stack";
import { startSimulation } from "../../simulate/recorder";
import { runMeshProgram } from "../../program";
import { rawMeshConfig } from "../helpers/stacks";

describe("program: bad stack config", function () {
  this.timeout(60_000);

  it("stops with one RunError naming the path and the fix, before any resource exists", async () => {
    const raw = rawMeshConfig("dev");
    (raw.services as Array<Record<string, unknown>>)[0]!.clusters = ["esat"];
    const recorder = await startSimulation({ stack: "dev", config: { "lucid-mesh:mesh": raw } });
    let caught: unknown;
    try {
      void runMeshProgram();
    } catch (error) {
      caught = error;
    }
    // RunError is the SDK's way to end a program with a message and no stack trace.
    assert.ok(caught instanceof pulumi.RunError, "expected a pulumi.RunError");
    assert.match(
      (caught as Error).message,
      /services\[0\]\.clusters\[0\]: unknown cluster "esat"\. Did you mean "east"\?/,
    );
    assert.match((caught as Error).message, /fix: name a cluster declared under clusters/);
    assert.equal(recorder.resources.length, 0, "no partial deployment");
  });

  it("reports a missing mesh config with the key to set", async () => {
    await startSimulation({ stack: "dev", config: {} });
    assert.throws(
      () => runMeshProgram(),
      (e: Error) => e instanceof pulumi.RunError && /set lucid-mesh:mesh/.test(e.message),
    );
  });

  it("reports config that is not an object", async () => {
    await startSimulation({ stack: "dev", config: { "lucid-mesh:mesh": "[1, 2" } });
    assert.throws(
      () => runMeshProgram(),
      (e: Error) => e instanceof pulumi.RunError && /lucid-mesh:mesh/.test(e.message),
    );
  });

  it("exports a model summary with no secrets", async () => {
    const { outputs } = await simulateMesh("dev", rawMeshConfig("dev"));
    const model = outputs.model as { environment: string; services: Array<{ name: string }> };
    assert.equal(model.environment, "dev");
    assert.equal(model.services.length, 7);
    assert.doesNotMatch(JSON.stringify(model), /PRIVATE KEY|token/i);
  });
});
