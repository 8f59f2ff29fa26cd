/** Every file of one sidecar except SDS: its bytes depend only on its service, upstreams and intentions. */
import { findService, type Mesh, type ServiceInstance } from "../model/mesh";
import { envoyFiles } from "../model/names";
import type { Bootstrap, Cluster, Listener, Secret } from "./types";
import { edgeCertificateSecret } from "./sds";
import { sidecarBootstrap } from "./bootstrap/sidecar";
import { sidecarListeners } from "./listener";
import { upstreamClusters } from "./cluster/upstream";
import { discoveryFile, type DiscoveryFile } from "./resources";
import { toYaml } from "../model/yaml";

export interface EnvoyConfigObjects {
  readonly bootstrap: Bootstrap;
  readonly listeners: DiscoveryFile<Listener>;
  readonly clusters: DiscoveryFile<Cluster>;
  /** Edge services with a user-supplied certificate only: the SDS file naming it. */
  readonly edgeCertificate?: DiscoveryFile<Secret>;
}

export function sidecarConfig(mesh: Mesh, instance: ServiceInstance): EnvoyConfigObjects {
  return {
    bootstrap: sidecarBootstrap(mesh, instance),
    listeners: discoveryFile(sidecarListeners(mesh, instance)),
    clusters: discoveryFile(upstreamClusters(mesh, instance)),
    ...(findService(mesh, instance.service).edge?.certificate ? { edgeCertificate: edgeCertificateSecret() } : {}),
  };
}

export function configFiles(config: EnvoyConfigObjects): Record<string, string> {
  return {
    [envoyFiles.bootstrap]: toYaml(config.bootstrap),
    [envoyFiles.listeners]: toYaml(config.listeners),
    [envoyFiles.clusters]: toYaml(config.clusters),
    ...(config.edgeCertificate ? { [envoyFiles.edgeCertificateSds]: toYaml(config.edgeCertificate) } : {}),
  };
}

export function sidecarFiles(mesh: Mesh, instance: ServiceInstance): Record<string, string> {
  return configFiles(sidecarConfig(mesh, instance));
}
