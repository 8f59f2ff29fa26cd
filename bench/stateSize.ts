/**
 * What a stack costs Pulumi's state (issue 22 §1, §2): resources and state bytes by resource type, their margin per
 * service instance between two mesh sizes, and what a first `up` writes on the file backend. Pure: recorded
 * resources in, numbers out; nothing here knows the mesh's resource types, so it keeps counting when they change.
 *
 * State bytes follow Pulumi's checkpoint format (pulumi/pulumi sdk/go/common/apitype/core.go, `ResourceV3`): each
 * resource is stored with its `inputs` AND its `outputs` (for a custom resource the provider's outputs, which
 * repeat every input the provider echoes), plus urn, type, id, parent, dependencies and provider. The file backend
 * writes that checkpoint as compact JSON (pkg/backend/diy/state.go, `compactJSONMarshaler`) after every step
 * (pkg/backend/snapshot.go: a create saves once when it begins and once when it ends).
 */
import { resourceLabels } from "../artifacts/labels";
import type { RecordedResource } from "../simulate/recorder";

/** The root stack's share: resources that belong to no one cluster (the root CA, the WAN network, components). */
export const SHARED_PARTITION = "(shared)";
const CLUSTER_LABEL = "lucid.mesh/cluster";

export interface TypeTally {
  readonly resources: number;
  /** Compact JSON of the inputs as the plan records them (secrets as their plain values). */
  readonly inputBytes: number;
  /** The resource's whole checkpoint entry: inputs, outputs and the engine's fields. */
  readonly stateBytes: number;
}

export interface StackTally {
  readonly resources: number;
  readonly customResources: number;
  readonly inputBytes: number;
  /** The checkpoint's resources, as compact JSON: what the file backend rewrites on every step. */
  readonly stateBytes: number;
  /** By resource type; `custom` is false for component types. */
  readonly byType: Readonly<Record<string, TypeTally & { readonly custom: boolean }>>;
  /** By cluster (see `partitionOf`), plus `SHARED_PARTITION`. */
  readonly byPartition: Readonly<Record<string, { readonly resources: number; readonly stateBytes: number }>>;
}

/** Outputs the provider models added, by URN (the recorder's `outputs`); undefined where the mock only echoed. */
export type ModelOutputsOf = (urn: string) => Readonly<Record<string, unknown>> | undefined;

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? "");
}

/**
 * Bytes of one resource in the checkpoint. Under mocks a custom resource's outputs are its inputs with the model's
 * outputs over them (simulate/recorder.ts returns exactly that state); a component's outputs are what it
 * registered (nothing here). Two things are not counted: secret outputs, which the recorder keeps as a placeholder
 * (the real state holds their ciphertext), and `propertyDependencies`, which the recorder does not keep.
 */
export function checkpointEntryBytes(resource: RecordedResource, modelOutputs: ModelOutputsOf): TypeTally {
  const inputBytes = jsonBytes(resource.inputs);
  const outputs = resource.custom ? { ...resource.inputs, ...(modelOutputs(resource.urn) ?? {}) } : {};
  const entry = {
    urn: resource.urn,
    custom: resource.custom,
    id: resource.custom ? `${resource.name}-00000000` : undefined,
    type: resource.type,
    inputs: resource.inputs,
    outputs,
    parent: resource.parent,
    protect: resource.protect,
    dependencies: resource.dependencies.length > 0 ? resource.dependencies : undefined,
    provider: resource.provider,
  };
  return { resources: 1, inputBytes, stateBytes: jsonBytes(entry) };
}

/**
 * The cluster a resource would live in if the mesh ran a stack per cluster: its `lucid.mesh/cluster` label
 * (artifacts/labels.ts); else its provider's or its parent's cluster; else a name starting `<cluster>-` (the tls
 * resources, which all hang under the certificate authority); else the shared root stack. A label, a provider or a
 * parent tells for sure; the name prefix is the fallback.
 */
export function partitionOf(
  resource: RecordedResource,
  byUrn: ReadonlyMap<string, RecordedResource>,
  clusters: readonly string[],
  memo: Map<string, string> = new Map(),
): string {
  const known = memo.get(resource.urn);
  if (known !== undefined) return known;
  const found = ((): string => {
    const label = resourceLabels(resource)[CLUSTER_LABEL];
    if (label !== undefined && clusters.includes(label)) return label;
    if (resource.type === "lucid:mesh:ServiceMesh" && clusters.includes(resource.name)) return resource.name;
    const provider = resource.provider?.split("::").slice(0, -1).join("::");
    for (const urn of [provider, resource.parent]) {
      const next = urn === undefined ? undefined : byUrn.get(urn);
      if (!next) continue;
      const partition = partitionOf(next, byUrn, clusters, memo);
      if (partition !== SHARED_PARTITION) return partition;
    }
    return clusters.find((c) => resource.name.startsWith(`${c}-`)) ?? SHARED_PARTITION;
  })();
  memo.set(resource.urn, found);
  return found;
}

