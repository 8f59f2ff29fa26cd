/** Kubernetes: the API server, kubelet, and the Kubernetes provider (pulumi/pulumi-kubernetes). */
import { runtimeRegistrars } from "../catalog";
import type { ModelArgs, ProviderModel } from "../recorder";
import { digest, echo, stableUuid } from "../modelKit";
import type { SystemModel } from "../system";
import { catalogSyncRegistrations } from "./catalogSync";
import { teamWorkloadsDestroyed } from "./destroy";
import { undefinedVariables } from "./expansion";
import { unreadableFiles } from "./fileAccess";
import { unreachableAddresses } from "./reachability";
import { autoReloadOnSymlinks, tlsFilesNeverWritten } from "./serverReload";

/** Kubernetes auto-names objects without metadata.name: name plus a suffix. */
const kubernetesObject = echo((args: ModelArgs) => {
  const metadata = (args.inputs.metadata ?? {}) as Record<string, unknown>;
  const name =
    typeof metadata.name === "string" ? metadata.name : `${args.name}-${digest(args.type, args.name).slice(0, 8)}`;
  const out: Record<string, unknown> = {
    metadata: { ...metadata, name, namespace: metadata.namespace ?? "default", uid: stableUuid(args.type, args.name) },
  };
  if (args.type === "kubernetes:core/v1:Service") {
    // The API server picks a cluster IP from the service CIDR unless the spec names one.
    const spec = (args.inputs.spec ?? {}) as Record<string, unknown>;
    // Seeded by the object, not the Pulumi stack (which the API server never sees): a cluster's objects get the same
    // addresses whether one stack declares the whole mesh or a split mesh's cluster stack declares them.
    const h = digest(args.type, args.name);
    out.spec = {
      ...spec,
      clusterIP: spec.clusterIP ?? `10.96.${parseInt(h.slice(0, 2), 16)}.${parseInt(h.slice(2, 4), 16) || 1}`,
    };
    // A LoadBalancer gets the address bound through loadBalancerIP, else one the cloud picks (Pulumi waits for it).
    if (spec.type === "LoadBalancer") {
      const ip =
        typeof spec.loadBalancerIP === "string"
          ? spec.loadBalancerIP
          : `203.0.113.${(parseInt(h.slice(4, 6), 16) % 254) + 1}`;
      out.status = { loadBalancer: { ingress: [{ ip }] } };
    }
  }
  return out;
});

export const kubernetesProviderModels: Record<string, ProviderModel> = Object.fromEntries(
  [
    "kubernetes:core/v1:ConfigMap",
    "kubernetes:core/v1:Secret",
    "kubernetes:core/v1:Service",
    "kubernetes:core/v1:Namespace",
    "kubernetes:core/v1:ServiceAccount",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:DeploymentPatch",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:policy/v1:PodDisruptionBudget",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
  ].map((type) => [type, kubernetesObject]),
);

export const kubernetesSystem: SystemModel = {
  system: "kubernetes",
  check: (deployment) => [
    ...unreadableFiles(deployment.resources),
    ...unreachableAddresses(deployment),
    ...teamWorkloadsDestroyed(deployment.resources),
    ...autoReloadOnSymlinks(deployment.resources),
    ...tlsFilesNeverWritten(deployment.resources),
    ...undefinedVariables(deployment.resources),
  ],
};

// consul-k8s catalog sync registers pods at run time; the Consul model reads them through simulate/catalog.ts.
runtimeRegistrars.push(catalogSyncRegistrations);
