/**
 * Sidecars and gateways as Docker containers: the dev platform, a whole mesh on one host.
 *
 * Each instance is four containers. A namespace holder (the pause image, as Nomad's `infra_image`) owns the network
 * namespace, the address and the DNS aliases, and never restarts with the others; the app and the sidecar join it by
 * container ID, so either can restart and still find the other (moby#24935: a container that joined an app's
 * namespace keeps a dead namespace when the app restarts). A writer fills the one volume the sidecar reads its
 * config and secrets from, so Envoy keeps a read-only rootfs and a renewed certificate replaces only the writer (see
 * dockerFileWriter.ts).
 */
import type * as docker from "@pulumi/docker";
import { AddressedDockerContainer, DockerContainer } from "./dockerContainer";
import * as pulumi from "@pulumi/pulumi";
import { dockerGatewayContainerName, envoyFiles, type DockerMeshCluster, type MeshCluster } from "../../model";
import { dockerLabels, meshLabels, secretFilesLabel } from "../labels";
import { configChecksum } from "./configChecksum";
import { dockerCpus } from "./dockerCpus";
import { fileWriter, type WrittenDirectory, type WrittenFile } from "./dockerFileWriter";
import { dockerEdgeCertificateVolumes, dockerEdgePorts } from "./edge";
import { dockerConsulApplier } from "./consulApplierDocker";
import {
  type ConsulApplierSpec,
  envoyCommand,
  envoyReadinessProbe,
  type GatewayEndpoints,
  type GatewaySpec,
  type SidecarEndpoints,
  type SidecarSpec,
  type WorkloadPlatform,
} from "./types";

export interface DockerPlatformArgs {
  readonly cluster: DockerMeshCluster;
  readonly provider: docker.Provider;
  /** The cluster's network (made by ConsulCluster). */
  readonly networkName: pulumi.Input<string>;
  /** The network all clusters' gateways share. */
  readonly wanNetworkName: pulumi.Input<string>;
  /** Pulls an image once per cluster and returns its ID. */
  readonly image: (reference: string) => pulumi.Input<string>;
}

/** The envoy user in the official image; the files it reads are written owned by it. */
const ENVOY_UID = "101";

/** Holds each instance's network namespace; pinned like every image (the policy pack checks pins). */
export const PAUSE_IMAGE = "registry.k8s.io/pause:3.10";
/** The pause image's own unprivileged user. */
const PAUSE_USER = "65535:65535";

/** Label carrying a digest of what Envoy reads only at start: a change replaces the Envoy container. */
export const RESTART_DIGEST_LABEL = "lucid.mesh/restart-digest";

/** The restart digest of an Envoy: of its bootstrap, which it reads only at start (as kubernetes.ts envoyStartChecksum). */
function envoyRestartDigest(files: Readonly<Record<string, string>>): string {
  return configChecksum([files[envoyFiles.bootstrap] ?? ""]).slice(0, 16);
}

function envoyConfigDirectory(files: Readonly<Record<string, string>>, volume: string): WrittenDirectory {
  // The bootstrap before the LDS/CDS files it names; Envoy watches the directory for the others.
  const names = Object.keys(files).sort((a, b) =>
    a === envoyFiles.bootstrap ? -1 : b === envoyFiles.bootstrap ? 1 : a < b ? -1 : 1,
  );
  return {
    directory: envoyFiles.directory,
    volume,
    files: names.map((n) => ({ path: `${envoyFiles.directory}/${n}`, content: files[n]!, mode: "0444" })),
  };
}

function envoyContainerBase(cluster: MeshCluster, memoryMb: number, cpus: number) {
  return {
    restart: "unless-stopped",
    user: `${ENVOY_UID}:${ENVOY_UID}`,
    entrypoints: ["/usr/local/bin/envoy"],
    command: envoyCommand(`${envoyFiles.directory}/${envoyFiles.bootstrap}`, cpus),
    memory: memoryMb,
    // Unset, dockerd stores twice the memory as swap and every `up` would update it (daemon_unix.go).
    memorySwap: memoryMb,
    cpus: dockerCpus(cpus),
    readOnly: true,
    tmpfs: { "/tmp": "rw,size=16m" },
    capabilities: { drops: ["ALL"] },
    securityOpts: ["no-new-privileges:true"],
    logDriver: "json-file",
    logOpts: { "max-size": "10m", "max-file": "3" },
    envs: [`LUCID_CLUSTER=${cluster.name}`],
  };
}

