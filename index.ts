// Entry point for `pulumi up`: the program lives in program.ts so the offline render and tests can run it too.
// It exports a promise of the stack outputs, which the SDK awaits; bad config still throws before any resource.
import { runMeshProgramUnderEngine } from "./program";

export = runMeshProgramUnderEngine();
