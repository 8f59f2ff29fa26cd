/**
 * Runs Pulumi programs under the SDK's own mocks (`pulumi.runtime.setMocks`) and records every resource
 * registration: type, name, URN, parent, dependencies and inputs. Tests and the offline render both use it.
 *
 * Provider behaviour comes from per-type `ProviderModel`s (real crypto for tls, plausible outputs for the rest);
 * a type with no model echoes its inputs, as the engine does for most properties.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

export interface ModelArgs {
  readonly type: string;
  readonly name: string;
  /** Inputs with secrets unwrapped to plain values. */
  readonly inputs: Record<string, unknown>;
  readonly stack: string;
  /** State the models of one run share (dockerd's address pools): a fresh one per simulated run. */
  readonly session: ModelSession;
}
/** One run's shared model state, by key: runs in one process never see each other's. */
export class ModelSession {
  private readonly values = new Map<symbol, unknown>();
  of<T>(key: symbol, create: () => T): T {
    if (!this.values.has(key)) this.values.set(key, create());
    return this.values.get(key) as T;
  }
}
export interface ModelResult {
  readonly id: string;
  /** Output properties beyond the echoed inputs. Wrap secret outputs in `pulumi.secret`: mocks do not. */
  readonly outputs: Record<string, unknown>;
}
export type ProviderModel = (args: ModelArgs) => ModelResult | Promise<ModelResult>;
/** Models a provider function (an invoke such as `consul.getAclTokenSecretId`): inputs in, outputs out. */
export type InvokeModel = (inputs: Record<string, unknown>) => Record<string, unknown>;

export interface RecordedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly parent?: string;
  /** URNs this resource depends on: explicit `dependsOn` and the resources its inputs came from. */
  readonly dependencies: readonly string[];
  /** `protect: true`: the engine refuses to delete it (destroy, or a replacement) until it is unprotected. */
  readonly protect?: boolean;
  /** The provider reference (`urn::id`) for custom resources with an explicit provider. */
  readonly provider?: string;
  /** Inputs as the engine receives them; secrets are unwrapped here and listed in `secretPaths`. */
  readonly inputs: Record<string, unknown>;
  /** Top-level input names whose values are (or contain) secrets. */
  readonly secretInputs: readonly string[];
  /** Exact paths of secret values, such as `uploads[7].content`. */
  readonly secretPaths: readonly string[];
  /**
   * The inputs with every secret value replaced by `[secret]`: safe to write or print. Computed on each read from
   * `inputs` and `secretPaths` (a getter), so a big mesh does not hold a second copy of every input.
   */
  readonly redactedInputs: Record<string, unknown>;
}

export const REDACTED_SECRET = "[secret]";

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function isSecretWrapper(value: unknown): value is { value: unknown } {
  return (
    typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG
  );
}

/**
 * Removes the engine's secret wrappers, reporting whether any were found. A subtree without secrets is returned
 * as it is, not copied: most inputs (every Envoy file, every label) have none, and the recorder keeps them all.
 */
export function unwrapSecrets(value: unknown): { value: unknown; secret: boolean } {
  if (isSecretWrapper(value)) return { value: unwrapSecrets(value.value).value, secret: true };
  if (Array.isArray(value)) {
    const items = value.map(unwrapSecrets);
    const secret = items.some((i) => i.secret);
    const changed = items.some((i, n) => i.value !== value[n]);
    return { value: changed ? items.map((i) => i.value) : value, secret };
  }
  if (typeof value === "object" && value !== null) {
    let secret = false;
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const inner = unwrapSecrets(v);
      out[k] = inner.value;
      secret ||= inner.secret;
      changed ||= inner.value !== v;
    }
    return { value: changed || Object.getPrototypeOf(value) !== Object.prototype ? out : value, secret };
  }
  return { value, secret: false };
}

/** Paths of the engine's secret wrappers (`uploads[7].content`), as `redactSecrets` reports them, without a copy. */
export function secretPathsOf(value: unknown, path = "", found: string[] = []): string[] {
  if (isSecretWrapper(value)) {
    found.push(path || "(root)");
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => secretPathsOf(v, `${path}[${i}]`, found));
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) secretPathsOf(v, path ? `${path}.${k}` : k, found);
  }
  return found;
}

/**
 * `unwrapSecrets` and `secretPathsOf` in one walk: the inputs without the engine's secret wrappers (a subtree
 * without secrets returned as it is), and the paths where the wrappers were. A path is spelled only when a secret
 * is found: the recorder walks every input of every resource, and almost none holds a secret.
 */
