/**
 * The `StackRunner` of `npm run deploy`: Pulumi's Automation API over the user's `pulumi` CLI, in the project
 * directory (a LocalWorkspace reads Pulumi.yaml and each Pulumi.<stack>.yaml there, and the backend Pulumi.yaml
 * names). Calls used, from pulumi/pulumi sdk/nodejs/automation: `LocalWorkspace.create({ workDir })`
 * (localWorkspace.ts: checks the CLI's version), `Stack.createOrSelect(name, workspace)` (stack.ts: `pulumi stack
 * select`, then `stack init` when the stack is missing), `stack.outputs()` (`pulumi stack output --json`, once masked
 * and once with `--show-secrets`, marking which are secret) and `stack.up({ onOutput })` (`pulumi up --yes
 * --skip-preview --stack <name>`; rejects with a CommandError when the update fails; `summary.resourceChanges`
 * counts the operations).
 *
 * Kept thin: every decision is in deploy/orchestrator.ts and deploy/plan.ts, tested with a fake runner.
 */
import type * as AutomationModule from "@pulumi/pulumi/automation";
import type { ResourceChanges, StackRunner } from "./orchestrator";

/** The Automation API module, loaded on first use: `npm run deploy -- --plan` and the tests never need it. */
type Automation = typeof AutomationModule;
type AutomationStack = Awaited<ReturnType<Automation["Stack"]["createOrSelect"]>>;

export async function automationRunner(workDir: string): Promise<StackRunner> {
  const automation: Automation = await import("@pulumi/pulumi/automation");
  const workspace = await automation.LocalWorkspace.create({ workDir });
  const stacks = new Map<string, AutomationStack>();
  const stackNamed = (name: string): AutomationStack => {
    const stack = stacks.get(name);
    if (!stack) throw new Error(`stack ${name} was not prepared`);
    return stack;
  };
  return {
    async prepare(name) {
      stacks.set(name, await automation.Stack.createOrSelect(name, workspace));
    },
    async publicOutputs(name) {
      const outputs = await stackNamed(name).outputs();
      return Object.fromEntries(
        Object.entries(outputs)
          .filter(([, output]) => !output.secret)
          .map(([key, output]) => [key, output.value as unknown]),
      );
    },
    async up(name, onOutput): Promise<ResourceChanges> {
      const result = await stackNamed(name).up({ onOutput });
      return { ...(result.summary.resourceChanges ?? {}) };
    },
  };
}