export class DockerPlatform implements WorkloadPlatform {
  readonly instanceRegistration = "pulumi" as const;
  constructor(private readonly args: DockerPlatformArgs) {}

  deployConsulApplier(name: string, spec: ConsulApplierSpec, parent: pulumi.Resource): pulumi.Resource[] {
    return dockerConsulApplier(name, spec, this.args, parent);
  }

  deploySidecar(name: string, spec: SidecarSpec, parent: pulumi.Resource): SidecarEndpoints {
    const instance = spec.instances[0];
    if (!instance || spec.instances.length !== 1)
      throw new Error(`${name}: a Docker sidecar serves exactly one instance`);
    const opts = { parent, provider: this.args.provider };
    const { mesh, service } = spec;
    const roleLabels = (role: "app" | "sidecar" | "envoy-config") => meshLabels(role, spec.cluster.name, service.name);

    const holder = new AddressedDockerContainer(
      `${name}-netns`,
      {
        name: `${instance.name}-netns`,
        image: this.args.image(PAUSE_IMAGE),
        hostname: instance.name,
        networksAdvanced: [{ name: this.args.networkName, aliases: [service.name, instance.name] }],
        // The namespace holder owns the network namespace, so the edge listener is published here.
        ...(service.edge ? { ports: dockerEdgePorts(service) } : {}),
        user: PAUSE_USER,
        readOnly: true,
        restart: "unless-stopped",
        capabilities: { drops: ["ALL"] },
        securityOpts: ["no-new-privileges:true"],
        memory: 8,
        memorySwap: 8,
        labels: dockerLabels({ ...roleLabels("app"), "lucid.mesh/netns": instance.name }),
      },
      opts,
    );
    // By ID: dockerd stores container:<name> as container:<id> and network_mode forces a replacement.
    const networkMode = pulumi.interpolate`container:${holder.id}`;

    // With an image the mesh runs the app; otherwise the team runs its container with --network container:<holder>.
    const app = service.image
      ? new DockerContainer(
          `${name}-app`,
          {
            name: instance.name,
            image: this.args.image(service.image),
            command: [...service.args],
            envs: Object.entries(service.env).map(([k, v]) => `${k}=${v}`),
            networkMode,
            labels: dockerLabels(roleLabels("app")),
            restart: "unless-stopped",
            capabilities: { drops: ["ALL"] },
            securityOpts: ["no-new-privileges:true"],
          },
          opts,
        )
      : undefined;

    const secretFiles: WrittenFile[] = [
      // The key before the SDS file that names it: Envoy reloads on each move. The chain and the trust bundle are
      // inline in the SDS files, so they have no file of their own.
      {
        path: `${envoyFiles.secretsDirectory}/${envoyFiles.privateKeyPem}`,
        content: pulumi.secret(spec.privateKeyPem),
        mode: "0400",
      },
      ...[envoyFiles.certificateSds, envoyFiles.trustBundleSds].map((file): WrittenFile => ({
        path: `${envoyFiles.secretsDirectory}/${file}`,
        content: spec.sdsFiles.apply((sds) => sds[file] ?? ""),
        mode: "0444",
      })),
    ];
    const files = fileWriter(
      `${name}-files`,
      {
        containerName: `${instance.name}-envoy-files`,
        image: this.args.image(mesh.sidecar.image),
        owner: `${ENVOY_UID}:${ENVOY_UID}`,
        // One volume for both directories (one resource per instance, not two): its files are all in its top
        // directory, so each mount shows every file and Envoy reads each at its contract path. A move into it wakes
        // every watched_directory source (LDS, CDS, SDS); the ones whose file did not change re-read the same config.
        directories: [
          envoyConfigDirectory(spec.envoyFiles, `${instance.name}-envoy-files`),
          { directory: envoyFiles.secretsDirectory, volume: `${instance.name}-envoy-files`, files: secretFiles },
        ],
        labels: dockerLabels({
          ...roleLabels("envoy-config"),
          ...secretFilesLabel([`${envoyFiles.secretsDirectory}/${envoyFiles.privateKeyPem}`]),
        }),
      },
      opts,
    );

    new DockerContainer(
      `${name}-sidecar`,
      {
        name: `${instance.name}-sidecar`,
        image: this.args.image(mesh.sidecar.image),
        ...envoyContainerBase(spec.cluster, mesh.sidecar.memoryMb, mesh.sidecar.cpus),
        networkMode,
        volumes: [...files.mounts, ...dockerEdgeCertificateVolumes(service)],
        healthcheck: {
          tests: envoyReadinessProbe(mesh.sidecar.adminPort),
          interval: "10s",
          timeout: "3s",
          retries: 3,
          startPeriod: "5s",
        },
        labels: dockerLabels({
          ...roleLabels("sidecar"),
          [RESTART_DIGEST_LABEL]: envoyRestartDigest(spec.envoyFiles),
        }),
      },
      { ...opts, dependsOn: [files.writer, ...(app ? [app] : [])], deleteBeforeReplace: true },
    );
    // Consul DNS must answer with an IP Envoy can dial: the holder's address on the cluster network.
    const networkName = pulumi.output(this.args.networkName);
    const address = pulumi
      .all([holder.networkDatas, networkName])
      .apply(([datas, network]) => datas?.find((d) => d.networkName === network)?.ipAddress ?? instance.name);
    return {
      admin: `127.0.0.1:${mesh.sidecar.adminPort} in ${instance.name}'s network namespace`,
      metrics: `http://${instance.name}:${mesh.sidecar.metricsPort}/stats/prometheus`,
      addresses: { [instance.name]: address },
    };
  }

