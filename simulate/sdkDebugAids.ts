/**
 * The Pulumi SDK's per-resource debugging aids, switched off while a program runs under mocks.
 *
 * For every promise it creates, the SDK captures `new Error().stack` and keeps the promise in a leak-candidate set
 * (runtime/debuggable.js), only to name promises left unresolved when a real `pulumi up` exits. For every resource it
 * captures a full, source-mapped stack (`Resource.callsites`, resource.js) to send the engine a source position.
 * The mock monitor reads neither, yet together they are about a third of the CPU of a big simulated mesh (and a
 * share of its memory). Neither changes what is registered: names, inputs, parents and dependencies are the same.
 *
 * Both are internal to the SDK (a library boundary), so this module checks their shape and reports whether it could
 * switch them off; a test pins that it can with the locked SDK version, so an upgrade that moves them is noticed.
 */
import * as pulumi from "@pulumi/pulumi";

interface DebuggableModule {
  debuggablePromise: <T>(promise: Promise<T>, context: unknown) => Promise<T>;
}
interface ResourceClass {
  callsites: () => unknown[];
}

function debuggableModule(): DebuggableModule | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- internal SDK module with no public entry point
  const found = require("@pulumi/pulumi/runtime/debuggable") as Partial<DebuggableModule>;
  return typeof found.debuggablePromise === "function" ? (found as DebuggableModule) : undefined;
}

function resourceClass(): ResourceClass | undefined {
  const found = pulumi.Resource as unknown as Partial<ResourceClass>;
  return typeof found.callsites === "function" ? (found as ResourceClass) : undefined;
}

/** Whether both aids are where this module expects them in the installed SDK. */
export function sdkDebugAidsFound(): boolean {
  return debuggableModule() !== undefined && resourceClass() !== undefined;
}

/** Which aids to switch off; all by default. */
export interface DebugAidsOff {
  /** The per-promise `new Error().stack` and leak-candidate set (runtime/debuggable.js). */
  readonly promiseStacks?: boolean;
  /** The per-resource source-mapped call-site capture (`Resource.callsites`). */
  readonly callsites?: boolean;
  /** `Error.stackTraceLimit = 0`, which makes every other `new Error()` cheap too. */
  readonly stackTraces?: boolean;
}

/**
 * Switches the SDK's debugging aids off, with `Error.stackTraceLimit` at 0 (or only those `off` names), and returns
 * the function that puts them back.
 */
export function switchOffSdkDebugAids(off: DebugAidsOff = {}): () => void {
  const debuggable = off.promiseStacks === false ? undefined : debuggableModule();
  const resource = off.callsites === false ? undefined : resourceClass();
  const saved = {
    stackTraceLimit: Error.stackTraceLimit,
    debuggablePromise: debuggable?.debuggablePromise,
    callsites: resource?.callsites,
  };
  if (off.stackTraces !== false) Error.stackTraceLimit = 0;
  if (debuggable) debuggable.debuggablePromise = <P>(promise: Promise<P>): Promise<P> => promise;
  if (resource) resource.callsites = (): unknown[] => [];
  return () => {
    Error.stackTraceLimit = saved.stackTraceLimit;
    if (debuggable && saved.debuggablePromise) debuggable.debuggablePromise = saved.debuggablePromise;
    if (resource && saved.callsites) resource.callsites = saved.callsites;
  };
}

/**
 * Runs `work` with the SDK's debugging aids off (see `switchOffSdkDebugAids`), restoring them afterwards (also
 * when `work` fails). Returns what `work` returns.
 */
export async function withoutSdkDebugAids<T>(work: () => Promise<T>, off: DebugAidsOff = {}): Promise<T> {
  const restore = switchOffSdkDebugAids(off);
  try {
    return await work();
  } finally {
    restore();
  }
}
