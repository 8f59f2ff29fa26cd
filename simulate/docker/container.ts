/**
 * What dockerd (moby/moby) and the Docker provider (kreuzwerker/terraform-provider-docker) do with a container the
 * program declares: the refusals of the first `up` (`containerFindings`) and what the provider reads back after it
 * (`readBackContainer`). Pure functions over the recorded inputs; each rule names the source it comes from.
 */
import { stableId, type RecordedResource } from "../recorder";
import type { Deployment, SystemFinding } from "../system";
import { nanoToDecimalString, parseCpus } from "./cpus";
import { connectContainer, declareNetwork, DockerIpam } from "./ipam";
import { CONTAINER, DEFAULT_DURATION, DEFAULT_NETWORK_MODE, NETWORK } from "./schema";

const PROVIDER = "kreuzwerker/terraform-provider-docker";
const MOBY = "moby/moby";
const MIB = 1024 * 1024;

interface Upload {
  readonly file: string;
  readonly content?: string;
  readonly contentBase64?: string;
  readonly source?: string;
}

interface Healthcheck {
  readonly tests?: readonly string[];
  readonly interval?: string;
  readonly timeout?: string;
  readonly startPeriod?: string;
  readonly startInterval?: string;
  readonly retries?: number;
}

/** The container inputs the rules read, as the engine receives them. */
interface ContainerInputs {
  readonly name?: string;
  readonly hostname?: string;
  readonly networkMode?: string;
  readonly networksAdvanced?: readonly { readonly name: string }[];
  readonly ports?: readonly unknown[];
  readonly dns?: readonly string[];
  readonly hosts?: readonly unknown[];
  readonly readOnly?: boolean;
  readonly uploads?: readonly Upload[];
  readonly memory?: number;
  readonly memorySwap?: number;
  readonly cpus?: string;
  readonly healthcheck?: Healthcheck;
  readonly mustRun?: boolean;
  readonly start?: boolean;
  readonly attach?: boolean;
  readonly wait?: boolean;
}

const inputsOf = (r: RecordedResource): ContainerInputs => r.inputs as ContainerInputs;

/** The host the model stands for: a Linux dockerd whose kernel limits swap (`docker info` SwapLimit). */
export interface DockerHost {
  readonly swapLimit: boolean;
}
export const LINUX_HOST: DockerHost = { swapLimit: true };

/** Containers by name and by ID, built once per deployment: a lookup per container must not scan (and hash) them all. */
const containersByRef = new WeakMap<readonly RecordedResource[], Map<string, RecordedResource>>();

function containerIndex(deployment: Deployment): Map<string, RecordedResource> {
  let index = containersByRef.get(deployment.resources);
  if (!index) {
    index = new Map();
    for (const r of deployment.resources) {
      if (r.type !== CONTAINER) continue;
      const name = inputsOf(r).name;
      // The first declared wins, as the scan in declaration order did; a name before an ID of the same text.
      if (name !== undefined && !index.has(`name:${name}`)) index.set(`name:${name}`, r);
      const id = `id:${stableId(r.type, r.name)}`;
      if (!index.has(id)) index.set(id, r);
    }
    containersByRef.set(deployment.resources, index);
  }
  return index;
}

/** The container a `container:<name|id>` network mode names, if the deployment declares it. */
function joinedContainer(mode: string, deployment: Deployment): RecordedResource | undefined {
  const ref = mode.slice("container:".length);
  const index = containerIndex(deployment);
  const byName = index.get(`name:${ref}`);
  const byId = index.get(`id:${ref}`);
  if (!byName || !byId) return byName ?? byId;
  // Both match: the one declared first, as a scan in declaration order finds it.
  return deployment.resources.indexOf(byName) <= deployment.resources.indexOf(byId) ? byName : byId;
}

function finding(r: RecordedResource, rule: string, source: string, message: string): SystemFinding {
  return { system: "docker", rule: `docker/container/${rule}`, source, subject: r.urn, message };
}

