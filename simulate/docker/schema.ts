/**
 * The Docker provider's schema as the second `up` sees it: which inputs force a replacement (ForceNew) and the
 * defaults an unset input takes. From kreuzwerker/terraform-provider-docker internal/provider/
 * resource_docker_container.go, resource_docker_network.go, resource_docker_volume.go and resource_docker_image.go
 * (`ForceNew: true`), under the input names @pulumi/docker gives them.
 */

export const CONTAINER = "docker:index/container:Container";
export const NETWORK = "docker:index/network:Network";
export const VOLUME = "docker:index/volume:Volume";
export const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";

export const dockerForceNew: Readonly<Record<string, readonly string[]>> = {
  [CONTAINER]: [
    "capabilities",
    "cgroupParent",
    "cgroupnsMode",
    "command",
    "cpus",
    "deviceRequests",
    "devices",
    "dns",
    "dnsOpts",
    "dnsSearches",
    "domainname",
    "entrypoints",
    "envs",
    "gpus",
    "groupAdds",
    "hostname",
    "hosts",
    "image",
    "ipcMode",
    "labels",
    "logDriver",
    "logOpts",
    "mounts",
    "name",
    "networkMode",
    "networksAdvanced",
    "pidMode",
    "platform",
    "ports",
    "privileged",
    "publishAllPorts",
    "readOnly",
    "runtime",
    "securityOpts",
    "shmSize",
    "stdinOpen",
    "stopSignal",
    "stopTimeout",
    "storageOpts",
    "sysctls",
    "tty",
    "ulimits",
    "uploads",
    "user",
    "usernsMode",
    "volumes",
    "workingDir",
  ],
  [NETWORK]: [
    "attachable",
    "driver",
    "ingress",
    "internal",
    "ipamConfigs",
    "ipamDriver",
    "ipamOptions",
    "labels",
    "name",
    "options",
  ],
  [VOLUME]: ["driver", "driverOpts", "labels", "name"],
  [REMOTE_IMAGE]: ["name", "platform", "pullTriggers", "triggers"],
};

/** `network_mode` has `Default: "bridge"`; the provider creates every container with it. */
export const DEFAULT_NETWORK_MODE = "bridge";
/** healthcheck durations default to "0s" (`Default: "0s"` on interval, timeout, start_period, start_interval). */
export const DEFAULT_DURATION = "0s";
