/**
 * The order a split mesh's stacks are deployed in (docs/split-stacks.md), as a pure function of the mesh and of
 * what the stacks exported last time. `npm run deploy` runs it; the offline render simulates it.
 *
 * 1. request: each cluster stack that has exported no intermediate CSR yet runs once; with nothing signed for it,
 *    its program declares only the intermediate key and CSR.
 * 2. sign: the root stack signs every cluster's CSR (a changed CSR is signed again).
 * 3. clusters: every cluster stack, in parallel; each declares its cluster with the certificate the root signed.
 * 4. peerings: every peering stack, in parallel, once both its clusters are up.
 */
import type { Mesh } from "../model/mesh";
import { splitStacks, type SplitStack } from "../model/stackParts";

/** What the stacks exported last time, as far as the order depends on it. */
export interface DeployFacts {
  /** Clusters whose stack exports an intermediate CSR. */
  readonly clustersWithCsr: ReadonlySet<string>;
}

export const FIRST_DEPLOY: DeployFacts = { clustersWithCsr: new Set() };

export interface DeployStep extends SplitStack {
  /** Why this stack runs in this phase. */
  readonly why: string;
}

/** Stacks that run at the same time; a phase starts when the one before it has finished. */
export interface DeployPhase {
  readonly name: "request" | "sign" | "clusters" | "peerings";
  readonly steps: readonly DeployStep[];
}

export function deployPlan(env: string, mesh: Mesh, facts: DeployFacts = FIRST_DEPLOY): DeployPhase[] {
  const stacks = splitStacks(env, mesh);
  const clusters = stacks.filter((s) => s.part.role === "cluster");
  const clusterOf = (s: SplitStack): string => (s.part.role === "cluster" ? s.part.cluster : "");
  const phases: DeployPhase[] = [
    {
      name: "request",
      steps: clusters
        .filter((s) => !facts.clustersWithCsr.has(clusterOf(s)))
        .map((s) => ({ ...s, why: "make the intermediate key and CSR for the root to sign" })),
    },
    {
      name: "sign",
      steps: stacks
        .filter((s) => s.part.role === "root")
        .map((s) => ({ ...s, why: "sign each cluster's intermediate CSR" })),
    },
    {
      name: "clusters",
      steps: clusters.map((s) => ({ ...s, why: "declare the cluster with its signed intermediate" })),
    },
    {
      name: "peerings",
      steps: stacks
        .filter((s) => s.part.role === "peering")
        .map((s) => ({ ...s, why: "peer the two clusters' Consul" })),
    },
  ];
  return phases.filter((p) => p.steps.length > 0);
}

/** The facts, from each cluster stack's outputs (`undefined` for a stack that has none yet). */
export function factsFromOutputs(
  clusterOutputs: ReadonlyMap<string, Readonly<Record<string, unknown>> | undefined>,
  csrOutput: string,
): DeployFacts {
  const withCsr = [...clusterOutputs]
    .filter(([, outputs]) => typeof outputs?.[csrOutput] === "string" && outputs[csrOutput] !== "")
    .map(([cluster]) => cluster);
  return { clustersWithCsr: new Set(withCsr) };
}

/** The phases up to and including the last run of `stack`: what must run before its own final state exists. */
export function planUntil(plan: readonly DeployPhase[], stack: string): DeployPhase[] {
  let last = -1;
  plan.forEach((phase, i) => {
    if (phase.steps.some((s) => s.stack === stack)) last = i;
  });
  if (last < 0) throw new Error(`stack ${stack} is not part of the plan`);
  return plan.slice(0, last + 1);
}