/** Every refusal of one container. */
function refusals(r: RecordedResource, deployment: Deployment): SystemFinding[] {
  const c = inputsOf(r);
  const out: SystemFinding[] = [];
  const mode = c.networkMode ?? DEFAULT_NETWORK_MODE;
  const runconfig = `${MOBY} daemon/internal/runconfig/hostconfig.go (validateNetContainerMode)`;
  if (mode.startsWith("container:")) {
    if (c.hostname)
      out.push(finding(r, "netns-hostname", runconfig, "conflicting options: hostname and the network mode"));
    if ((c.dns ?? []).length > 0)
      out.push(finding(r, "netns-dns", runconfig, "conflicting options: dns and the network mode"));
    if ((c.hosts ?? []).length > 0)
      out.push(
        finding(r, "netns-hosts", runconfig, "conflicting options: custom host-to-IP mapping and the network mode"),
      );
    if ((c.ports ?? []).length > 0)
      out.push(
        finding(
          r,
          "netns-ports",
          runconfig,
          "conflicting options: port publishing and the container type network mode",
        ),
      );
    // The provider connects networks_advanced after create (resourceDockerContainerCreate, NetworkConnect).
    if ((c.networksAdvanced ?? []).length > 0)
      out.push(
        finding(
          r,
          "netns-networks",
          `${MOBY} daemon/container_operations.go`,
          "container sharing network namespace with another container or host cannot be connected to any other network",
        ),
      );
    if (!joinedContainer(mode, deployment))
      out.push(
        finding(
          r,
          "netns-unknown-container",
          `${MOBY} daemon/container_operations.go (getNetworkedContainer)`,
          `joining network namespace of container: No such container: ${mode.slice("container:".length)}`,
        ),
      );
  }
  const uploads = c.uploads ?? [];
  // The provider extracts every upload at "/" (resourceDockerContainerCreate: dstPath := "/"); "/" is never inside
  // a volume, so dockerd's checkWritablePath refuses any upload into a read-only rootfs.
  if (uploads.length > 0 && c.readOnly === true)
    out.push(
      finding(
        r,
        "upload-read-only-rootfs",
        `${MOBY} daemon/archive_unix.go (checkWritablePath); ${PROVIDER} internal/provider/resource_docker_container_funcs.go (CopyToContainer to "/")`,
        "Unable to upload volume content: Error response from daemon: container rootfs is marked read-only",
      ),
    );
  for (const u of uploads) {
    const set = [u.content, u.contentBase64, u.source].filter((v) => v !== undefined && v !== "").length;
    if (set !== 1)
      out.push(
        finding(
          r,
          "upload-content",
          `${PROVIDER} internal/provider/resource_docker_container_funcs.go (resourceDockerContainerCreate)`,
          set === 0
            ? `error with upload content: one of 'content', 'content_base64', or 'source' must be set (${u.file})`
            : `error with upload content: only one of 'content', 'content_base64', or 'source' can be set (${u.file})`,
        ),
      );
  }
  // The provider's `wait` polls State.Health and errors at once when there is none (resourceDockerContainerCreate).
  if (c.wait === true && !c.healthcheck?.tests?.length)
    out.push(
      finding(
        r,
        "wait-without-healthcheck",
        `${PROVIDER} internal/provider/resource_docker_container_funcs.go (resourceDockerContainerCreate, wait)`,
        "you have supplied a 'wait' argument, but the container does not have a healthcheck defined. Please remove the 'wait' argument or add a 'healthcheck' attribute",
      ),
    );
  const resources = `${MOBY} daemon/daemon_unix.go (verifyPlatformContainerResources)`;
  if (c.memory !== undefined && c.memory > 0 && c.memory < 6)
    out.push(finding(r, "memory-minimum", resources, "Minimum memory limit allowed is 6MB"));
  if (c.memorySwap !== undefined && c.memorySwap > 0) {
    if (!c.memory)
      out.push(
        finding(
          r,
          "swap-without-memory",
          resources,
          "You should always set the Memory limit when using Memoryswap limit, see usage",
        ),
      );
    else if (c.memorySwap < c.memory)
      out.push(
        finding(
          r,
          "swap-below-memory",
          resources,
          "Minimum memoryswap limit should be larger than memory limit, see usage",
        ),
      );
  }
  if (c.cpus !== undefined) {
    try {
      parseCpus(c.cpus);
    } catch (error) {
      out.push(
        finding(
          r,
          "cpus-parse",
          `${PROVIDER} internal/provider/resource_docker_container_funcs.go (opts.ParseCPUs)`,
          `Error setting cpus: ${(error as Error).message}`,
        ),
      );
    }
  }
  return out;
}

/** Two containers with one name: the second create fails (moby daemon/names.go, reserveName). */
function nameConflicts(containers: readonly RecordedResource[]): SystemFinding[] {
  const firstByName = new Map<string, RecordedResource>();
  const out: SystemFinding[] = [];
  for (const r of containers) {
    const name = inputsOf(r).name;
    if (!name) continue;
    const first = firstByName.get(name);
    if (!first) firstByName.set(name, r);
    else
      out.push(
        finding(
          r,
          "name-in-use",
          `${MOBY} daemon/names.go (reserveName)`,
          `Conflict. The container name "/${name}" is already in use by container "${stableId(first.type, first.name)}". You have to remove (or rename) that container to be able to reuse that name.`,
        ),
      );
  }
  return out;
}

/**
 * The addresses dockerd refuses, replaying its IPAM (ipam.ts) over the networks and containers in the order the
 * engine registered them, as the provider model allocated them.
 */
