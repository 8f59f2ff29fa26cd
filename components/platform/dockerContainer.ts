/**
 * `docker:index/container:Container`, declared with only the properties the program sets (components/leanResource.ts):
 * `docker.Container` holds 78 Outputs a container, nearly all unused. The engine receives the request
 * `docker.Container` would send; tests/mesh/leanResources.spec.ts compares them.
 */
import type * as docker from "@pulumi/docker";
import dockerPackage from "@pulumi/docker/package.json";
import * as pulumi from "@pulumi/pulumi";
import { definedInputs, pluginVersion, readBack } from "../leanResource";

/** The version `docker.Container` asks the engine for (`utilities.resourceOptsDefaults`). */
export const DOCKER_PLUGIN_VERSION = pluginVersion(dockerPackage.version);

/** The provider's token for a container (`docker.Container.__pulumiType`, which its typings keep internal). */
export const DOCKER_CONTAINER_TYPE = "docker:index/container:Container";

export type DockerContainerArgs = docker.ContainerArgs & { readonly name: pulumi.Input<string> };

/** A container: its inputs are its only outputs. */
export class DockerContainer extends pulumi.CustomResource {
  declare readonly name: pulumi.Output<string>;

  constructor(
    name: string,
    args: DockerContainerArgs,
    opts: pulumi.CustomResourceOptions = {},
    computed: readonly ("exitCode" | "networkDatas")[] = [],
  ) {
    super(
      DOCKER_CONTAINER_TYPE,
      name,
      { ...definedInputs(args), ...readBack(computed) },
      pulumi.mergeOptions({ version: DOCKER_PLUGIN_VERSION }, opts),
    );
  }
}

/** A container whose address on each network the program reads (resourceDockerContainerRead's `network_data`). */
export class AddressedDockerContainer extends DockerContainer {
  declare readonly networkDatas: pulumi.Output<docker.types.output.ContainerNetworkData[]>;

  constructor(name: string, args: DockerContainerArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(name, args, opts, ["networkDatas"]);
  }
}

/** A one-shot container whose exit code the program reads (resourceDockerContainerRead's `exit_code`). */
export class OneShotDockerContainer extends DockerContainer {
  declare readonly exitCode: pulumi.Output<number>;

  constructor(name: string, args: DockerContainerArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(name, args, opts, ["exitCode"]);
  }
}
