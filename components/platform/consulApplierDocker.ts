/**
 * The Consul applier on Docker: a writer fills a volume with the payload, the script, the CA and the token header
 * (dockerFileWriter.ts), and the applier runs the script from the Consul image (curl and jq) with a read-only rootfs.
 * A changed payload replaces the writer and, through the digest label, the applier, so the `up` waits (`wait`)
 * until the new payload's first pass was accepted; while Consul refuses, the health check prints its message.
 */
import type * as docker from "@pulumi/docker";
import { DockerContainer } from "./dockerContainer";
import type * as pulumi from "@pulumi/pulumi";
import { applierHealthCommand, applierPaths, APPLIER_PERIOD_SECONDS } from "../../consul/applier";
import { CONSUL_GID, CONSUL_UID, dockerClusterNetworkName } from "../../consul/names";
import { dockerLabels, meshLabels, secretFilesLabel } from "../labels";
import { RESTART_DIGEST_LABEL } from "./docker";
import { fileWriter } from "./dockerFileWriter";
import type { ConsulApplierSpec } from "./types";

export interface DockerApplierPlatform {
  readonly provider: docker.Provider;
  /** Pulls an image once per cluster and returns its ID. */
  readonly image: (reference: string) => pulumi.Input<string>;
}

export function dockerConsulApplier(
  name: string,
  spec: ConsulApplierSpec,
  platform: DockerApplierPlatform,
  parent: pulumi.Resource,
): pulumi.Resource[] {
  const { cluster } = spec;
  const opts = { parent, provider: platform.provider, dependsOn: spec.dependsOn };
  const image = platform.image(cluster.consul.image);
  const labels = meshLabels("consul-applier", cluster.name);
  const path = (file: string): string => `${applierPaths.dir}/${file}`;
  const containerName = `${cluster.name}-consul-applier`;
  const files = fileWriter(
    `${name}-files`,
    {
      containerName: `${containerName}-files`,
      image,
      owner: `${CONSUL_UID}:${CONSUL_GID}`,
      directories: [
        {
          directory: applierPaths.dir,
          volume: `${containerName}-files`,
          files: [
            { path: path(applierPaths.caFile), content: spec.caPem, mode: "0444" },
            { path: path(applierPaths.tokenHeader), content: spec.tokenHeader, mode: "0400" },
            { path: path(applierPaths.script), content: spec.script, mode: "0444" },
            { path: path(applierPaths.payload), content: spec.payload, mode: "0444" },
          ],
        },
      ],
      labels: dockerLabels({ ...labels, ...secretFilesLabel([path(applierPaths.tokenHeader)]) }),
    },
    opts,
  );
  const applier = new DockerContainer(
    name,
    {
      name: containerName,
      image,
      user: `${CONSUL_UID}:${CONSUL_GID}`,
      entrypoints: ["/bin/sh"],
      command: [path(applierPaths.script)],
      networksAdvanced: [{ name: dockerClusterNetworkName(cluster.name) }],
      volumes: files.mounts,
      readOnly: true,
      tmpfs: { "/tmp": "rw,size=16m" },
      restart: "unless-stopped",
      capabilities: { drops: ["ALL"] },
      securityOpts: ["no-new-privileges:true"],
      memory: 32,
      memorySwap: 32,
      // The provider fails the `up` unless the container turns healthy in time: the first pass must be accepted.
      wait: true,
      waitTimeout: APPLIER_PERIOD_SECONDS * 2,
      healthcheck: {
        tests: ["CMD", ...applierHealthCommand()],
        interval: "5s",
        timeout: "3s",
        retries: 3,
        startPeriod: "10s",
      },
      labels: spec.digest.apply((digest) => dockerLabels({ ...labels, [RESTART_DIGEST_LABEL]: digest })),
    },
    // One applier at a time: the old one would prune what the new payload adds.
    { ...opts, dependsOn: [...spec.dependsOn, files.writer], deleteBeforeReplace: true },
  );
  return [files.writer, applier];
}
