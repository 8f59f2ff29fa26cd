/**
 * A `docker:index/container:Container` declared with only the properties the program sets.
 *
 * `docker.Container`'s constructor puts all 78 of the provider's properties into the resource's property map, and
 * the SDK makes an `Output` (four promises and their resolvers) for every key of that map (pulumi/pulumi
 * sdk/nodejs/runtime/rpc.ts, `transferProperties`), whether or not the program ever sets or reads it. At 1,000
 * services those unused Outputs were most of the `up` path's heap (issue 22 §4). The engine receives the same
 * RegisterResource request either way: keys whose value is undefined are not sent, and the properties the provider
 * returns that the object has no Output for are skipped (`resolveOutputs`: "engine returned a property that was not
 * in our initial property-map"). The provider plugin's version is pinned as `docker.Container` pins it
 * (`utilities.resourceOptsDefaults`).
 */
import type * as docker from "@pulumi/docker";
import dockerPackage from "@pulumi/docker/package.json";
import * as pulumi from "@pulumi/pulumi";

/** The version `docker.Container` asks the engine for (the package's own, without a leading "v"). */
export const DOCKER_PLUGIN_VERSION: string = dockerPackage.version.replace(/^v/, "");

/** The provider's token for a container (`docker.Container.__pulumiType`, which its typings keep internal). */
export const DOCKER_CONTAINER_TYPE = "docker:index/container:Container";

/** The outputs this program reads: the inputs it sets, and two the provider computes. */
export class DockerContainer extends pulumi.CustomResource {
  declare readonly name: pulumi.Output<string>;
  /** A one-shot's exit code (resourceDockerContainerRead stores `exit_code`). */
  declare readonly exitCode: pulumi.Output<number>;
  /** The container's address on each network. */
  declare readonly networkDatas: pulumi.Output<docker.types.output.ContainerNetworkData[]>;

  constructor(
    name: string,
    args: docker.ContainerArgs & { readonly name: pulumi.Input<string> },
    opts: pulumi.CustomResourceOptions = {},
  ) {
    const inputs: Record<string, unknown> = { exitCode: undefined, networkDatas: undefined };
    for (const [key, value] of Object.entries(args)) if (value !== undefined) inputs[key] = value;
    super(DOCKER_CONTAINER_TYPE, name, inputs, pulumi.mergeOptions({ version: DOCKER_PLUGIN_VERSION }, opts));
  }
}
