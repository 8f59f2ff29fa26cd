/**
 * Consul on Docker: one network per cluster, a pinned image, N server containers at fixed addresses (on the
 * cluster network and, for peering, on the shared WAN network) with their own data volumes, consul-esm, and the
 * one-shot ACL bootstrap container.
 */
import { createHash } from "node:crypto";
import * as docker from "@pulumi/docker";
import { DockerContainer, OneShotDockerContainer } from "./dockerContainer";
import * as pulumi from "@pulumi/pulumi";
import { secretFilesLabel } from "../labels";
import { aclInitPaths } from "../../consul/aclBootstrap";
import {
  CONSUL_ESM_IMAGE,
  CONSUL_GID,
  CONSUL_UID,
  consulPaths,
  consulPorts,
  consulServerNodeName,
  esmPaths,
} from "../../consul/names";
import {
  DOCKER_WAN_NETWORK,
  consulServerTlsName,
  consulServerWanAddresses,
  dockerConsulEsmContainerName,
  type DockerMeshCluster,
} from "../../model";
import type { ConsulPlatform, RenderedFile } from "./consulTypes";
import { RESTART_DIGEST_LABEL } from "./docker";
import { fileWriter } from "./dockerFileWriter";

/** Consul watches its config and certificate files and reloads them (agent/agent.go, AutoReloadConfig). */
export const AUTO_RELOAD_FILE = consulPaths.autoReloadConfig;
const AUTO_RELOAD_CONFIG = `${JSON.stringify({ auto_reload_config: true })}\n`;

function keyFirst(files: readonly RenderedFile[]): RenderedFile[] {
  return [...files].sort((a, b) => Number(b.name === consulPaths.keyFile) - Number(a.name === consulPaths.keyFile));
}

