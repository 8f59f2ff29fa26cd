/**
 * The replay floor: the mesh's own resources, declared again with none of the program around them.
 *
 * Every resource the render recorded is constructed again, in the same order, with the class the program declares
 * it with (a provider SDK class, or the program's lean declaration of it: components/leanResource.ts; so the same
 * declared output properties, each an Output), the same name, parent, explicit provider and inputs, under
 * mocks that echo the inputs back: no certificates are issued, no Envoy file is generated, no component logic runs.
 * Inputs the program took from other resources arrive as Outputs of those resources (each top-level input of a
 * resource with dependencies waits on them, as the program's applies do), and secret inputs as secret Outputs, so
 * the SDK resolves and serializes as much as it does for the program. Same conditions as the render otherwise: SDK
 * debug aids off, a settle() after every batch; bench/child.ts runs it in a fresh process. What this takes is what
 * these resources cost the SDK; the render's time beyond it is the program's (crypto included).
 */
import * as consul from "@pulumi/consul";
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { declareInBatches } from "../components/pacing";
import { DOCKER_CONTAINER_TYPE, DockerContainer } from "../components/platform/dockerContainer";
import { LOCALLY_SIGNED_CERT_TYPE, LocallySignedCert, PRIVATE_KEY_TYPE, PrivateKey } from "../components/tlsResources";
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

/** Resource classes exported by `module` and its namespaces (`k8s.core.v1`), by type token. */
function collectClasses(module: object, classes: Map<string, ResourceClass>, depth: number): void {
  for (const exported of Object.values(module)) {
    const token = pulumiType(exported);
    if (token !== undefined) classes.set(token, exported as ResourceClass);
    else if (depth > 0 && typeof exported === "object" && exported !== null)
      collectClasses(exported, classes, depth - 1);
  }
}

/** Every resource class the packages export, by type token; Kubernetes' only when a recorded type needs them. */
function resourceClasses(types: ReadonlySet<string>): Map<string, ResourceClass> {
  const classes = new Map<string, ResourceClass>();
  for (const module of [consul, docker, random, tls]) collectClasses(module, classes, 0);
  if ([...types].some((t) => t.startsWith("kubernetes:"))) {
    for (const group of ["core", "apps", "batch", "policy", "rbac", "networking"] as const) {
      collectClasses(k8s[group], classes, 1);
    }
  }
  // The types the program declares lean: the floor holds what the program holds, no more.
  classes.set(DOCKER_CONTAINER_TYPE, DockerContainer as unknown as ResourceClass);
  classes.set(PRIVATE_KEY_TYPE, PrivateKey as unknown as ResourceClass);
  classes.set(LOCALLY_SIGNED_CERT_TYPE, LocallySignedCert as unknown as ResourceClass);
  for (const [token, provider] of [
    ["pulumi:providers:consul", consul.Provider],
    ["pulumi:providers:docker", docker.Provider],
    ["pulumi:providers:kubernetes", k8s.Provider],
    ["pulumi:providers:random", random.Provider],
    ["pulumi:providers:tls", tls.Provider],
  ] as const) {
    classes.set(token, provider as unknown as ResourceClass);
  }
  return classes;
}

/** The recorded resource fields the floor replays (what bench/child.ts writes between processes). */
export type ReplayedResource = Pick<
  RecordedResource,
  "urn" | "type" | "name" | "custom" | "parent" | "provider" | "dependencies" | "inputs" | "secretInputs"
>;

/**
 * The inputs as the program passed them: secret inputs as secret Outputs, and with dependencies, each top-level
 * input an Output that resolves once those resources are registered (the program's applies on their outputs).
 */
function replayedInputs(r: ReplayedResource, byUrn: ReadonlyMap<string, pulumi.Resource>): pulumi.Inputs {
  const waitsOn: Array<pulumi.Output<string>> = [];
  for (const urn of r.dependencies) {
    const dependency = byUrn.get(urn);
    if (!dependency) continue;
    waitsOn.push(pulumi.CustomResource.isInstance(dependency) ? dependency.id : dependency.urn);
  }
  const secret = new Set(r.secretInputs);
  const ready = waitsOn.length === 0 ? undefined : pulumi.all(waitsOn);
  const inputs: pulumi.Inputs = {};
  for (const [key, value] of Object.entries(r.inputs)) {
    const input = ready ? ready.apply(() => value) : value;
    inputs[key] = secret.has(key) ? pulumi.secret(input) : input;
  }
  return inputs;
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
  /** CPU time (user + system, all threads) over the same span: steadier than wall time on a shared machine. */
  readonly cpuMs: number;
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
export async function measureReplayFloor(resources: readonly ReplayedResource[]): Promise<ReplayFloor> {
  await useEchoMocks("bench-replay", "replay");
  const classes = resourceClasses(new Set(resources.map((r) => r.type)));
  let generic = 0;
  let heldBytes = 0;
  let ms = 0;
  let cpuMs = 0;
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  await withoutSdkDebugAids(async () => {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const byUrn = new Map<string, pulumi.Resource>();
    // As in a running program, the top-level resources stay referenced (the program holds its root component);
    // each parent holds its children (the SDK's `__childResources`).
    const roots: pulumi.Resource[] = [];
    await declareInBatches(resources, BATCH, settle, (r) => {
      const parent = r.parent === undefined ? undefined : byUrn.get(r.parent);
      // The recorded provider reference is `urn::id`.
      const providerUrn = r.provider?.split("::").slice(0, -1).join("::");
      const provider = providerUrn === undefined ? undefined : byUrn.get(providerUrn);
      const opts = {
        ...(parent ? { parent } : {}),
        ...(provider ? { provider: provider as pulumi.ProviderResource } : {}),
      };
      let declared: pulumi.Resource;
      if (!r.custom) {
        declared = new ReplayedComponent(r.type, r.name, opts);
      } else {
        const resourceClass = classes.get(r.type);
        if (resourceClass) {
          // Library boundary: the recorded inputs are the class's own args, by the same names.
          declared = new resourceClass(r.name, replayedInputs(r, byUrn) as never, opts);
        } else {
          generic++;
          declared = new GenericResource(r.type, r.name, replayedInputs(r, byUrn), opts);
        }
      }
      byUrn.set(r.urn, declared);
      if (!parent) roots.push(declared);
    });
    await settle();
    ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuStarted);
    cpuMs = (cpu.user + cpu.system) / 1000;
    byUrn.clear();
    collectGarbage();
    heldBytes = process.memoryUsage().heapUsed - heapBefore;
    roots.length = 0;
  });
  return { ms, cpuMs, generic, heldMb: heldBytes / 1e6 };
}
