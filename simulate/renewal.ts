/**
 * What a certificate renewal does to the rest of the stack, found the way the engine finds it: run the program
 * again with every tls result replayed from the first run except the renewed certificate (and anything whose
 * inputs then differ, which the tls provider replaces: simulate/tls/system.ts), and diff every resource's inputs.
 * Each difference is an update or a replacement by its provider's ForceNew rules; a replaced container, or a
 * Kubernetes workload whose pod template changed, is a restart.
 */
import { resourceRole } from "../artifacts/labels";
import * as pulumi from "@pulumi/pulumi";
import { isDeepStrictEqual } from "node:util";
import type { ModelArgs, ModelResult, ProviderModel, RecordedResource } from "./recorder";
import { classifyChange, type PlannedChange, type SystemModel } from "./system";
import { TLS_TYPES } from "./tls";

interface StoredResult {
  readonly inputs: Record<string, unknown>;
  readonly id: string;
  readonly outputs: Record<string, unknown>;
  readonly secretKeys: readonly string[];
}

/** tls results of one run, by `type::name`, with secret outputs kept as plain values and the keys noted. */
export type TlsResults = Map<string, StoredResult>;

function unwrapOutput(value: pulumi.Output<unknown>): Promise<unknown> {
  return new Promise((resolve) => value.apply((v) => resolve(v)));
}

async function store(args: ModelArgs, result: ModelResult): Promise<StoredResult> {
  const outputs: Record<string, unknown> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(result.outputs)) {
    if (pulumi.Output.isInstance(value)) {
      secretKeys.push(key);
      outputs[key] = await unwrapOutput(value);
    } else outputs[key] = value;
  }
  return { inputs: args.inputs, id: result.id, outputs, secretKeys };
}

function replay(stored: StoredResult): ModelResult {
  const outputs = { ...stored.outputs };
  for (const key of stored.secretKeys) outputs[key] = pulumi.secret(outputs[key]);
  return { id: stored.id, outputs };
}

/**
 * Wraps the tls models: each result is stored in `results`; with `replayFrom`, a resource whose inputs equal the
 * earlier run's gets that run's result back (the provider keeps it), unless `renew` names it (its early-renewal
 * window has come, so the provider replaces it).
 */
export function replayingTlsModels(
  models: Record<string, ProviderModel>,
  results: TlsResults,
  replayFrom?: TlsResults,
  renew: ReadonlySet<string> = new Set(),
): Record<string, ProviderModel> {
  return Object.fromEntries(
    Object.entries(models).map(([type, model]) => [
      type,
      async (args: ModelArgs): Promise<ModelResult> => {
        const key = `${type}::${args.name}`;
        const earlier = replayFrom?.get(key);
        const kept = earlier && !renew.has(args.name) && isDeepStrictEqual(earlier.inputs, args.inputs);
        const result = kept ? replay(earlier) : await model(args);
        results.set(key, kept ? earlier : await store(args, result));
        return result;
      },
    ]),
  );
}

export type RenewalKind = "leaf" | "consul-server" | "intermediate" | "root";

/** The certificate a renewal of each kind renews: the first by name, so two renders pick the same one. */
export function renewalTarget(resources: readonly RecordedResource[], kind: RenewalKind): string | undefined {
  const certs = resources
    .filter((r) => r.type === (kind === "root" ? TLS_TYPES.selfSignedCert : TLS_TYPES.locallySignedCert))
    .map((r) => r.name)
    .sort();
  const suffix = { leaf: "-leaf", "consul-server": "-consul-server", intermediate: "-intermediate", root: "" }[kind];
  return certs.find((name) => name.endsWith(suffix));
}

/** Roles a renewal must never restart: Envoy (sidecars, gateways) and Consul servers. Writers and one-shots may go. */
export const MUST_NOT_RESTART: ReadonlySet<string> = new Set(["sidecar", "gateway", "consul-server"]);

/**
 * Roles that only deliver files or run once: a Docker writer (dockerFileWriter.ts) is replaced to deliver a renewed
 * file, as kubelet rewrites a Secret volume on Kubernetes. Their replacement serves no traffic and holds no state, so
 * a renewal report counts them apart from the containers and pods it restarts.
 */
export const FILE_WRITER_ROLES: ReadonlySet<string> = new Set(["envoy-config", "consul-config", "consul-acl-init"]);

/** A restart of something that runs: not a file writer or a one-shot. */
export function isWorkloadRestart(restart: Pick<Restart, "role">): boolean {
  return !FILE_WRITER_ROLES.has(restart.role);
}

