/**
 * Consul on Docker: one network per cluster, a pinned image, N server containers at fixed addresses (on the
 * cluster network and, for peering, on the shared WAN network) with their own data volumes, consul-esm, and the
 * one-shot ACL bootstrap container.
 */
import * as docker from "@pulumi/docker";
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
  dockerClusterNetworkName,
  esmPaths,
} from "../../consul/names";
import { DOCKER_WAN_NETWORK, consulServerTlsName, consulServerWanAddresses } from "../../model";
import type { ConsulPlatform, RenderedFile } from "./consulTypes";

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

export const consulDocker: ConsulPlatform = (inputs, opts) => {
  const { name, cluster } = inputs;
  const settings = cluster.docker;
  if (!settings) throw new Error(`cluster ${cluster.name}: consulDocker needs docker settings`);
  const serverLabels = inputs.labels("consul-server");

  const network = new docker.Network(
    `${name}-network`,
    {
      name: dockerClusterNetworkName(cluster),
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
    const volume = new docker.Volume(
      `${name}-data-${i}`,
      { name: `${node}-data`, labels: labelList(serverLabels) },
      opts,
    );
    return new docker.Container(
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
        volumes: [{ volumeName: volume.name, containerPath: consulPaths.dataDir }],
        uploads: [
          {
            file: `${consulPaths.configDir}/${consulPaths.serverConfig}`,
            content: inputs.serverConfig(i),
            permissions: "0444",
            ...owner,
          },
          {
            file: `${consulPaths.configDir}/${consulPaths.secretsConfig}`,
            content: secretUploads,
            permissions: "0400",
            ...owner,
          },
          ...uploads(consulPaths.tlsDir, inputs.tlsFiles, "0400"),
        ],
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
        labels: labelList({
          ...serverLabels,
          ...secretFilesLabel([
            `${consulPaths.configDir}/${consulPaths.secretsConfig}`,
            `${consulPaths.tlsDir}/${consulPaths.keyFile}`,
          ]),
        }),
      },
      opts,
    );
  });

  const apiHost = settings.consulServerAddresses[0] ?? "127.0.0.1";
  const aclInit = new docker.Container(
    `${name}-acl-init`,
    {
      name: `${cluster.name}-consul-acl-init`,
      image: image.imageId,
      user: `${CONSUL_UID}:${CONSUL_GID}`,
      entrypoints: ["/bin/sh"],
      command: [`${aclInitPaths.configDir}/${aclInitPaths.script}`],
      networksAdvanced: [{ name: network.name }],
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
        ...serverLabels,
        ...secretFilesLabel(inputs.aclInit.tokens.map((t) => `${aclInitPaths.tokensDir}/${t.name}`)),
      }),
    },
    { ...opts, dependsOn: servers },
  );

  const esmImage = new docker.RemoteImage(`${name}-esm-image`, { name: CONSUL_ESM_IMAGE, keepLocally: true }, opts);
  const esm = new docker.Container(
    `${name}-esm`,
    {
      name: `${cluster.name}-consul-esm`,
      image: esmImage.imageId,
      command: [`-config-dir=${esmPaths.configDir}`],
      networksAdvanced: [{ name: network.name }],
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
  return { apiAddress, ready: [...servers, aclInit, esm] };
};
