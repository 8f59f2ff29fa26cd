/** Every file of one sidecar except SDS: its bytes depend only on its service, upstreams and intentions. */
import type { Mesh, ServiceInstance } from "../model/mesh";
import { envoyFiles } from "../model/names";
import type { Bootstrap, Cluster, Listener } from "./types";
import { sidecarBootstrap } from "./bootstrap/sidecar";
import { sidecarListeners } from "./listener";
import { upstreamClusters } from "./cluster/upstream";
import { discoveryFile, type DiscoveryFile } from "./resources";
import { toYaml } from "../model/yaml";

export interface EnvoyConfigObjects {
  readonly bootstrap: Bootstrap;
  readonly listeners: DiscoveryFile<Listener>;
  readonly clusters: DiscoveryFile<Cluster>;
}

export function sidecarConfig(mesh: Mesh, instance: ServiceInstance): EnvoyConfigObjects {
  return {
    bootstrap: sidecarBootstrap(mesh, instance),
    listeners: discoveryFile(sidecarListeners(mesh, instance)),
    clusters: discoveryFile(upstreamClusters(mesh, instance)),
  };
}

export function configFiles(config: EnvoyConfigObjects): Record<string, string> {
  return {
    [envoyFiles.bootstrap]: toYaml(config.bootstrap),
    [envoyFiles.listeners]: toYaml(config.listeners),
    [envoyFiles.clusters]: toYaml(config.clusters),
  };
}

export function sidecarFiles(mesh: Mesh, instance: ServiceInstance): Record<string, string> {
  return configFiles(sidecarConfig(mesh, instance));
}
