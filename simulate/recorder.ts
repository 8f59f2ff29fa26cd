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
  /** The provider reference (`urn::id`) for custom resources with an explicit provider. */
  readonly provider?: string;
  /** Inputs as the engine receives them; secrets are unwrapped here and listed in `secretPaths`. */
  readonly inputs: Record<string, unknown>;
  /** Top-level input names whose values are (or contain) secrets. */
  readonly secretInputs: readonly string[];
  /** Exact paths of secret values, such as `uploads[7].content`. */
  readonly secretPaths: readonly string[];
  /** The inputs with every secret value replaced by `[secret]`: safe to write or print. */
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

/** Removes the engine's secret wrappers, reporting whether any were found. */
export function unwrapSecrets(value: unknown): { value: unknown; secret: boolean } {
  if (isSecretWrapper(value)) return { value: unwrapSecrets(value.value).value, secret: true };
  if (Array.isArray(value)) {
    const items = value.map(unwrapSecrets);
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (typeof value === "object" && value !== null) {
    let secret = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const inner = unwrapSecrets(v);
      out[k] = inner.value;
      secret ||= inner.secret;
    }
    return { value: out, secret };
  }
  return { value, secret: false };
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
}

/** The protobuf request fields we read (a library boundary: the generated stubs are untyped here). */
interface RegisterResourceRequestLike {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
}
interface MockMonitorLike {
  registerResource(req: RegisterResourceRequestLike, callback: unknown): Promise<void>;
  newUrn(parent: string, type: string, name: string): string;
}

let activeRecorder: ResourceRecorder | undefined;
let monitorPatched = false;

/**
 * MockMonitor hands `newResource` no parent and no dependencies, yet plan.json and the dependency tests need both.
 * One wrapper on its `registerResource` notes them from the request before the mock runs.
 */
function patchMockMonitor(): void {
  if (monitorPatched) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- internal SDK module with no public type for the prototype
  const mocksModule = require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: { prototype: MockMonitorLike } };
  const proto = mocksModule.MockMonitor.prototype;
  const original = proto.registerResource;
  proto.registerResource = function (this: MockMonitorLike, req, callback) {
    const urn = this.newUrn(req.getParent(), req.getType(), req.getName());
    activeRecorder?.noteRequest(urn, { parent: req.getParent(), dependencies: req.getDependenciesList() });
    return original.call(this, req, callback);
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

  add(resource: Omit<RecordedResource, "parent" | "dependencies">): void {
    const facts = this.facts.get(resource.urn);
    this.resources.push({
      ...resource,
      ...(facts?.parent ? { parent: facts.parent } : {}),
      dependencies: [...new Set(facts?.dependencies ?? [])].sort(),
    });
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
  await pulumi.runtime.setMocks(
    {
      async newResource(args: pulumi.runtime.MockResourceArgs): Promise<pulumi.runtime.MockResourceResult> {
        const { value } = unwrapSecrets(args.inputs);
        const inputs = value as Record<string, unknown>;
        const secretInputs = Object.entries(args.inputs as Record<string, unknown>)
          .filter(([, v]) => unwrapSecrets(v).secret)
          .map(([k]) => k)
          .sort();
        const redacted = redactSecrets(args.inputs);
        const urn = recorder.takeCurrentUrn() ?? mockUrn(options.stack, project, args.type, args.name);
        recorder.add({
          urn,
          type: args.type,
          name: args.name,
          custom: args.custom ?? true,
          ...(args.provider ? { provider: args.provider } : {}),
          inputs,
          secretInputs,
          secretPaths: redacted.paths,
          redactedInputs: redacted.value as Record<string, unknown>,
        });
        const model = models[args.type];
        if (model) {
          const result = await model({ type: args.type, name: args.name, inputs, stack: options.stack });
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
