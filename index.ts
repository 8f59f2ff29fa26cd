// Entry point for `pulumi up`: the program lives in program.ts so the offline render and tests can run it too.
import { runMeshProgram } from "./program";

export = runMeshProgram();
