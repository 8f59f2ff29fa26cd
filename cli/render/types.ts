/** Shapes the render writes and returns: plan.json, the summary, the result the CLI and the benchmark read. */
import type { EnforcementLevel } from "@pulumi/policy";
import type { RecordedResource } from "../../simulate/recorder";

/** Bumped whenever a field of plan.json changes meaning or disappears; adding a field keeps it. */
export const PLAN_SCHEMA_VERSION = 1;

export interface PlanResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly parent?: string;
  readonly dependencies: readonly string[];
  readonly provider?: string;
  /** Present (true) when the resource is protected: the engine will not delete or replace it. */
  readonly protect?: boolean;
  readonly custom: boolean;
  /**
   * Docker containers that take a dynamic address only: their place among those in the order the program
   * registered them. dockerd's IPAM model (simulate/docker/ipam.ts) hands out addresses in that order, and the gate
   * replays it from the plan, which lists resources by URN.
   */
  readonly registeredOfType?: number;
  /** Inputs with every secret replaced by `[secret]` (see docs/render.md for what Docker uploads keep). */
  readonly inputs: Record<string, unknown>;
}

export interface Plan {
  readonly schemaVersion: number;
  readonly project: string;
  readonly stack: string;
  /** The mesh's `environment`: the gate picks its default policy config from it. */
  readonly environment: string;
  /** The program's stack outputs (what AnalyzeStack sees as the stack's props). */
  readonly outputs: Record<string, unknown>;
  /** Sorted by URN. */
  readonly resources: readonly PlanResource[];
}

/** One file of the render, relative to the output directory: its whole text, or its text in pieces. */
export type OutputFile = TextFile | StreamedFile;

export interface TextFile {
  readonly path: string;
  readonly content: string;
  /**
   * Holds or embeds certificates (PEMs, SDS files, plan.json): these change on every render because the simulated
   * provider issues fresh keys, so determinism is checked on everything else.
   */
  readonly certificateMaterial: boolean;
}

/**
 * A file written piece by piece and never held whole (plan.json: 60 MB at 1,000 services). No piece splits a PEM
 * block or a JSON string, so the writer finds its certificate material (`hasPem`) and hashes it piece by piece.
 */
export interface StreamedFile {
  readonly path: string;
  readonly pieces: () => Iterable<string>;
}

/** A file the render deliberately did not write. */
export interface OmittedFile {
  readonly path: string;
  readonly reason: string;
}

export interface PolicyViolationRecord {
  readonly policy: string;
  readonly level: EnforcementLevel;
  readonly urn?: string;
  readonly type?: string;
  readonly name?: string;
  readonly message: string;
}

export interface PolicyReport {
  readonly policyConfig: string;
  readonly total: number;
  readonly byLevel: Record<string, number>;
  readonly byRule: Record<string, Record<string, number>>;
  readonly violations: readonly PolicyViolationRecord[];
}

export interface ArtifactIssue {
  /** The Envoy file set or Kubernetes object, as a path in the output directory or a URN. */
  readonly subject: string;
  readonly message: string;
}

export interface RenderTimings {
  simulate: number;
  write: number;
  validate: number;
  policy: number;
  total: number;
}

export interface RenderSummary {
  readonly project: string;
  readonly stack: string;
  readonly environment: string;
  readonly resources: { readonly total: number; readonly byType: Record<string, number> };
  readonly envoy: {
    readonly configSets: number;
    readonly files: number;
    readonly errors: number;
    readonly warnings: number;
  };
  readonly kubernetes: { readonly objects: number; readonly errors: number };
  /** What the provider models of the real systems refuse (simulate/system.ts), with their own messages. */
  readonly systems: { readonly findings: number; readonly bySystem: Record<string, number> };
  /** The traffic walk's counts (traffic.json); absent when the render did not get that far. */
  readonly traffic?: {
    readonly withUpstream: number;
    readonly reachable: number;
    readonly blocked: number;
    readonly scenarios: number;
    readonly violations: number;
  };
  /** The simulated second `up` with the same config: resources it would update or replace (expected: none). */
  readonly secondUp: { readonly updates: number; readonly replacements: number };
  /** Each simulated certificate renewal: how many resources it replaces and updates, and how many it restarts. */
  readonly renewals: readonly {
    readonly kind: string;
    readonly certificate: string;
    readonly replaced: number;
    readonly updated: number;
    /** Containers replaced or pods rolled that run something: apps, Envoy, Consul, consul-esm (isWorkloadRestart). */
    readonly restarts: number;
    /** Docker file writers and one-shots replaced to deliver renewed files (FILE_WRITER_ROLES). */
    readonly writersRerun: number;
    /** Of those, Envoy and Consul servers: must be 0. */
    readonly envoyOrConsulRestarts: number;
  }[];
  readonly policy: {
    readonly total: number;
    readonly mandatory: number;
    readonly byRule: Record<string, Record<string, number>>;
  };
  /** Validation errors (Envoy, Kubernetes, the real systems' refusals, second-`up` changes), at most the first 50. */
  readonly issues: readonly ArtifactIssue[];
  readonly files: number;
  readonly timingsMs: RenderTimings;
}

export type ExitCode = 0 | 1 | 2;

export interface RenderResult {
  readonly exitCode: ExitCode;
  readonly summary: RenderSummary;
  readonly outDir: string;
  /** Set when exitCode is 2: the one message to show (bad input, unwritable output). */
  readonly error?: string;
  /** The policy report written to policy-report.json. */
  readonly policy?: PolicyReport;
  /** What the simulation recorded (secrets unwrapped: never write these), for callers that check the output. */
  readonly resources?: readonly RecordedResource[];
}

export type ProgressFn = (done: number, total: number, phase: string) => void;
