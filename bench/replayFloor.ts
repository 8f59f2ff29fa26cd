/**
 * The replay floor: the mesh's own resources, declared again with none of the program around them.
 *
 * Every resource the render recorded is constructed again, in the same order, with the same provider SDK class (so
 * the same declared output properties, each an Output), the same name, parent and inputs, under mocks that echo the
 * inputs back: no certificates are issued, no Envoy file is generated, no component logic runs. Same conditions as
 * the render otherwise: SDK debug aids off, a settle() after every batch. What this takes is what these resources
 * cost the SDK; the render's time beyond it is the program's (crypto included).
 */
import * as consul from "@pulumi/consul";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { declareInBatches } from "../components/pacing";
import { settle, type RecordedResource } from "../simulate/recorder";
import { withoutSdkDebugAids } from "../simulate/sdkDebugAids";
import { collectGarbage } from "../cli/render/memory";
import { useEchoMocks } from "./sdkFloor";

/** Resources per batch: about what two sidecars and their share of the config entries declare. */
const BATCH = 20;

type ResourceClass = new (name: string, args: never, opts: pulumi.CustomResourceOptions) => pulumi.CustomResource;

/** A provider SDK class's type token (`docker:index/container:Container`), when the export is a resource class. */
function pulumiType(exported: unknown): string | undefined {
  if (typeof exported !== "function") return undefined;
  const token = (exported as { __pulumiType?: unknown }).__pulumiType;
  return typeof token === "string" ? token : undefined;
}

/** Every resource class the packages export, by type token. */
function resourceClasses(): Map<string, ResourceClass> {
  const classes = new Map<string, ResourceClass>();
  for (const module of [consul, docker, random, tls]) {
    for (const exported of Object.values(module)) {
      const token = pulumiType(exported);
      if (token !== undefined) classes.set(token, exported as ResourceClass);
    }
  }
  for (const [token, provider] of [
    ["pulumi:providers:consul", consul.Provider],
    ["pulumi:providers:docker", docker.Provider],
    ["pulumi:providers:random", random.Provider],
    ["pulumi:providers:tls", tls.Provider],
  ] as const) {
    classes.set(token, provider as unknown as ResourceClass);
  }
  return classes;
}

/** A resource of a type this floor has no class for: a custom resource with the same inputs. */
class GenericResource extends pulumi.CustomResource {
  constructor(type: string, name: string, inputs: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super(type, name, inputs, opts);
  }
}

class ReplayedComponent extends pulumi.ComponentResource {
  constructor(type: string, name: string, opts: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    this.registerOutputs({});
  }
}

export interface ReplayFloor {
  readonly ms: number;
  /** Resources whose type had no SDK class here and were declared as generic custom resources. */
  readonly generic: number;
  /**
   * What is live once every resource is declared and settled, with only the top-level resources referenced (as a
   * running program references its root component): the heap after a full collection, less the heap after one
   * before the replay.
   */
  readonly heldMb: number;
}

/** Declares `resources` again (in their recorded order) under echoing mocks; returns its wall time. */
export async function measureReplayFloor(resources: readonly RecordedResource[]): Promise<ReplayFloor> {
  await useEchoMocks("bench-replay", "replay");
  const classes = resourceClasses();
  let generic = 0;
  let heldBytes = 0;
  let ms = 0;
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  await withoutSdkDebugAids(async () => {
    const started = performance.now();
    const byUrn = new Map<string, pulumi.Resource>();
    // As in a running program, the top-level resources stay referenced (the program holds its root component);
    // each parent holds its children (the SDK's `__childResources`).
    const roots: pulumi.Resource[] = [];
    await declareInBatches(resources, BATCH, settle, (r) => {
      const parent = r.parent === undefined ? undefined : byUrn.get(r.parent);
      const opts = parent ? { parent } : {};
      let declared: pulumi.Resource;
      if (!r.custom) {
        declared = new ReplayedComponent(r.type, r.name, opts);
      } else {
        const resourceClass = classes.get(r.type);
        if (resourceClass) {
          // Library boundary: the recorded inputs are the class's own args, by the same names.
          declared = new resourceClass(r.name, r.inputs as never, opts);
        } else {
          generic++;
          declared = new GenericResource(r.type, r.name, r.inputs, opts);
        }
      }
      byUrn.set(r.urn, declared);
      if (!parent) roots.push(declared);
    });
    await settle();
    ms = performance.now() - started;
    byUrn.clear();
    collectGarbage();
    heldBytes = process.memoryUsage().heapUsed - heapBefore;
    roots.length = 0;
  });
  return { ms, generic, heldMb: heldBytes / 1e6 };
}
