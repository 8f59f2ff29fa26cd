/** dockerd (moby/moby) and the Docker provider (kreuzwerker/terraform-provider-docker, bridged by @pulumi/docker). */
import type { ProviderModel } from "../recorder";
import { digest, echo, stringInput } from "../modelKit";
import type { SystemModel } from "../system";
import { containerFindings, readBackContainer } from "./container";
import { CONTAINER, dockerForceNew } from "./schema";

export { cpusAsReadBack, nanoToDecimalString, parseCpus } from "./cpus";
export { containerFindings, goDurationString, readBackContainer, LINUX_HOST, type DockerHost } from "./container";
export { CONTAINER, dockerForceNew } from "./schema";

export const dockerProviderModels: Record<string, ProviderModel> = {
  "docker:index/remoteImage:RemoteImage": echo((args) => {
    const image = stringInput(args, "name");
    return { imageId: `sha256:${digest(image)}`, repoDigest: `${image.split(":")[0]}@sha256:${digest(image)}` };
  }),
  "docker:index/network:Network": echo((args) => ({ name: stringInput(args, "name") || args.name, scope: "local" })),
  "docker:index/volume:Volume": echo((args) => ({
    name: stringInput(args, "name") || args.name,
    mountpoint: `/var/lib/docker/volumes/${args.name}/_data`,
  })),
  "docker:index/container:Container": echo((args) => {
    // Docker assigns addresses from the network's range unless one is fixed; a hash stands in for its choice.
    // A container in another's namespace (network_mode container:<id>) has no network of its own.
    const networks = (args.inputs.networksAdvanced ?? []) as Array<{ name: string; ipv4Address?: string }>;
    const host = 128 + (parseInt(digest(args.name).slice(0, 4), 16) % 126);
    return {
      exitCode: 0,
      hostname: stringInput(args, "hostname") || args.name,
      networkDatas: networks.map((n) => ({
        networkName: n.name,
        ipAddress: n.ipv4Address ?? `172.30.${parseInt(digest(n.name).slice(0, 2), 16)}.${host}`,
        ipPrefixLength: 24,
        gateway: "",
        macAddress: "02:42:00:00:00:00",
      })),
    };
  }),
};

export const dockerSystem: SystemModel = {
  system: "docker",
  check: containerFindings,
  readBack: { [CONTAINER]: (resource, deployment) => readBackContainer(resource, deployment) },
  forceNew: dockerForceNew,
};
