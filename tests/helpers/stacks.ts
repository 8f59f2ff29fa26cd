/** The repo's own stack files, as raw config and as resolved meshes, for tests. */
import * as path from "node:path";
import { meshConfigValue, readStackFile } from "../../model/stackFile";
import {
  parseMeshConfig,
  type DockerClusterSettings,
  type KubernetesClusterSettings,
  type Mesh,
  type MeshCluster,
} from "../../model";

export const PROJECT_DIR = path.resolve(__dirname, "..", "..");

/** A fresh deep copy of a stack's raw `lucid-mesh:mesh` value, safe to mutate in a test. */
export function rawMeshConfig(stack: "dev" | "prod"): Record<string, unknown> {
  return structuredClone(meshConfigValue(readStackFile(PROJECT_DIR, stack))) as Record<string, unknown>;
}

export function stackMesh(stack: "dev" | "prod"): Mesh {
  return parseMeshConfig(rawMeshConfig(stack));
}

/** Parses and returns the error message, failing the test if parsing succeeds. */
export function configError(raw: unknown): string {
  try {
    parseMeshConfig(raw);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the config to be rejected, but it parsed");
}

/** A cluster's Docker settings; fails the test when it runs on another platform. */
export function dockerSettings(cluster: MeshCluster): DockerClusterSettings {
  if (cluster.platform !== "docker") throw new Error(`${cluster.name} is not a Docker cluster`);
  return cluster.docker;
}

/** A cluster's Kubernetes settings; fails the test when it runs on another platform. */
export function kubernetesSettings(cluster: MeshCluster): KubernetesClusterSettings {
  if (cluster.platform !== "kubernetes") throw new Error(`${cluster.name} is not a Kubernetes cluster`);
  return cluster.kubernetes;
}
