// The runner moved to policies/lib/runner.ts, where the offline render and gate use it too; tests keep this path.
export * from "../lib/runner";