/**
 * Whether a renewal's restart breaks the promise: no renewal of any kind restarts an Envoy or a Consul server, not
 * even one at a time. Envoy reloads its SDS files in place; Docker's Consul reloads its TLS files through
 * auto_reload_config, and so does Kubernetes' once a copier puts them in an emptyDir as regular files (kubelet's
 * symlinks are refused: simulate/kubernetes/serverReload.ts). A rolling restart is a restart.
 */
export function isForbiddenRestart(_kind: RenewalKind, restart: Restart): boolean {
  return MUST_NOT_RESTART.has(restart.role);
}

/** What the render and the gate say of a server left on the old certificate. */
export function staleMessage(report: Pick<RenewalReport, "kind" | "certificate">, server: string): string {
  return `a ${report.kind} renewal (${report.certificate}) leaves ${server} on the old certificate: its Secret changes and nothing reloads it`;
}

export interface Restart {
  readonly urn: string;
  readonly name: string;
  /** `lucid.mesh/role` of the workload: sidecar, gateway, consul-server, app, ... */
  readonly role: string;
  readonly why: string;
  /** A Kubernetes rollout, one pod at a time within its disruption budget, rather than all at once. */
  readonly rolling: boolean;
}

export interface RenewalReport {
  readonly kind: RenewalKind;
  readonly certificate: string;
  readonly replaced: readonly string[];
  readonly updated: readonly string[];
  readonly restarts: readonly Restart[];
  /** Servers that keep serving the old certificate: their Secret changed and nothing reloads it. */
  readonly stale: readonly string[];
}

const KUBERNETES_WORKLOADS = new Set([
  "kubernetes:apps/v1:Deployment",
  "kubernetes:apps/v1:DeploymentPatch",
  "kubernetes:apps/v1:StatefulSet",
  "kubernetes:apps/v1:DaemonSet",
]);

/**
 * Whether a change restarts running processes: a replaced Docker container is a new container; a Kubernetes
 * workload whose pod template changed rolls its pods (a Secret or ConfigMap update alone does not: kubelet
 * refreshes mounted files in place).
 */
export function restartOf(
  change: PlannedChange,
  before: RecordedResource,
  after: RecordedResource,
): Restart | undefined {
  const role = resourceRole(after);
  if (change.type === "docker:index/container:Container" && change.action === "replace")
    return {
      urn: change.urn,
      name: change.name,
      role,
      why: `replaced: ${change.properties.join(", ")}`,
      rolling: false,
    };
  if (KUBERNETES_WORKLOADS.has(change.type)) {
    const template = (r: RecordedResource): unknown => (r.inputs.spec as { template?: unknown } | undefined)?.template;
    if (change.action === "replace" || !isDeepStrictEqual(template(before), template(after)))
      return {
        urn: change.urn,
        name: change.name,
        role,
        why: "pod template changed: a rolling restart",
        rolling: true,
      };
  }
  return undefined;
}

/** Every resource whose inputs differ between two runs, classified, with the restarts they cause. */
export function compareRuns(
  models: readonly SystemModel[],
  before: readonly RecordedResource[],
  after: readonly RecordedResource[],
  renewed: ReadonlySet<string>,
): { changes: PlannedChange[]; restarts: Restart[] } {
  const earlier = new Map(before.map((r) => [r.urn, r]));
  const changes: PlannedChange[] = [];
  const restarts: Restart[] = [];
  for (const resource of after) {
    const old = earlier.get(resource.urn);
    if (!old || !resource.custom) continue;
    const keys = [...new Set([...Object.keys(old.inputs), ...Object.keys(resource.inputs)])].filter(
      (k) => !isDeepStrictEqual(old.inputs[k], resource.inputs[k]),
    );
    if (renewed.has(resource.name) && resource.type.startsWith("tls:")) keys.push("readyForRenewal");
    const change = classifyChange(models, resource, keys);
    if (!change) continue;
    changes.push(change);
    const restart = restartOf(change, old, resource);
    if (restart) restarts.push(restart);
  }
  return { changes, restarts };
}

export function renewalReport(
  kind: RenewalKind,
  certificate: string,
  compared: { changes: PlannedChange[]; restarts: Restart[] },
  stale: readonly string[] = [],
): RenewalReport {
  const names = (action: PlannedChange["action"]): string[] =>
    compared.changes
      .filter((c) => c.action === action)
      .map((c) => `${c.type.split(":").pop()} ${c.name}`)
      .sort();
  return {
    kind,
    certificate,
    replaced: names("replace"),
    updated: names("update"),
    restarts: [...compared.restarts].sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0)),
    stale: [...stale].sort(),
  };
}
