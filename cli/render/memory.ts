/**
 * A full garbage collection between the render's phases.
 *
 * The program under mocks ends holding ~0.5 GB (at 1,000 services), almost all of it the SDK's, and all of it garbage
 * once the simulation returns. V8 sets its next collection point from that peak, so the validate, policy and write
 * phases that follow could grow the heap to 1.2–2.2 GB (measured, run to run) before it collected anything, although
 * no phase keeps more than ~0.4 GB alive. One full collection at each phase boundary resets that point to what is
 * really live. The render calls it; `pulumi up` never does.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let collect: (() => void) | undefined;

function gcFunction(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === "function") return exposed;
  try {
    // Without `node --expose-gc`: set the flag now; a context created after that gets V8's `gc` function. Node
    // documents flags set after startup as unpredictable, so a failure only costs the optimisation.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as unknown;
    if (typeof gc === "function") return gc as () => void;
  } catch {
    // fall through: no collection
  }
  return () => {};
}

/** Runs a full (mark-compact) collection when the runtime allows one; otherwise nothing. */
export function collectGarbage(): void {
  collect ??= gcFunction();
  collect();
}
