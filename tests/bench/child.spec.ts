import { strict as assert } from "node:assert";
import { freshProcess, type SplitTallyRun, type UpRun } from "../../bench/child";
import { projectNodeArgs } from "../../bench/projectNodeArgs";

// Fresh processes, as `npm run bench` starts them: the split jobs on a tiny mesh.
describe("bench/child: the split mesh's jobs", () => {
  const mesh = ["--services", "9", "--platform", "kubernetes", "--upstreams", "2"];

  it("runs the up path of the largest cluster stack alone, with fewer resources than the whole mesh", () => {
    const whole = freshProcess<UpRun>(["up", ...mesh], projectNodeArgs());
    const part = freshProcess<UpRun>(["up", ...mesh, "--split"]);
    assert.equal(whole.stack, undefined);
    // The process ran with the project's nodeargs, as `pulumi up` starts it.
    assert.deepEqual(whole.nodeArgs, projectNodeArgs());
    assert.deepEqual(part.nodeArgs, []);
    assert.match(part.stack ?? "", /^bench-(east|north|west)$/);
    assert.ok(part.stackInstances! > 0);
    assert.ok(part.resources > 0 && part.resources < whole.resources, `${part.resources} < ${whole.resources}`);
  });

  it("tallies every stack of the split after a first deploy: root, clusters and peerings", () => {
    const run = freshProcess<SplitTallyRun>(["split", ...mesh]);
    const roles = run.stacks.map((s) => s.role);
    assert.deepEqual([roles.filter((r) => r === "root").length, roles.filter((r) => r === "cluster").length], [1, 3]);
    assert.equal(roles.filter((r) => r === "peering").length, 3);
    for (const stack of run.stacks) assert.ok(stack.resources > 0 && stack.stateBytes > 0, stack.stack);
    const clusters = run.stacks.filter((s) => s.role === "cluster");
    const root = run.stacks.find((s) => s.role === "root")!;
    assert.ok(clusters.every((c) => c.resources > root.resources));
  });
});