function restartDigest(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** The ACL bootstrap's exit code, checked: anything but 0 fails the `up` with the container to look at. */
export function requireBootstrapSuccess(container: string, code: number | undefined): string {
  if (code !== undefined && code !== 0)
    throw new Error(
      `the Consul ACL bootstrap container ${container} exited with code ${code}: see \`docker logs ${container}\``,
    );
  return "ok";
}

const owner = { owner: String(CONSUL_UID), group: String(CONSUL_GID) };

function labelList(labels: Record<string, string>): docker.types.input.ContainerLabel[] {
  return Object.entries(labels).map(([label, value]) => ({ label, value }));
}

function uploads(
  dir: string,
  files: readonly RenderedFile[],
  permissions: string,
): docker.types.input.ContainerUpload[] {
  return files.map((f) => ({ file: `${dir}/${f.name}`, content: f.content, permissions, ...owner }));
}

export const consulDocker: ConsulPlatform<DockerMeshCluster> = (inputs, opts) => {
  const { name, cluster } = inputs;
  const settings = cluster.docker;
  const serverLabels = inputs.labels("consul-server");

  const network = new docker.Network(
    `${name}-network`,
    {
      name: settings.networkName,
      driver: "bridge",
      ipamConfigs: [{ subnet: settings.subnet, ipRange: settings.dynamicIpRange }],
      labels: labelList({ "lucid.mesh/cluster": cluster.name }),
    },
    opts,
  );
  // keepLocally: destroying the stack should not pull the image again on the next `up`.
  const image = new docker.RemoteImage(`${name}-image`, { name: cluster.consul.image, keepLocally: true }, opts);

  const secretUploads = pulumi.secret(inputs.secretsConfig);
  // Cluster peering: other clusters' servers dial these servers' gRPC TLS port directly on the shared WAN network,
  // at fixed addresses (consul/peering.ts). The server's own cluster-network address stays its advertised one.
  const wanNetworkName = inputs.wanNetworkName ?? DOCKER_WAN_NETWORK;
  const wanAddresses = consulServerWanAddresses(inputs.mesh, cluster);
  const servers = settings.consulServerAddresses.map((address, i) => {
    const node = consulServerNodeName(cluster, i);
    // Raft state and the ACL bootstrap live here: a destroy or a rename must not lose them unnoticed.
    const volume = new docker.Volume(
      `${name}-data-${i}`,
      { name: `${node}-data`, labels: labelList(serverLabels) },
      { ...opts, protect: true },
    );
    const serverConfig = inputs.serverConfig(i);
    // The server keeps a read-only rootfs: its files come through volumes a writer fills, so a renewed server
    // certificate replaces the writer and Consul reloads it (auto_reload_config) without a restart.
    const files = fileWriter(
      `${name}-server-${i}-files`,
      {
        containerName: `${node}-files`,
        image: image.imageId,
        owner: `${CONSUL_UID}:${CONSUL_GID}`,
        directories: [
          {
            directory: consulPaths.configDir,
            volume: `${node}-config`,
            files: [
              { path: `${consulPaths.configDir}/${consulPaths.serverConfig}`, content: serverConfig, mode: "0444" },
              { path: `${consulPaths.configDir}/${AUTO_RELOAD_FILE}`, content: AUTO_RELOAD_CONFIG, mode: "0444" },
              { path: `${consulPaths.configDir}/${consulPaths.secretsConfig}`, content: secretUploads, mode: "0400" },
            ],
          },
          {
            directory: consulPaths.tlsDir,
            volume: `${node}-tls`,
            // The key before its certificate: Consul reloads on each change and keeps the old pair on a mismatch.
            files: keyFirst(inputs.tlsFiles).map((f) => ({
              path: `${consulPaths.tlsDir}/${f.name}`,
              content: f.content,
              mode: f.name === consulPaths.keyFile ? "0400" : "0444",
            })),
          },
        ],
        labels: labelList({
          ...inputs.labels("consul-config"),
          ...secretFilesLabel([
            `${consulPaths.configDir}/${consulPaths.secretsConfig}`,
            `${consulPaths.tlsDir}/${consulPaths.keyFile}`,
          ]),
        }),
      },
      opts,
    );
    return new DockerContainer(
      `${name}-server-${i}`,
      {
        name: node,
        hostname: node,
        image: image.imageId,
        // The image's entrypoint would chown and su-exec as root; running as the consul user needs neither.
        user: `${CONSUL_UID}:${CONSUL_GID}`,
        entrypoints: ["consul"],
        command: ["agent", `-config-dir=${consulPaths.configDir}`],
        init: true,
        networksAdvanced: [
          { name: network.name, ipv4Address: address, aliases: [node] },
          { name: wanNetworkName, ipv4Address: wanAddresses[i], aliases: [node] },
        ],
        readOnly: true,
        tmpfs: { "/tmp": "rw,size=16m" },
        volumes: [{ volumeName: volume.name, containerPath: consulPaths.dataDir }, ...files.mounts],
        // Status endpoints need no ACL token; --resolve keeps hostname verification against the server name.
        healthcheck: {
          tests: [
            "CMD",
            "curl",
            "--silent",
            "--fail",
            "--cacert",
            `${consulPaths.tlsDir}/${consulPaths.caFile}`,
            "--resolve",
            `${consulServerTlsName(cluster.datacenter)}:${consulPorts.https}:127.0.0.1`,
            `https://${consulServerTlsName(cluster.datacenter)}:${consulPorts.https}/v1/status/leader`,
          ],
          interval: "10s",
          timeout: "5s",
          retries: 6,
          startPeriod: "20s",
        },
        // Only the HTTPS API, and only on loopback, and only when asked for (the first server).
        ports:
          cluster.consul.publishApiPort !== undefined && i === 0
            ? [
                {
                  internal: consulPorts.https,
                  external: cluster.consul.publishApiPort,
                  ip: "127.0.0.1",
                  protocol: "tcp",
                },
              ]
            : [],
        restart: "unless-stopped",
        capabilities: { drops: ["ALL"] },
        securityOpts: ["no-new-privileges:true"],
        privileged: false,
        memory: 512,
        // Unset, dockerd stores twice the memory as swap and every `up` would update it (daemon_unix.go).
        memorySwap: 512,
        labels: labelList({ ...serverLabels, [RESTART_DIGEST_LABEL]: restartDigest(serverConfig) }),
      },
      { ...opts, dependsOn: [files.writer], deleteBeforeReplace: true },
    );
  });

  const apiHost = settings.consulServerAddresses[0] ?? "127.0.0.1";
  const aclInitName = `${cluster.name}-consul-acl-init`;
  const aclInit = new OneShotDockerContainer(
    `${name}-acl-init`,
    {
      name: aclInitName,
      image: image.imageId,
      user: `${CONSUL_UID}:${CONSUL_GID}`,
      entrypoints: ["/bin/sh"],
      command: [`${aclInitPaths.configDir}/${aclInitPaths.script}`],
      networksAdvanced: [{ name: network.name, ipv4Address: settings.aclBootstrapAddress }],
      uploads: [
        ...uploads(aclInitPaths.configDir, inputs.aclInit.config, "0444"),
        ...uploads(aclInitPaths.tokensDir, inputs.aclInit.tokens, "0400"),
        ...uploads(
          consulPaths.tlsDir,
          inputs.tlsFiles.filter((f) => f.name === consulPaths.caFile),
          "0444",
        ),
      ],
      // A one-shot: Pulumi waits for it to exit, so consumers of the cluster find the tokens in place.
      mustRun: false,
      attach: true,
      logs: true,
      restart: "no",
      capabilities: { drops: ["ALL"] },
      securityOpts: ["no-new-privileges:true"],
      labels: labelList({
        ...inputs.labels("consul-acl-init"),
        ...secretFilesLabel(inputs.aclInit.tokens.map((t) => `${aclInitPaths.tokensDir}/${t.name}`)),
      }),
    },
    { ...opts, dependsOn: servers },
  );

  const esmImage = new docker.RemoteImage(`${name}-esm-image`, { name: CONSUL_ESM_IMAGE, keepLocally: true }, opts);
  const esm = new DockerContainer(
    `${name}-esm`,
    {
      name: dockerConsulEsmContainerName(cluster.name),
      image: esmImage.imageId,
      command: [`-config-dir=${esmPaths.configDir}`],
      networksAdvanced: [{ name: network.name, ipv4Address: settings.consulEsmAddress }],
      uploads: [
        { file: `${esmPaths.configDir}/${esmPaths.config}`, content: inputs.esm.config, permissions: "0444" },
        {
          file: `${esmPaths.configDir}/${esmPaths.token}`,
          content: pulumi.secret(inputs.esm.token),
          permissions: "0444",
        },
        ...inputs.tlsFiles
          .filter((f) => f.name === consulPaths.caFile)
          .map((f) => ({ file: esmPaths.caFile, content: f.content, permissions: "0444" })),
      ],
      restart: "unless-stopped",
      capabilities: { drops: ["ALL"] },
      securityOpts: ["no-new-privileges:true"],
      memory: 128,
      memorySwap: 128,
      // consul-esm needs the token the bootstrap wrote, and the provider never checks a one-shot's exit code
      // (resourceDockerContainerCreate waits for `attach` and reads exit_code, nothing more): fail here instead.
      envs: [aclInit.exitCode.apply((code) => `LUCID_ACL_BOOTSTRAP=${requireBootstrapSuccess(aclInitName, code)}`)],
      labels: labelList({
        ...inputs.labels("consul-esm"),
        ...secretFilesLabel([`${esmPaths.configDir}/${esmPaths.token}`]),
      }),
    },
    { ...opts, dependsOn: [aclInit] },
  );

  const apiAddress =
    cluster.consul.publishApiPort !== undefined
      ? pulumi.output(`https://127.0.0.1:${cluster.consul.publishApiPort}`)
      : pulumi.output(`https://${apiHost}:${consulPorts.https}`);
  return { apiAddress, ready: [...servers, aclInit, esm], serving: [...servers, aclInit, esm] };
};
