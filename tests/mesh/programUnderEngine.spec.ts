import { strict as assert } from "node:assert";
import { runMeshProgramUnderEngine } from "../../program";
import { invokeModels, providerModels } from "../../simulate/providers";
import { settle, startSimulation } from "../../simulate/recorder";
import { tlsModels } from "../../simulate/tls";
import { syntheticMeshConfig } from "../../bench/syntheticMesh";

interface DebuggableModule {
  debuggablePromise: unknown;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK module whose export the program swaps
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as DebuggableModule;

async function simulate(config: unknown): Promise<void> {
  await startSimulation({
    stack: "engine",
    config: { "lucid-mesh:mesh": config },
    models: { ...providerModels, ...tlsModels },
    invokes: invokeModels,
  });
}

describe("program: what index.ts runs under pulumi up", () => {
  const mesh = syntheticMeshConfig({ services: 3, upstreamsPerService: 1 });
  let leaksFlag: string | undefined;
  beforeEach(() => {
    leaksFlag = process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
  });
  afterEach(() => {
    if (leaksFlag === undefined) delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    else process.env.PULUMI_DEBUG_PROMISE_LEAKS = leaksFlag;
  });

  it("declares with the SDK's per-promise stack capture off, keeps error stacks, and restores it once declared", async () => {
    await simulate(mesh);
    const original = debuggable.debuggablePromise;
    const stackTraceLimit = Error.stackTraceLimit;
    const declared = runMeshProgramUnderEngine();
    assert.notEqual(debuggable.debuggablePromise, original, "per-promise stacks still captured while declaring");
    assert.equal(Error.stackTraceLimit, stackTraceLimit, "error stack traces must stay");
    const outputs = await declared;
    await settle();
    assert.ok("clusters" in outputs);
    assert.equal(debuggable.debuggablePromise, original);
  });

  it("keeps the capture on when PULUMI_DEBUG_PROMISE_LEAKS asks for it", async () => {
    await simulate(mesh);
    process.env.PULUMI_DEBUG_PROMISE_LEAKS = "1";
    const original = debuggable.debuggablePromise;
    const declared = runMeshProgramUnderEngine();
    assert.equal(debuggable.debuggablePromise, original);
    await declared;
    await settle();
  });

  it("still throws bad config synchronously, and restores the capture", async () => {
    await simulate({ ...mesh, services: "not a list" });
    const original = debuggable.debuggablePromise;
    assert.throws(() => runMeshProgramUnderEngine(), /Invalid stack config lucid-mesh:mesh/);
    assert.equal(debuggable.debuggablePromise, original);
  });
});
