/**
 * The programs of a split mesh's stacks (docs/split-stacks.md): the root CA, one cluster, one peering. They share
 * the mesh model and read each other's outputs through StackReferences, by the names in `SPLIT_OUTPUTS`.
 *
 * Order (deploy/plan.ts): a new cluster stack first declares only its intermediate key and CSR; the root stack signs
 * every CSR it can read; each cluster stack then declares its cluster with that certificate; the peering stacks
 * last. Private keys never cross a stack: the root key stays in the root stack, an intermediate key in its cluster's.
 */
import * as consul from "@pulumi/consul";
import * as pulumi from "@pulumi/pulumi";
import type { Mesh } from "../model";
import { MeshCertificateAuthority } from "./certificateAuthority";
import { peerClusters } from "./consulConfig";
import { LucidMesh } from "./lucidMesh";
import { splitRootDockerWanNetwork } from "./platform/clusterPlatform";
import type { Pace } from "./pacing";
import {
  clusterStackName,
  rootStackName,
  SPLIT_OUTPUT_NAMES as SPLIT_OUTPUTS,
  type StackPart,
} from "../model/stackParts";

export { SPLIT_OUTPUTS };

/** What the root stack signed for one cluster. */
export interface SignedIntermediate {
  readonly certPem: string;
  readonly csrPem: string;
}

/** How a peering stack reaches a cluster's Consul. */
export interface ConsulApiOutput {
  readonly address: string;
  readonly datacenter: string;
  readonly caPem: string;
}

/** A StackReference by the bare stack name: the current project's stack, on any backend. */
function reference(stack: string): pulumi.StackReference {
  return new pulumi.StackReference(stack, { name: stack });
}

