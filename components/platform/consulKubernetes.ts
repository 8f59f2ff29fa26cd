/**
 * Consul on Kubernetes: a restricted Namespace, a StatefulSet behind a headless Service, a ClusterIP Service at
 * the reserved DNS address, a LoadBalancer for peering (gRPC TLS only, when there are peers), a
 * PodDisruptionBudget, the config split between a ConfigMap (no secrets) and Secrets, consul-esm, and the ACL
 * bootstrap Job. The objects come from the pure builders in consulKubernetesObjects.ts; this only wires them.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { consulK8sNames as names, consulPaths, consulPorts, esmPaths } from "../../consul/names";
import { deployCatalogSync } from "./catalogSync";
import {
  aclInitJobSpec,
  apiServiceSpec,
  configMapSpec,
  dnsServiceSpec,
  esmDeploymentSpec,
  headlessServiceSpec,
  namespaceSpec,
  objectMeta,
  opaqueSecretSpec,
  peeringServiceSpec,
  podDisruptionBudgetSpec,
  restartChecksum,
  serverConfigMapSpec,
  serverStatefulSetSpec,
  serviceAccountSpec,
  type ConsulObjectsContext,
} from "./consulKubernetesObjects";
import { configChecksum } from "./configChecksum";
import type { ConsulPlatform, RenderedFile } from "./consulTypes";
import type { KubernetesMeshCluster } from "../../model";
import { boundAddress } from "./kubernetes";

function fileMap(files: readonly RenderedFile[]): Record<string, pulumi.Input<string>> {
  return Object.fromEntries(files.map((f) => [f.name, f.content]));
}

export const consulKubernetes: ConsulPlatform<KubernetesMeshCluster> = (inputs, opts) => {
  const { name, cluster } = inputs;
  const settings = cluster.kubernetes;
  const ctx: ConsulObjectsContext = {
    clusterName: cluster.name,
    namespace: settings.namespace,
    image: cluster.consul.image,
    serverLabels: inputs.labels("consul-server"),
    esmLabels: inputs.labels("consul-esm"),
  };
  const serverJson = inputs.serverConfig("all");

  const ns = new k8s.core.v1.Namespace(`${name}-namespace`, namespaceSpec(cluster.name, settings.namespace), opts);
  const nsOpts = { ...opts, dependsOn: [ns] };

  const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-service-account`, serviceAccountSpec(ctx), nsOpts);
  const config = new k8s.core.v1.ConfigMap(`${name}-config`, serverConfigMapSpec(ctx, serverJson), nsOpts);
  const secrets = new k8s.core.v1.Secret(
    `${name}-secrets`,
    opaqueSecretSpec(objectMeta(ctx, names.secrets), { [consulPaths.secretsConfig]: inputs.secretsConfig }),
    nsOpts,
  );
  const tls = new k8s.core.v1.Secret(
    `${name}-tls`,
    opaqueSecretSpec(objectMeta(ctx, names.tls), fileMap(inputs.tlsFiles)),
    nsOpts,
  );
  const headless = new k8s.core.v1.Service(`${name}-headless`, headlessServiceSpec(ctx), nsOpts);
  const service = new k8s.core.v1.Service(`${name}-service`, dnsServiceSpec(ctx, settings.consulDnsIP), nsOpts);
  // The provider waits for a LoadBalancer's ingress, so no peering token names the address before the cloud has
  // bound it.
  const peering: pulumi.Resource[] =
    inputs.mesh.clusters.length > 1
      ? [
          new k8s.core.v1.Service(
            `${name}-peering`,
            peeringServiceSpec(ctx, boundAddress(cluster.consul.peeringAddress ?? "")),
            nsOpts,
          ),
        ]
      : [];
  const apiService = new k8s.core.v1.Service(
    `${name}-api`,
    apiServiceSpec(ctx, settings.consulApiAddress, settings.consulApiAnnotations),
    nsOpts,
  );

  const statefulSet = new k8s.apps.v1.StatefulSet(
    `${name}-statefulset`,
    serverStatefulSetSpec(ctx, {
      replicas: cluster.consul.servers,
      storageGi: cluster.consul.storageGi,
      storageClass: settings.storageClass,
      checksum: restartChecksum(serverJson),
    }),
    { ...nsOpts, dependsOn: [ns, serviceAccount, config, secrets, tls, headless] },
  );
  const pdb = new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, podDisruptionBudgetSpec(ctx), nsOpts);

  const aclInitConfig = new k8s.core.v1.ConfigMap(
    `${name}-acl-init-config`,
    configMapSpec(objectMeta(ctx, names.aclInit), fileMap(inputs.aclInit.config)),
    nsOpts,
  );
  const aclInitSecrets = new k8s.core.v1.Secret(
    `${name}-acl-init-tokens`,
    opaqueSecretSpec(objectMeta(ctx, names.aclInitSecrets), fileMap(inputs.aclInit.tokens)),
    nsOpts,
  );
  const aclInitChecksum = pulumi
    .all(inputs.aclInit.config.map((f) => f.content))
    .apply((contents) => configChecksum(inputs.aclInit.config.map((f, i) => `${f.name}\0${contents[i] ?? ""}`)));
  const aclInit = new k8s.batch.v1.Job(`${name}-acl-init`, aclInitJobSpec(ctx, aclInitChecksum), {
    ...nsOpts,
    dependsOn: [statefulSet, service, aclInitConfig, aclInitSecrets],
  });

  const esmConfig = new k8s.core.v1.ConfigMap(
    `${name}-esm-config`,
    configMapSpec(objectMeta(ctx, names.esmConfig, ctx.esmLabels), { [esmPaths.config]: inputs.esm.config }),
    nsOpts,
  );
  const esmSecret = new k8s.core.v1.Secret(
    `${name}-esm-token`,
    opaqueSecretSpec(objectMeta(ctx, names.esmSecrets, ctx.esmLabels), { [esmPaths.token]: inputs.esm.token }),
    nsOpts,
  );
  const esm = new k8s.apps.v1.Deployment(`${name}-esm`, esmDeploymentSpec(ctx), {
    ...nsOpts,
    dependsOn: [aclInit, esmConfig, esmSecret],
  });

  const catalogSync = inputs.catalogSyncToken
    ? deployCatalogSync(
        {
          name,
          mesh: inputs.mesh,
          cluster,
          namespace: settings.namespace,
          labels: inputs.labels("consul-catalog-sync"),
          token: inputs.catalogSyncToken,
          caSecretName: names.tls,
          caKey: consulPaths.caFile,
        },
        { ...opts, dependsOn: [aclInit] },
      )
    : [];

  // The reserved address, bound to the API LoadBalancer: distinct per cluster and in the server certificate.
  const apiAddress = pulumi.output(`https://${settings.consulApiAddress}:${consulPorts.https}`);
  return {
    apiAddress,
    ready: [statefulSet, pdb, aclInit, esm, apiService, ...peering, ...catalogSync],
    // The DNS Service too: Envoy resolves upstreams through it from its first second.
    serving: [statefulSet, service, aclInit, esm],
  };
};
