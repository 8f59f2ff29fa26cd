/**
 * Publishing an edge service's public listener: the only platform wiring the edge needs, kept in one place so the
 * Docker and Kubernetes platforms each call it in one line.
 */
import type * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { envoyFiles, type MeshService } from "../../model";
import { meshLabels } from "../labels";

/**
 * Docker: the edge port on 127.0.0.1 of the host only, on the container that holds the workload's network
 * namespace (the sidecar shares it and listens there). None for a service without an edge.
 */
export function dockerEdgePorts(service: MeshService): docker.types.input.ContainerPort[] {
  if (!service.edge) return [];
  return [{ internal: service.edge.port, external: service.edge.hostPort, ip: "127.0.0.1", protocol: "tcp" }];
}

/** Kubernetes: a `<service>-edge` Service of the configured type, exposing only the edge port of the sidecars. */
export function kubernetesEdgeService(
  name: string,
  service: MeshService,
  cluster: string,
  namespace: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Service | undefined {
  const edge = service.edge;
  if (!edge) return undefined;
  return new k8s.core.v1.Service(
    name,
    {
      metadata: { name: `${service.name}-edge`, namespace, labels: meshLabels("sidecar", cluster, service.name) },
      spec: {
        type: edge.serviceType,
        selector: { "lucid.mesh/role": "sidecar", "lucid.mesh/service": service.name },
        ports: [{ name: "edge", port: edge.port, targetPort: edge.port, protocol: "TCP" }],
      },
    },
    opts,
  );
}

const EDGE_CERTIFICATE_VOLUME = "edge-certificate";

/** Docker: a user-supplied edge certificate's host directory, read-only where the edge SDS file points. */
export function dockerEdgeCertificateVolumes(service: MeshService): docker.types.input.ContainerVolume[] {
  const hostPath = service.edge?.certificate?.dockerHostPath;
  if (!hostPath) return [];
  return [{ hostPath, containerPath: envoyFiles.edgeCertificateDirectory, readOnly: true }];
}

/**
 * Kubernetes: mounts a user-supplied edge certificate's `kubernetes.io/tls` Secret into the Envoy container where
 * the edge SDS file points; the container and volumes are returned unchanged for any other service.
 */
export function withKubernetesEdgeCertificate(
  service: MeshService,
  envoy: k8s.types.input.core.v1.Container,
  volumes: k8s.types.input.core.v1.Volume[],
): { envoy: k8s.types.input.core.v1.Container; volumes: k8s.types.input.core.v1.Volume[] } {
  const secretName = service.edge?.certificate?.kubernetesSecret;
  if (!secretName) return { envoy, volumes };
  const mount = { name: EDGE_CERTIFICATE_VOLUME, mountPath: envoyFiles.edgeCertificateDirectory, readOnly: true };
  return {
    envoy: { ...envoy, volumeMounts: pulumi.output(envoy.volumeMounts ?? []).apply((m) => [...(m ?? []), mount]) },
    volumes: [...volumes, { name: EDGE_CERTIFICATE_VOLUME, secret: { secretName, defaultMode: 0o440 } }],
  };
}
