/**
 * The Consul applier on Kubernetes: a ConfigMap (payload, script, CA), a Secret (the token header) and a
 * one-replica Deployment running the script from the Consul image (curl and jq) under the restricted pod security.
 * The pod template carries a digest of payload and script, so a change rolls the pod; `Recreate` stops the old
 * applier first (it would prune what the new payload adds). The readiness probe passes once a pass was accepted
 * and prints Consul's refusal otherwise, so the `up` (which waits for the Deployment to be ready) fails with it.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { applierHealthCommand, applierPaths } from "../../consul/applier";
import { CONSUL_GID, CONSUL_UID } from "../../consul/names";
import { meshLabels } from "../labels";
import { restrictedContainerSecurity, restrictedPodSecurity } from "./podSecurity";
import type { ConsulApplierSpec } from "./types";

export const APPLIER_K8S_NAME = "consul-applier";
/** Pod template annotation: a changed payload or script rolls the pod. */
export const APPLIER_DIGEST_ANNOTATION = "lucid.mesh/applier-digest";

export interface KubernetesApplierPlatform {
  readonly provider: k8s.Provider;
  readonly namespace: pulumi.Input<string>;
}

export function kubernetesConsulApplier(
  name: string,
  spec: ConsulApplierSpec,
  platform: KubernetesApplierPlatform,
  parent: pulumi.Resource,
): pulumi.Resource[] {
  const { cluster } = spec;
  const opts = { parent, provider: platform.provider, dependsOn: spec.dependsOn };
  const labels = meshLabels("consul-applier", cluster.name);
  const metadata = { name: APPLIER_K8S_NAME, namespace: platform.namespace, labels };
  const configMap = new k8s.core.v1.ConfigMap(
    `${name}-files`,
    {
      metadata,
      data: {
        [applierPaths.payload]: spec.payload,
        [applierPaths.script]: spec.script,
        [applierPaths.caFile]: spec.caPem,
      },
    },
    opts,
  );
  const secret = new k8s.core.v1.Secret(
    `${name}-token`,
    { metadata, type: "Opaque", stringData: { [applierPaths.tokenHeader]: spec.tokenHeader } },
    opts,
  );
  const selector = { "app.kubernetes.io/name": APPLIER_K8S_NAME, "lucid.mesh/cluster": cluster.name };
  const deployment = new k8s.apps.v1.Deployment(
    name,
    {
      metadata,
      spec: {
        replicas: 1,
        strategy: { type: "Recreate" },
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: { ...labels, ...selector }, annotations: { [APPLIER_DIGEST_ANNOTATION]: spec.digest } },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurity({ uid: CONSUL_UID, gid: CONSUL_GID }),
            containers: [
              {
                name: "applier",
                image: cluster.consul.image,
                command: ["/bin/sh", `${applierPaths.dir}/${applierPaths.script}`],
                securityContext: restrictedContainerSecurity(CONSUL_UID, CONSUL_GID),
                resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
                readinessProbe: {
                  exec: { command: applierHealthCommand() },
                  periodSeconds: 5,
                  timeoutSeconds: 3,
                },
                volumeMounts: [
                  { name: "files", mountPath: applierPaths.dir, readOnly: true },
                  { name: "tmp", mountPath: "/tmp" },
                ],
              },
            ],
            volumes: [
              {
                name: "files",
                projected: {
                  sources: [{ configMap: { name: APPLIER_K8S_NAME } }, { secret: { name: APPLIER_K8S_NAME } }],
                  defaultMode: 0o440,
                },
              },
              { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
            ],
          },
        },
      },
    },
    { ...opts, dependsOn: [...spec.dependsOn, configMap, secret] },
  );
  return [configMap, secret, deployment];
}