function add(a: TypeTally | undefined, b: TypeTally): TypeTally {
  return a
    ? {
        resources: a.resources + b.resources,
        inputBytes: a.inputBytes + b.inputBytes,
        stateBytes: a.stateBytes + b.stateBytes,
      }
    : b;
}

export function tallyStack(
  resources: readonly RecordedResource[],
  modelOutputs: ModelOutputsOf,
  clusters: readonly string[],
): StackTally {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const memo = new Map<string, string>();
  const byType: Record<string, TypeTally & { custom: boolean }> = {};
  const byPartition: Record<string, { resources: number; stateBytes: number }> = {};
  let total: TypeTally = { resources: 0, inputBytes: 0, stateBytes: 0 };
  for (const resource of resources) {
    const entry = checkpointEntryBytes(resource, modelOutputs);
    byType[resource.type] = { ...add(byType[resource.type], entry), custom: resource.custom };
    total = add(total, entry);
    const partition = partitionOf(resource, byUrn, clusters, memo);
    const p = (byPartition[partition] ??= { resources: 0, stateBytes: 0 });
    p.resources += 1;
    p.stateBytes += entry.stateBytes;
  }
  return {
    resources: total.resources,
    customResources: resources.filter((r) => r.custom).length,
    inputBytes: total.inputBytes,
    stateBytes: total.stateBytes,
    byType,
    byPartition,
  };
}

export interface TypeMargin {
  /** Extra resources of this type per extra service instance. */
  readonly resources: number;
  readonly inputBytes: number;
  readonly stateBytes: number;
}

export interface InstanceMargin {
  /** The extra service instances between the two meshes. */
  readonly instances: number;
  readonly customResources: number;
  readonly allResources: number;
  readonly inputBytes: number;
  readonly stateBytes: number;
  /** Custom resource types only (components cost state too, but the budget counts custom resources). */
  readonly byType: Readonly<Record<string, TypeMargin>>;
}

/** What each extra service instance costs, between a small and a large mesh: the extra over the extra instances. */
export function instanceMargin(
  small: { readonly instances: number; readonly tally: StackTally },
  large: { readonly instances: number; readonly tally: StackTally },
): InstanceMargin {
  const instances = large.instances - small.instances;
  if (instances <= 0) throw new Error("instanceMargin: the large mesh needs more instances than the small one");
  const per = (a: number, b: number): number => (b - a) / instances;
  const byType: Record<string, TypeMargin> = {};
  const zero: TypeTally = { resources: 0, inputBytes: 0, stateBytes: 0 };
  for (const type of new Set([...Object.keys(small.tally.byType), ...Object.keys(large.tally.byType)])) {
    if (!(small.tally.byType[type] ?? large.tally.byType[type])?.custom) continue;
    const a = small.tally.byType[type] ?? zero;
    const b = large.tally.byType[type] ?? zero;
    byType[type] = {
      resources: per(a.resources, b.resources),
      inputBytes: per(a.inputBytes, b.inputBytes),
      stateBytes: per(a.stateBytes, b.stateBytes),
    };
  }
  return {
    instances,
    customResources: per(small.tally.customResources, large.tally.customResources),
    allResources: per(small.tally.resources, large.tally.resources),
    inputBytes: per(small.tally.inputBytes, large.tally.inputBytes),
    stateBytes: per(small.tally.stateBytes, large.tally.stateBytes),
    byType,
  };
}

export interface UpCost {
  readonly resources: number;
  readonly stateBytes: number;
  /**
   * resources × final state size. A first `up` on the file backend saves the checkpoint twice per created resource
   * (begin and end of each step), each time as big as the state so far: 2 × Σ(state after k steps) ≈ N × S.
   */
  readonly bytesWritten: number;
}

export interface StackCosts {
  readonly singleStack: UpCost;
  /** The largest cluster stack, when each cluster's resources are a stack of their own (`partitionOf`). */
  readonly largestCluster: UpCost & { readonly cluster: string };
  /** The shared root stack (root CA, shared networks, and the top components). */
  readonly shared: UpCost;
}

export function upCosts(tally: StackTally): StackCosts {
  const cost = (resources: number, stateBytes: number): UpCost => ({
    resources,
    stateBytes,
    bytesWritten: resources * stateBytes,
  });
  const clusters = Object.entries(tally.byPartition).filter(([name]) => name !== SHARED_PARTITION);
  const largest = clusters.reduce<[string, { resources: number; stateBytes: number }] | undefined>(
    (a, b) => (!a || b[1].resources * b[1].stateBytes > a[1].resources * a[1].stateBytes ? b : a),
    undefined,
  );
  const shared = tally.byPartition[SHARED_PARTITION] ?? { resources: 0, stateBytes: 0 };
  return {
    singleStack: cost(tally.resources, tally.stateBytes),
    largestCluster: largest
      ? { cluster: largest[0], ...cost(largest[1].resources, largest[1].stateBytes) }
      : { cluster: "(none)", ...cost(0, 0) },
    shared: cost(shared.resources, shared.stateBytes),
  };
}