function addressRefusals(deployment: Deployment): SystemFinding[] {
  const ipam = new DockerIpam();
  const out: SystemFinding[] = [];
  for (const r of deployment.resources) {
    if (r.type === NETWORK) declareNetwork(ipam, r.name, stableId(r.type, r.name), r.inputs);
    if (r.type !== CONTAINER) continue;
    for (const c of connectContainer(ipam, r.inputs)) {
      if (c.refusal)
        out.push(
          finding(
            r,
            "network-address",
            `${MOBY} vendor/github.com/docker/libnetwork/endpoint.go (assignAddressVersion) and ipam/allocator.go (getAddress), v20.10.24; ${PROVIDER} internal/provider/resource_docker_container_funcs.go (ContainerStart)`,
            `Unable to start container: Error response from daemon: ${c.refusal} (network ${c.network})`,
          ),
        );
    }
  }
  return out;
}

export function containerFindings(deployment: Deployment): SystemFinding[] {
  const containers = deployment.resources.filter((r) => r.type === CONTAINER);
  return [
    ...containers.flatMap((r) => refusals(r, deployment)),
    ...nameConflicts(containers),
    ...addressRefusals(deployment),
  ];
}

/** Go's time.Duration.String() of a duration string such as "60s" (the provider reads healthcheck times with it). */
export function goDurationString(value: string): string {
  const units: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  let seconds = 0;
  for (const [, n, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) seconds += Number(n) * units[unit!]!;
  if (seconds === 0) return "0s";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.round((seconds % 60) * 1e9) / 1e9;
  if (seconds < 1) return seconds >= 1e-3 ? `${Math.round(seconds * 1e6) / 1e3}ms` : `${Math.round(seconds * 1e9)}ns`;
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

/**
 * What resourceDockerContainerRead stores, in input shape, for the inputs dockerd can rewrite
 * (kreuzwerker/terraform-provider-docker internal/provider/resource_docker_container_funcs.go). Keys the provider
 * does not read back (uploads, envs, labels, networks_advanced, volumes) are left out: they never diff. An unset
 * optional input whose stored value is the zero value is left out too: terraform-plugin-sdk's diff treats a null
 * config as the type's zero value (helper/schema/schema.go, diffString).
 */
export function readBackContainer(
  r: RecordedResource,
  deployment: Deployment,
  host: DockerHost = LINUX_HOST,
): Record<string, unknown> {
  const c = inputsOf(r);
  const out: Record<string, unknown> = {};
  // dockerd stores container:<name> as container:<id> (daemon/daemon_unix.go, adaptSharedNamespaceContainer); the
  // provider reads HostConfig.NetworkMode back, and network_mode is ForceNew with no diff suppression.
  const mode = c.networkMode ?? DEFAULT_NETWORK_MODE;
  const joined = mode.startsWith("container:") ? joinedContainer(mode, deployment) : undefined;
  const storedMode = joined ? `container:${stableId(joined.type, joined.name)}` : mode;
  if (c.networkMode !== undefined || storedMode !== DEFAULT_NETWORK_MODE) out.networkMode = storedMode;

  // Memory in MiB; MemorySwap defaults to twice Memory (daemon/daemon_unix.go, adaptContainerSettings), or -1
  // where the kernel has no swap limit (verifyPlatformContainerResources).
  const memory = c.memory ?? 0;
  if (c.memory !== undefined) out.memory = memory;
  let swap = c.memorySwap !== undefined && c.memorySwap > 0 ? c.memorySwap * MIB : (c.memorySwap ?? 0);
  if (memory > 0 && swap === 0) swap = memory * MIB * 2;
  if (memory > 0 && swap !== -1 && !host.swapLimit) swap = -1;
  const storedSwap = swap > 0 ? swap / MIB : swap;
  if (c.memorySwap !== undefined || storedSwap !== 0) out.memorySwap = storedSwap;

  if (c.cpus !== undefined) {
    try {
      const nano = parseCpus(c.cpus);
      if (nano > 0n) out.cpus = nanoToDecimalString(nano);
    } catch {
      // refused at create: see containerFindings
    }
  }

  // healthcheck: Config.Healthcheck read back with Duration.String() for each time, defaults "0s".
  if (c.healthcheck) {
    const h = c.healthcheck;
    const stored: Record<string, unknown> = { ...h };
    for (const key of ["interval", "timeout", "startPeriod", "startInterval"] as const) {
      const value = goDurationString(h[key] ?? DEFAULT_DURATION);
      if (h[key] !== undefined || value !== DEFAULT_DURATION) stored[key] = value;
    }
    out.healthcheck = stored;
  }

  // A container that has exited is read with must_run = false when it was declared true (or left at its default).
  const runsToCompletion = c.attach === true || c.start === false;
  if (runsToCompletion && c.mustRun !== false) out.mustRun = false;
  return out;
}
