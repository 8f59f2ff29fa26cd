/** The render's garbage collection between phases. */
import { strict as assert } from "node:assert";
import { collectGarbage } from "../../cli/render/memory";

/** A WeakRef to an object nothing else holds; made in its own function so no local keeps the object alive. */
function unreachable(): WeakRef<object> {
  return new WeakRef({ payload: new Array(1000).fill("garbage") });
}

describe("collectGarbage", () => {
  it("runs a full collection (here without node --expose-gc: through the V8 flag it sets)", async () => {
    const ref = unreachable();
    // A WeakRef keeps its target until the current job ends, so collect in a later turn.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    assert.equal(ref.deref(), undefined);
  });

  it("keeps what is still reachable", async () => {
    const kept = { payload: "live" };
    const ref = new WeakRef(kept);
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    assert.equal(ref.deref(), kept);
  });
});
