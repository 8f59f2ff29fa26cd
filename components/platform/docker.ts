/** Sidecars and gateways as Docker containers: the dev platform, a whole mesh on one host. */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { envoyFiles, type MeshCluster } from "../../model";
import { dockerLabels, meshLabels, secretFilesLabel } from "../labels";
import { dockerEdgeCertificateVolumes, dockerEdgePorts } from "./edge";
import {
  envoyCommand,
  envoyReadinessProbe,
  type GatewayEndpoints,
  type GatewaySpec,
  type SidecarEndpoints,
  type SidecarSpec,
  type WorkloadPlatform,
} from "./types";

export interface DockerPlatformArgs {
  readonly cluster: MeshCluster;
  readonly provider: docker.Provider;
  /** The cluster's network (made by ConsulCluster). */
  readonly networkName: pulumi.Input<string>;
  /** The network all clusters' gateways share. */
  readonly wanNetworkName: pulumi.Input<string>;
  /** Pulls an image once per cluster and returns its ID. */
  readonly image: (reference: string) => pulumi.Input<string>;
}

/** The envoy user in the official image; files it reads are uploaded owned by it. */
const ENVOY_UID = "101";

function upload(file: string, content: pulumi.Input<string>, permissions = "0444"): docker.types.input.ContainerUpload {
  return { file, content, permissions, owner: ENVOY_UID, group: ENVOY_UID };
}

function envoyUploads(files: Readonly<Record<string, string>>): docker.types.input.ContainerUpload[] {
  return Object.keys(files)
    .sort()
    .map((name) => upload(`${envoyFiles.directory}/${name}`, files[name]!));
}

function envoyContainerBase(cluster: MeshCluster, memoryMb: number, cpus: number) {
  return {
    restart: "unless-stopped",
    user: `${ENVOY_UID}:${ENVOY_UID}`,
    entrypoints: ["/usr/local/bin/envoy"],
    command: envoyCommand(`${envoyFiles.directory}/${envoyFiles.bootstrap}`, cpus),
    memory: memoryMb,
    cpus: String(cpus),
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
  constructor(private readonly args: DockerPlatformArgs) {}

  deploySidecar(name: string, spec: SidecarSpec, parent: pulumi.Resource): SidecarEndpoints {
    const instance = spec.instances[0];
    if (!instance || spec.instances.length !== 1)
      throw new Error(`${name}: a Docker sidecar serves exactly one instance`);
    const opts = { parent, provider: this.args.provider };
    const { mesh, service } = spec;
    // With an image the mesh runs the app; otherwise the sidecar joins the team's container of the same name.
    const app = service.image
      ? new docker.Container(
          `${name}-app`,
          {
            name: instance.name,
            image: this.args.image(service.image),
            command: [...service.args],
            envs: Object.entries(service.env).map(([k, v]) => `${k}=${v}`),
            hostname: instance.name,
            networksAdvanced: [{ name: this.args.networkName, aliases: [service.name, instance.name] }],
            ports: dockerEdgePorts(service),
            labels: dockerLabels(meshLabels("app", spec.cluster.name, service.name)),
            restart: "unless-stopped",
            capabilities: { drops: ["ALL"] },
            securityOpts: ["no-new-privileges:true"],
          },
          opts,
        )
      : undefined;
    // Each upload is its own value, so only the key's content is secret and the rest stays reviewable in a plan.
    const secretUploads = [
      ...[envoyFiles.certificateSds, envoyFiles.trustBundleSds].map((file) =>
        upload(
          `${envoyFiles.secretsDirectory}/${file}`,
          spec.sdsFiles.apply((sds) => sds[file] ?? ""),
        ),
      ),
      upload(`${envoyFiles.secretsDirectory}/${envoyFiles.certificatePem}`, spec.certificateChainPem),
      upload(`${envoyFiles.secretsDirectory}/${envoyFiles.trustBundlePem}`, spec.trustBundlePem),
      upload(`${envoyFiles.secretsDirectory}/${envoyFiles.privateKeyPem}`, pulumi.secret(spec.privateKeyPem), "0400"),
    ];
    new docker.Container(
      `${name}-sidecar`,
      {
        name: `${instance.name}-sidecar`,
        image: this.args.image(mesh.sidecar.image),
        ...envoyContainerBase(spec.cluster, mesh.sidecar.memoryMb, mesh.sidecar.cpus),
        networkMode: `container:${instance.name}`,
        volumes: dockerEdgeCertificateVolumes(service),
        uploads: pulumi
          .all([envoyUploads(spec.envoyFiles), secretUploads])
          .apply(([plain, secret]) => [...plain, ...secret]),
        healthcheck: {
          tests: envoyReadinessProbe(mesh.sidecar.adminPort),
          interval: "10s",
          timeout: "3s",
          retries: 3,
          startPeriod: "5s",
        },
        labels: dockerLabels({
          ...meshLabels("sidecar", spec.cluster.name, service.name),
          ...secretFilesLabel([`${envoyFiles.secretsDirectory}/${envoyFiles.privateKeyPem}`]),
        }),
      },
      { ...opts, dependsOn: app ? [app] : [] },
    );
    // Consul DNS must answer with an IP Envoy can dial, so the app container's address on the cluster network is
    // registered; a team's own container is only known by name.
    const networkName = pulumi.output(this.args.networkName);
    const address = app
      ? pulumi
          .all([app.networkDatas, networkName])
          .apply(([datas, network]) => datas?.find((d) => d.networkName === network)?.ipAddress ?? instance.name)
      : pulumi.output(instance.name);
    return {
      admin: `127.0.0.1:${mesh.sidecar.adminPort} in ${instance.name}'s network namespace`,
      metrics: `http://${instance.name}:${mesh.sidecar.metricsPort}/stats/prometheus`,
      addresses: { [instance.name]: address },
    };
  }

  deployGateway(name: string, spec: GatewaySpec, parent: pulumi.Resource): GatewayEndpoints {
    const { cluster, mesh } = spec;
    const dockerSettings = cluster.docker;
    if (!dockerSettings) throw new Error(`${name}: cluster ${cluster.name} is not a Docker cluster`);
    const containerName = `${cluster.name}-mesh-gateway`;
    new docker.Container(
      name,
      {
        name: containerName,
        image: this.args.image(mesh.sidecar.image),
        ...envoyContainerBase(cluster, mesh.sidecar.memoryMb, mesh.sidecar.cpus),
        networksAdvanced: [
          { name: this.args.networkName, ipv4Address: dockerSettings.gatewayAddress, aliases: [containerName] },
          { name: this.args.wanNetworkName, ipv4Address: cluster.gateway.wanAddress, aliases: [containerName] },
        ],
        uploads: envoyUploads(spec.envoyFiles),
        healthcheck: { tests: envoyReadinessProbe(mesh.sidecar.adminPort), interval: "10s", timeout: "3s", retries: 3 },
        labels: dockerLabels(meshLabels("gateway", cluster.name)),
      },
      { parent, provider: this.args.provider },
    );
    return {
      wanAddress: pulumi.output(`${cluster.gateway.wanAddress}:${cluster.gateway.port}`),
      localHost: pulumi.output(dockerSettings.gatewayAddress),
    };
  }
}