  deployGateway(name: string, spec: GatewaySpec, parent: pulumi.Resource): GatewayEndpoints {
    const { mesh } = spec;
    const cluster = this.args.cluster;
    const dockerSettings = cluster.docker;
    const containerName = dockerGatewayContainerName(cluster.name);
    const opts = { parent, provider: this.args.provider };
    const files = fileWriter(
      `${name}-files`,
      {
        containerName: `${containerName}-envoy-files`,
        image: this.args.image(mesh.sidecar.image),
        owner: `${ENVOY_UID}:${ENVOY_UID}`,
        directories: [envoyConfigDirectory(spec.envoyFiles, `${containerName}-envoy-config`)],
        labels: dockerLabels(meshLabels("gateway", cluster.name)),
      },
      opts,
    );
    new DockerContainer(
      name,
      {
        name: containerName,
        image: this.args.image(mesh.sidecar.image),
        ...envoyContainerBase(cluster, mesh.sidecar.memoryMb, mesh.sidecar.cpus),
        networksAdvanced: [
          { name: this.args.networkName, ipv4Address: dockerSettings.gatewayAddress, aliases: [containerName] },
          { name: this.args.wanNetworkName, ipv4Address: cluster.gateway.wanAddress, aliases: [containerName] },
        ],
        volumes: files.mounts,
        healthcheck: { tests: envoyReadinessProbe(mesh.sidecar.adminPort), interval: "10s", timeout: "3s", retries: 3 },
        labels: dockerLabels({
          ...meshLabels("gateway", cluster.name),
          [RESTART_DIGEST_LABEL]: envoyRestartDigest(spec.envoyFiles),
        }),
      },
      { ...opts, dependsOn: [files.writer], deleteBeforeReplace: true },
    );
    return {
      wanAddress: pulumi.output(`${cluster.gateway.wanAddress}:${cluster.gateway.port}`),
      localHost: pulumi.output(dockerSettings.gatewayAddress),
    };
  }
}
