/** dockerd (moby/moby) and the Docker provider (kreuzwerker/terraform-provider-docker, bridged by @pulumi/docker). */
import { stableId, type ProviderModel } from "../recorder";
import { digest, echo, stringInput } from "../modelKit";
import type { SystemModel } from "../system";
import { containerFindings, readBackContainer } from "./container";
import { connectContainer, declareNetwork, sessionIpam } from "./ipam";
import { CONTAINER, dockerForceNew } from "./schema";

export { cpusAsReadBack, nanoToDecimalString, parseCpus } from "./cpus";
export { containerFindings, goDurationString, readBackContainer, LINUX_HOST, type DockerHost } from "./container";
export { CONTAINER, dockerForceNew } from "./schema";

export const dockerProviderModels: Record<string, ProviderModel> = {
  "docker:index/remoteImage:RemoteImage": echo((args) => {
    const image = stringInput(args, "name");
    return { imageId: `sha256:${digest(image)}`, repoDigest: `${image.split(":")[0]}@sha256:${digest(image)}` };
  }),
  "docker:index/network:Network": (args) => {
    const id = stableId(args.type, args.name);
    declareNetwork(sessionIpam(args.session), args.name, id, args.inputs);
    return { id, outputs: { name: stringInput(args, "name") || args.name, scope: "local" } };
  },
  "docker:index/volume:Volume": echo((args) => ({
    name: stringInput(args, "name") || args.name,
    mountpoint: `/var/lib/docker/volumes/${args.name}/_data`,
  })),
  "docker:index/container:Container": echo((args) => ({
    exitCode: 0,
    hostname: stringInput(args, "hostname") || args.name,
    // dockerd's IPAM (ipam.ts) in the order the engine starts the containers; a container in another's namespace
    // (network_mode container:<id>) has no network of its own.
    networkDatas: connectContainer(sessionIpam(args.session), args.inputs).map((n) => ({
      networkName: n.network,
      ipAddress: n.address,
      ipPrefixLength: 24,
      gateway: "",
      macAddress: "02:42:00:00:00:00",
    })),
  })),
};

export const dockerSystem: SystemModel = {
  system: "docker",
  check: containerFindings,
  readBack: { [CONTAINER]: (resource, deployment) => readBackContainer(resource, deployment) },
  forceNew: dockerForceNew,
};
