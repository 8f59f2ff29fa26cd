/**
 * Custom resources declared with only the properties the program sets or reads.
 *
 * A provider SDK's class puts every property of its schema into the resource's property map, and the Pulumi SDK
 * makes an `Output` (four promises and their resolvers, about 3 KB) for every key of that map (pulumi/pulumi
 * sdk/nodejs/runtime/rpc.ts, `transferProperties`), whether or not the program ever sets or reads it. Until the
 * engine answers, and in a real `up` it answers a create only once the resource exists, every one of them is held:
 * at 1,000 services they were most of the `up` path's heap (issue 22 §4). The engine receives the same
 * RegisterResource request either way: keys whose value is undefined are not sent, and properties the provider
 * returns that the object has no Output for are skipped (`resolveOutputs`: "engine returned a property that was not
 * in our initial property-map"). Each lean class repeats what its SDK class's constructor adds to the request (the
 * plugin version, secret inputs, additionalSecretOutputs); tests/mesh/leanResources.spec.ts holds every one equal
 * to the SDK class's request, so a provider upgrade that changes them fails there.
 */
/** The set inputs, as the SDK classes copy them (an undefined value is never sent to the engine anyway). */
export function definedInputs(args: object): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) if (value !== undefined) inputs[key] = value;
  return inputs;
}

/** Output keys the program reads that are not inputs: present in the property map with no value, as the SDK does. */
export function readBack(keys: readonly string[]): Record<string, undefined> {
  return Object.fromEntries(keys.map((key) => [key, undefined]));
}

/** The version a provider SDK class asks the engine for: its package's own, without a leading "v". */
export function pluginVersion(packageVersion: string): string {
  return packageVersion.replace(/^v/, "");
}