export function unwrapSecretsAt(value: unknown): { value: unknown; secretPaths: string[] } {
  const secretPaths: string[] = [];
  const at: (string | number)[] = [];
  const spell = (): string => {
    let path = "";
    for (const step of at) path = typeof step === "number" ? `${path}[${step}]` : path ? `${path}.${step}` : step;
    return path || "(root)";
  };
  const walk = (node: unknown): unknown => {
    if (isSecretWrapper(node)) {
      secretPaths.push(spell());
      return unwrapSecrets(node.value).value;
    }
    if (Array.isArray(node)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < node.length; i++) {
        at.push(i);
        const inner = walk(node[i]);
        at.pop();
        if (inner !== node[i]) (copy ??= [...node])[i] = inner;
      }
      return copy ?? node;
    }
    if (typeof node === "object" && node !== null) {
      const out: Record<string, unknown> = {};
      let changed = Object.getPrototypeOf(node) !== Object.prototype;
      for (const [k, v] of Object.entries(node)) {
        at.push(k);
        const inner = walk(v);
        at.pop();
        out[k] = inner;
        changed ||= inner !== v;
      }
      return changed ? out : node;
    }
    return node;
  };
  return { value: walk(value), secretPaths };
}

/** Replaces each secret with a placeholder, collecting the paths where secrets were. */
export function redactSecrets(value: unknown, path = "", found: string[] = []): { value: unknown; paths: string[] } {
  if (isSecretWrapper(value)) {
    found.push(path || "(root)");
    return { value: REDACTED_SECRET, paths: found };
  }
  if (Array.isArray(value)) {
    return { value: value.map((v, i) => redactSecrets(v, `${path}[${i}]`, found).value), paths: found };
  }
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactSecrets(v, path ? `${path}.${k}` : k, found).value;
    return { value: out, paths: found };
  }
  return { value, paths: found };
}

/**
 * `inputs` (secrets unwrapped) with the value at each of `secretPaths` replaced by `[secret]`: what
 * `redactSecrets` gives for the wrapped inputs, since the paths are exactly where it found the wrappers (it does
 * not descend into a secret, so no path lies inside another).
 */
export function redactPaths(value: unknown, secretPaths: ReadonlySet<string>, path = ""): unknown {
  if (secretPaths.has(path || "(root)")) return REDACTED_SECRET;
  if (Array.isArray(value)) return value.map((v, i) => redactPaths(v, secretPaths, `${path}[${i}]`));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactPaths(v, secretPaths, path ? `${path}.${k}` : k);
    return out;
  }
  return value;
}

/** Model outputs with every `pulumi.secret(...)` value (an Output here, as models wrap them) replaced by a placeholder. */
function publicOutputs(outputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(outputs).map(([k, v]) => [k, pulumi.Output.isInstance(v) ? REDACTED_SECRET : v]),
  );
}

/** What the RegisterResource request carries that `MockResourceArgs` leaves out. */
interface RequestFacts {
  readonly parent: string;
  readonly dependencies: readonly string[];
  readonly protect: boolean;
}

/** The protobuf request fields we read (a library boundary: the generated stubs are untyped here). */
interface RegisterResourceRequestLike {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getProtect(): boolean;
}

let activeRecorder: ResourceRecorder | undefined;
let monitorPatched = false;

interface MockMonitorEntry {
  urn: string;
  id: string | null;
  state: unknown;
}
interface MockMonitorLike {
  registerResource(req: RegisterResourceRequestLike, callback: unknown): Promise<void>;
  registerResourceOutputs(req: { getUrn(): string }, callback: (err: unknown, res: unknown) => void): void;
  newUrn(parent: string, type: string, name: string): string;
  readonly resources: Map<string, MockMonitorEntry>;
}

/**
 * Two wrappers on MockMonitor (a library boundary: @pulumi/pulumi/runtime/mocks.js, no public API for either):
 *
 * - It hands `newResource` no parent and no dependencies, yet plan.json and the dependency tests need both:
 *   `registerResource` notes them from the request before the mock runs.
 * - It keeps the serialized state of every resource (and every component's registered outputs) in its own
 *   `resources` map, a third copy of every input next to the SDK's and ours. Only `readResource`/`getResource`
 *   read that state back (`Resource.get`, rehydrating resource references), and nothing this program registers
 *   does either: our entries keep urn and id with an empty state, so `registerResourceOutputs` still finds its
 *   resource and a stray `getResource` fails loudly on missing properties instead of silently growing memory.
 */
function patchMockMonitor(): void {
  if (monitorPatched) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- internal SDK module with no public type for the prototype
  const mocksModule = require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: { prototype: MockMonitorLike } };
  const proto = mocksModule.MockMonitor.prototype;
  const original = proto.registerResource;
  proto.registerResource = async function (this: MockMonitorLike, req, callback) {
    const urn = this.newUrn(req.getParent(), req.getType(), req.getName());
    activeRecorder?.noteRequest(urn, {
      parent: req.getParent(),
      dependencies: req.getDependenciesList(),
      protect: req.getProtect(),
    });
    await original.call(this, req, callback);
    const entry = this.resources.get(urn);
    if (entry) this.resources.set(urn, { urn, id: entry.id, state: {} });
  };
  proto.registerResourceOutputs = function (this: MockMonitorLike, req, callback) {
    if (this.resources.has(req.getUrn())) callback(null, {});
    else callback(new Error(`unknown resource ${req.getUrn()}`), undefined);
  };
  monitorPatched = true;
}

export class ResourceRecorder {
  readonly resources: RecordedResource[] = [];
  private readonly facts = new Map<string, RequestFacts>();

  /** URN of the request being registered: the monitor calls `newResource` synchronously right after noting it. */
  private currentUrn: string | undefined;