/** An output read now (a plain value, or undefined when the stack has not exported it yet). */
async function readNow<T>(ref: pulumi.StackReference, name: string): Promise<T | undefined> {
  const details = await ref.getOutputDetails(name);
  return (details.value ?? details.secretValue) as T | undefined;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The root stack: the root CA signs each cluster's CSR it can read, and the shared Docker WAN network. */
export async function runRootStack(env: string, mesh: Mesh): Promise<Record<string, unknown>> {
  const csrs = new Map<string, string>();
  for (const cluster of mesh.clusters.map((c) => c.name).sort(byName)) {
    const csr = await readNow<string>(reference(clusterStackName(env, cluster)), SPLIT_OUTPUTS.intermediateCsrPem);
    if (typeof csr === "string" && csr !== "") csrs.set(cluster, csr);
  }
  const ca = new MeshCertificateAuthority("lucid", { mesh, part: { role: "root", intermediateCsrs: csrs } });
  const intermediates = Object.fromEntries(
    [...csrs].map(([cluster, csrPem]) => [
      cluster,
      ca.intermediateCertPem(cluster).apply((certPem): SignedIntermediate => ({ certPem, csrPem })),
    ]),
  );
  const wan = splitRootDockerWanNetwork(mesh);
  return {
    [SPLIT_OUTPUTS.rootCertPem]: ca.rootCertPem,
    [SPLIT_OUTPUTS.intermediates]: intermediates,
    ...(wan ? { [SPLIT_OUTPUTS.dockerWanNetwork]: wan } : {}),
    caCertificate: ca.trustBundlePem,
  };
}

export interface ClusterStackOptions {
  readonly pace?: Pace;
}

/** A cluster stack: its key and CSR; once the root has signed the CSR, the whole cluster. */
export async function runClusterStack(
  env: string,
  mesh: Mesh,
  cluster: string,
  options: ClusterStackOptions = {},
): Promise<Record<string, unknown>> {
  const root = reference(rootStackName(env));
  const rootCertPem = await readNow<string>(root, SPLIT_OUTPUTS.rootCertPem);
  const signed = (await readNow<Record<string, SignedIntermediate>>(root, SPLIT_OUTPUTS.intermediates))?.[cluster];
  const wanNetworkName = await readNow<string>(root, SPLIT_OUTPUTS.dockerWanNetwork);
  const ready = rootCertPem !== undefined && signed !== undefined;
  const lucidMesh = new LucidMesh("lucid", {
    mesh,
    pace: options.pace,
    part: {
      cluster,
      ca: {
        role: "cluster",
        cluster,
        rootCertPem: rootCertPem ?? "",
        ...(ready ? { intermediateCertPem: signed.certPem, signedCsrPem: signed.csrPem } : {}),
      },
      ...(wanNetworkName !== undefined ? { wanNetworkName } : {}),
    },
  });
  await lucidMesh.declared;
  const csr = lucidMesh.ca.intermediateCsrPem;
  if (!ready) {
    void pulumi.log.info(`waiting for the root stack ${rootStackName(env)} to sign this cluster's intermediate CSR`);
    return { [SPLIT_OUTPUTS.intermediateCsrPem]: csr, [SPLIT_OUTPUTS.awaitingSignature]: true };
  }
  const serviceMesh = lucidMesh.clusters[cluster];
  if (!serviceMesh) throw new Error(`cluster ${cluster} was not declared`);
  const consulCluster = serviceMesh.consul;
  return {
    [SPLIT_OUTPUTS.intermediateCsrPem]: csr,
    [SPLIT_OUTPUTS.awaitingSignature]: false,
    [SPLIT_OUTPUTS.consulApi]: pulumi
      .all([consulCluster.apiAddress, consulCluster.caPem])
      .apply(([address, caPem]): ConsulApiOutput => ({ address, datacenter: serviceMesh.cluster.datacenter, caPem })),
    [SPLIT_OUTPUTS.consulToken]: pulumi.secret(consulCluster.bootstrapToken),
    clusters: lucidMesh.clusterOutputs(),
    caCertificate: lucidMesh.ca.trustBundlePem,
    certificateInventory: lucidMesh.ca.inventory,
  };
}

/** A peering stack: the peering token from the first cluster (by name), established by the second. */
export async function runPeeringStack(
  env: string,
  mesh: Mesh,
  pair: readonly [string, string],
): Promise<Record<string, unknown>> {
  const sides = await Promise.all(
    pair.map(async (name) => {
      const cluster = mesh.clusters.find((c) => c.name === name);
      if (!cluster) throw new Error(`unknown cluster ${name}`);
      const ref = reference(clusterStackName(env, name));
      const api = await readNow<ConsulApiOutput>(ref, SPLIT_OUTPUTS.consulApi);
      if (api === undefined) {
        throw new pulumi.RunError(
          `stack ${clusterStackName(env, name)} exports no ${SPLIT_OUTPUTS.consulApi}: its cluster is not deployed yet. ` +
            `Fix: deploy it first (npm run deploy -- --env ${env} runs the stacks in order)`,
        );
      }
      // getOutput keeps the token a secret in this stack too.
      const token = ref.getOutput(SPLIT_OUTPUTS.consulToken) as pulumi.Output<string>;
      // The same provider, under the same name and inputs, as the cluster's own ConsulCluster makes.
      const provider = new consul.Provider(`${name}-consul-provider`, {
        address: api.address,
        scheme: "https",
        datacenter: api.datacenter,
        caPem: api.caPem,
        token,
      });
      return { cluster, provider };
    }),
  );
  const [a, b] = sides as [(typeof sides)[number], (typeof sides)[number]];
  const { peering } = peerClusters(`${a.cluster.name}-${b.cluster.name}`, mesh, a, b);
  return { peering: { [`${a.cluster.name}-${b.cluster.name}`]: peering.id } };
}

/** Runs the program of a split mesh's part. */
export function runSplitPart(
  env: string,
  mesh: Mesh,
  part: StackPart,
  options: ClusterStackOptions = {},
): Promise<Record<string, unknown>> {
  if (part.role === "root") return runRootStack(env, mesh);
  if (part.role === "cluster") return runClusterStack(env, mesh, part.cluster, options);
  return runPeeringStack(env, mesh, part.clusters);
}
