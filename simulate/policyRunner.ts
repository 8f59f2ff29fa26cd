/**
 * The policy server, offline: runs the pack's rules (policies/rules) the way @pulumi/policy's server.js does, without
 * a server, for the tests, the render, the gate and the benchmark. Disabled policies are skipped, config is the
 * schema defaults overlaid with the given values (the engine's job), `notApplicable` throws and is caught, and props
 * go through the SDK's unknown-checking proxy like real requests.
 *
 * It lives outside policies/ because it is not part of the published pack: it reads simulate/recorder.ts's
 * `RecordedResource`s and an internal @pulumi/policy module, neither of which `pulumi policy publish` ships.
 */
import type {
  EnforcementLevel,
  PolicyConfigSchema,
  PolicyPackConfig,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { RecordedResource } from "./recorder";
import type { StackResource } from "../policies/lib/types";
import { allPolicies } from "../policies/rules";

// eslint-disable-next-line @typescript-eslint/no-require-imports -- internal SDK module without typings; the server wraps props with it
const { unknownCheckingProxy } = require("@pulumi/policy/proxy") as { unknownCheckingProxy<T extends object>(o: T): T };

export interface HarnessOptions {
  /** Policy config (without enforcementLevel); schema defaults fill the rest, as the engine does. */
  readonly config?: Record<string, unknown>;
  readonly enforcementLevel?: EnforcementLevel;
}

export interface Violation {
  readonly policy: string;
  readonly level: EnforcementLevel;
  readonly message: string;
  readonly urn?: string;
}

export interface RunResult {
  readonly violations: Violation[];
  /** Set when the policy declared itself not applicable to the resource. */
  readonly notApplicable?: string;
  readonly skipped: boolean;
}

/** Control flow only, thrown for most policy × resource pairs and never printed: built without a stack trace. */
class NotApplicableError extends Error {
  constructor(readonly reason: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(reason);
    Error.stackTraceLimit = limit;
  }
}

const readOnlyViews = new WeakMap<object, object>();

function refuseWrite(): never {
  throw new TypeError("policies read resource props; they must not change them");
}

const READ_ONLY: ProxyHandler<object> = {
  get(target, key, receiver) {
    const value: unknown = Reflect.get(target, key, receiver);
    if (typeof value !== "object" || value === null) return value;
    // A proxy must return a non-writable, non-configurable data property as it is.
    const own = Reflect.getOwnPropertyDescriptor(target, key);
    if (own && !own.configurable && !own.writable) return value;
    return readOnly(value);
  },
  set: refuseWrite,
  defineProperty: refuseWrite,
  deleteProperty: refuseWrite,
  setPrototypeOf: refuseWrite,
};

/**
 * A view of resource props that reads through and throws on any write, shared by every policy: one policy cannot
 * change what another (or the render) sees. It replaces a structuredClone per policy × resource, which copied every
 * Envoy file once per rule. Views are cached, so the same object always reads as the same view.
 */
export function readOnly<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  let view = readOnlyViews.get(value);
  if (!view) {
    view = new Proxy(value, READ_ONLY);
    readOnlyViews.set(value, view);
  }
  return view as T;
}

function throwNotApplicable(reason?: string): never {
  throw new NotApplicableError(reason ?? "not applicable");
}

/** The `default` of every property in a config schema. */
export function schemaDefaults(schema: PolicyConfigSchema | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema?.properties ?? {})) {
    if (typeof property === "object" && property.default !== undefined) out[key] = property.default;
  }
  return out;
}

function levelOf(options: HarnessOptions): EnforcementLevel {
  const level = options.enforcementLevel ?? "mandatory";
  // As in the server: a violation left after remediation is reported as mandatory.
  return level === "remediate" ? "mandatory" : level;
}

/** The level a policy's violations are reported at, and its config: schema defaults overlaid with the given values. */
function settingsFor(
  policy: { readonly configSchema?: PolicyConfigSchema },
  options: HarnessOptions,
): { level: EnforcementLevel; config: Record<string, unknown> } {
  return { level: levelOf(options), config: { ...schemaDefaults(policy.configSchema), ...options.config } };
}

export interface ResourceUnderTest {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
  readonly urn?: string;
  /** Parent URN; a stack policy sees it as the parent resource when that resource is in the set. */
  readonly parent?: string;
  /** Dependency URNs; a stack policy sees those in the set as `dependencies`. */
  readonly dependencies?: readonly string[];
}

function urnOf(r: ResourceUnderTest): string {
  return r.urn ?? `urn:pulumi:test::lucid-mesh::${r.type}::${r.name}`;
}

/** The resource options a policy sees for a resource declared with none: nothing protected, ignored or aliased. */
function plainResourceOptions(): ResourceValidationArgs["opts"] {
  return {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
  };
}

/** Runs a policy's validation, turning its `notApplicable` call into the result the server reports. */
async function collect(violations: Violation[], validate: () => Promise<void> | void): Promise<RunResult> {
  try {
    await validate();
  } catch (e) {
    if (e instanceof NotApplicableError) return { violations, notApplicable: e.reason, skipped: false };
    throw e;
  }
  return { violations, skipped: false };
}

