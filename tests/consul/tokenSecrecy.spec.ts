/**
 * Issue 15 item 7: no ACL token in plaintext state. A resource's ID is stored unencrypted, and so is every output
 * the provider does not mark secret. `random.RandomUuid` makes its UUID both its ID and a plain output; the tokens
 * now come from `random.RandomBytes`, whose `hex` and `base64` are secret outputs (additionalSecretOutputs) and
 * whose ID is not its value (terraform-provider-random internal/provider/resource_bytes.go).
 */
import { strict as assert } from "node:assert";
import { meshConfigValue, readStackFile } from "../../model/stackFile";
import { runMeshProgram } from "../../program";
import { invokeModels, providerModels } from "../../simulate/providers";
import { settle, startSimulation, type ProviderModel, type ResourceRecorder } from "../../simulate/recorder";
import { tlsModels } from "../../simulate/tls";
import { PROJECT_DIR } from "../helpers/stacks";

describe("ACL tokens never sit in plaintext state (issue 15 item 7)", () => {
  let recorder: ResourceRecorder;
  const ids: string[] = [];

  before(async function () {
    this.timeout(300_000);
    // The simulation's own provider models, noting each resource ID they hand the engine.
    const models: Record<string, ProviderModel> = Object.fromEntries(
      Object.entries({ ...providerModels, ...tlsModels }).map(([type, model]) => [
        type,
        async (args: Parameters<ProviderModel>[0]) => {
          const result = await model(args);
          ids.push(result.id);
          return result;
        },
      ]),
    );
    recorder = await startSimulation({
      stack: "dev",
      config: { "lucid-mesh:mesh": meshConfigValue(readStackFile(PROJECT_DIR, "dev")) },
      models,
      invokes: invokeModels,
    });
    await runMeshProgram({ pace: settle });
    await settle();
  });

  function agentTokens(): string[] {
    const tokens: string[] = [];
    for (const r of recorder.resources) {
      const uploads = (r.inputs.uploads ?? []) as Array<{ file: string; content?: string }>;
      for (const u of uploads) {
        if (u.file === "/consul/config/secrets.json") {
          const parsed = JSON.parse(u.content ?? "{}") as { acl: { tokens: Record<string, string> } };
          tokens.push(...Object.values(parsed.acl.tokens));
        }
        if (u.file === "/consul-esm/config/token.json")
          tokens.push((JSON.parse(u.content ?? "{}") as { token: string }).token);
      }
    }
    return [...new Set(tokens)];
  }

  it("finds the management, DNS, agent and consul-esm tokens of both clusters", () => {
    assert.equal(agentTokens().length, 8);
    for (const token of agentTokens())
      assert.match(token, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("no token is a resource ID, a public output or a non-secret input", () => {
    const publicOutputs = JSON.stringify([...recorder.outputs.values()]);
    const plainInputs = JSON.stringify(recorder.resources.map((r) => r.redactedInputs));
    for (const token of agentTokens()) {
      assert.ok(!ids.includes(token), `a resource ID is the token ${token}`);
      assert.ok(!publicOutputs.includes(token), `a public output holds the token ${token}`);
      assert.ok(!plainInputs.includes(token), `a non-secret input holds the token ${token}`);
    }
  });
});