  noteRequest(urn: string, facts: RequestFacts): void {
    this.facts.set(urn, facts);
    this.currentUrn = urn;
  }

  takeCurrentUrn(): string | undefined {
    const urn = this.currentUrn;
    this.currentUrn = undefined;
    return urn;
  }

  add(resource: Omit<RecordedResource, "parent" | "dependencies" | "protect" | "redactedInputs">): void {
    const facts = this.facts.get(resource.urn);
    this.facts.delete(resource.urn);
    const secretPaths = new Set(resource.secretPaths);
    const recorded: RecordedResource = {
      ...resource,
      ...(facts?.parent ? { parent: facts.parent } : {}),
      ...(facts?.protect ? { protect: true } : {}),
      dependencies: [...new Set(facts?.dependencies ?? [])].sort(),
      get redactedInputs(): Record<string, unknown> {
        return secretPaths.size === 0
          ? resource.inputs
          : (redactPaths(resource.inputs, secretPaths) as Record<string, unknown>);
      },
    };
    this.resources.push(recorded);
  }

  /**
   * Outputs the provider models added beyond the echoed inputs (certificates, ids), by URN. Secret outputs are
   * stored as `[secret]`, so this map is safe to write; the render reads public certificates from it.
   */
  readonly outputs = new Map<string, Record<string, unknown>>();

  noteOutputs(urn: string, outputs: Record<string, unknown>): void {
    this.outputs.set(urn, outputs);
  }

  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  named(type: string, name: string): RecordedResource {
    const found = this.resources.find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`no ${type} named ${name} was registered`);
    return found;
  }

  byUrn(urn: string): RecordedResource | undefined {
    return this.resources.find((r) => r.urn === urn);
  }
}

export interface SimulationOptions {
  readonly project?: string;
  readonly stack: string;
  /** Stack config as `key: value` (objects are JSON-encoded, as the CLI does). */
  readonly config?: Record<string, unknown>;
  readonly models?: Record<string, ProviderModel>;
  readonly invokes?: Record<string, InvokeModel>;
  readonly preview?: boolean;
}

export const PROJECT = "lucid-mesh";

/** An id that depends only on what the resource is, so two runs agree. */
export function stableId(type: string, name: string): string {
  return `${name}-${createHash("sha256").update(`${type}::${name}`).digest("hex").slice(0, 8)}`;
}

function mockUrn(stack: string, project: string, type: string, name: string): string {
  return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}

/**
 * Installs mocks and returns the recorder. Call it in a suite's `before()`, before any resource is constructed:
 * a resource built earlier never reaches the mocks.
 */
export async function startSimulation(options: SimulationOptions): Promise<ResourceRecorder> {
  const project = options.project ?? PROJECT;
  const recorder = new ResourceRecorder();
  activeRecorder = recorder;
  patchMockMonitor();
  const models = options.models ?? {};
  const session = new ModelSession();
  await pulumi.runtime.setMocks(
    {
      async newResource(args: pulumi.runtime.MockResourceArgs): Promise<pulumi.runtime.MockResourceResult> {
        const unwrapped = unwrapSecretsAt(args.inputs);
        const inputs = unwrapped.value as Record<string, unknown>;
        const secretPaths = unwrapped.secretPaths;
        // A top-level input is secret when a secret path starts at it (`key`, `key.x`, `key[0]`).
        const secretInputs = Object.keys(args.inputs as Record<string, unknown>)
          .filter((k) => secretPaths.some((p) => p === k || p.startsWith(`${k}.`) || p.startsWith(`${k}[`)))
          .sort();
        const urn = recorder.takeCurrentUrn() ?? mockUrn(options.stack, project, args.type, args.name);
        recorder.add({
          urn,
          type: args.type,
          name: args.name,
          custom: args.custom ?? true,
          ...(args.provider ? { provider: args.provider } : {}),
          inputs,
          secretInputs,
          secretPaths,
        });
        const model = models[args.type];
        if (model) {
          const result = await model({ type: args.type, name: args.name, inputs, stack: options.stack, session });
          recorder.noteOutputs(urn, publicOutputs(result.outputs));
          return { id: result.id, state: { ...(args.inputs as object), ...result.outputs } };
        }
        return { id: stableId(args.type, args.name), state: args.inputs };
      },
      call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        const inputs = unwrapSecrets(args.inputs).value as Record<string, unknown>;
        const invoke = options.invokes?.[args.token];
        return invoke ? { ...inputs, ...invoke(inputs) } : inputs;
      },
    },
    project,
    options.stack,
    options.preview ?? false,
  );
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.config ?? {})) {
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  pulumi.runtime.setAllConfig(config);
  return recorder;
}

/** Resolves when every registration and every apply that registers more has finished. */
export async function settle(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- waitForRPCs is exported by the SDK's settings module but not typed
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
  for (let round = 0; round < 3; round++) {
    await settings.waitForRPCs();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Awaits an Output's value (the pattern from Pulumi's own unit-testing guide). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Whether an Output is marked secret. */
export function isSecretOutput(output: pulumi.Output<unknown>): Promise<boolean> {
  return pulumi.isSecret(output);
}