export async function runResourcePolicy(
  policy: ResourceValidationPolicy,
  resource: ResourceUnderTest,
  options: HarnessOptions = {},
): Promise<RunResult> {
  if (options.enforcementLevel === "disabled") return { violations: [], skipped: true };
  const { level, config } = settingsFor(policy, options);
  const violations: Violation[] = [];
  const report: ReportViolation = (message: string | { message?: string }, urn?: string) => {
    const text = typeof message === "string" ? message : (message.message ?? "");
    violations.push({ policy: policy.name, level, message: text, ...(urn ? { urn } : {}) });
  };
  const props = unknownCheckingProxy(readOnly(resource.props));
  const args: ResourceValidationArgs = {
    type: resource.type,
    name: resource.name,
    urn: urnOf(resource),
    props,
    opts: plainResourceOptions(),
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    // The SDK types getConfig as generic; the runner hands back the merged config it built above.
    getConfig: <T extends object>() => config as T,
    notApplicable: throwNotApplicable,
  };
  const validations = [policy.validateResource ?? []].flat();
  return collect(violations, async () => {
    for (const validate of validations) await validate(args, report);
  });
}

export async function runStackPolicy(
  policy: StackValidationPolicy,
  resources: readonly ResourceUnderTest[],
  options: HarnessOptions = {},
): Promise<RunResult> {
  if (options.enforcementLevel === "disabled") return { violations: [], skipped: true };
  const { level, config } = settingsFor(policy, options);
  const violations: Violation[] = [];
  const report: ReportViolation = (message: string | { message?: string; urn?: string }, urn?: string) => {
    const text = typeof message === "string" ? message : (message.message ?? "");
    const at = typeof message === "string" ? urn : message.urn;
    violations.push({ policy: policy.name, level, message: text, ...(at ? { urn: at } : {}) });
  };
  const policyResources: PolicyResource[] = resources.map((r) => ({
    type: r.type,
    name: r.name,
    urn: urnOf(r),
    props: unknownCheckingProxy(readOnly(r.props)),
    opts: plainResourceOptions(),
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  }));
  linkByUrn(resources, policyResources);
  const args: StackValidationArgs = {
    resources: policyResources,
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable: throwNotApplicable,
  };
  return collect(violations, () => policy.validateStack(args, report));
}

/** Points each resource at its parent and dependencies (by URN), as the engine does for AnalyzeStack. */
function linkByUrn(resources: readonly ResourceUnderTest[], policyResources: PolicyResource[]): void {
  const byUrn = new Map(policyResources.map((p) => [p.urn, p]));
  resources.forEach((r, i) => {
    const target = policyResources[i]!;
    const parent = r.parent === undefined ? undefined : byUrn.get(r.parent);
    if (parent) target.parent = parent;
    for (const urn of r.dependencies ?? []) {
      const dependency = byUrn.get(urn);
      if (dependency) target.dependencies.push(dependency);
    }
  });
}

function isStackPolicy(p: ResourceValidationPolicy | StackValidationPolicy): p is StackValidationPolicy {
  return "validateStack" in p;
}

/**
 * Every policy of the pack over a set of resources, violations in pack order. Resource policies run resource by
 * resource, every rule on a resource before the next resource, as the policy server does for each Analyze call: rules
 * reading the same Envoy files then share one parse of them (envoyArtifacts.ts).
 */
export async function runPack(
  resources: readonly ResourceUnderTest[],
  configFor: (policy: string) => HarnessOptions = () => ({}),
): Promise<Violation[]> {
  const found = new Map<string, Violation[]>(allPolicies.map((p) => [p.name, []]));
  const resourcePolicies = allPolicies.filter((p): p is ResourceValidationPolicy => !isStackPolicy(p));
  const options = new Map(allPolicies.map((p) => [p.name, configFor(p.name)]));
  for (const resource of resources) {
    for (const policy of resourcePolicies) {
      const result = await runResourcePolicy(policy, resource, options.get(policy.name));
      found.get(policy.name)!.push(...result.violations.map((v) => ({ ...v, urn: urnOf(resource) })));
    }
  }
  for (const policy of allPolicies) {
    if (isStackPolicy(policy)) {
      found.get(policy.name)!.push(...(await runStackPolicy(policy, resources, options.get(policy.name))).violations);
    }
  }
  return allPolicies.flatMap((p) => found.get(p.name)!);
}

/**
 * A recorded registration (or a plan.json resource) as a policy sees it. The mocks echo inputs as outputs, so the same props serve both
 * Analyze (inputs) and AnalyzeStack (outputs); secrets are already unwrapped, as the policy SDK unwraps them.
 */
export function fromRecorded(
  resource: Pick<RecordedResource, "type" | "name" | "urn" | "inputs" | "parent" | "dependencies">,
): ResourceUnderTest {
  return {
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    props: resource.inputs,
    ...(resource.parent ? { parent: resource.parent } : {}),
    dependencies: resource.dependencies,
  };
}

/** Per-policy runner options from a pack config file's entries (a bare level, or an object with one). */
export function optionsFromPackConfig(config: PolicyPackConfig): (policy: string) => HarnessOptions {
  return (policy) => {
    const entry = config[policy];
    if (entry === undefined) return {};
    if (typeof entry === "string") return { enforcementLevel: entry };
    const { enforcementLevel, ...rest } = entry;
    return { ...(enforcementLevel ? { enforcementLevel } : {}), config: rest };
  };
}

/** The same, in the shape the pure stack checks take. */
export function toStackResource(resource: ResourceUnderTest): StackResource {
  return { type: resource.type, name: resource.name, urn: urnOf(resource), props: resource.props };
}
