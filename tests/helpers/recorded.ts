import type { RecordedResource } from "../../simulate/recorder";

/** A custom resource as the recorder would hold it, with no secrets, for tests of the models and the diffs. */
export function recordedResource(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  urn = `urn:pulumi:t::p::${type}::${name}`,
): RecordedResource {
  return {
    urn,
    type,
    name,
    custom: true,
    dependencies: [],
    inputs,
    secretInputs: [],
    secretPaths: [],
    redactedInputs: inputs,
  };
}
