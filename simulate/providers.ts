/**
 * Plausible provider behaviour for everything but tls (which has real crypto in tls.ts): computed outputs the
 * program reads, derived deterministically from the resource's type and name so two renders agree.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { stableId, type InvokeModel, type ModelArgs, type ModelResult, type ProviderModel } from "./recorder";

function digest(...parts: string[]): string {
  return createHash("sha256").update(parts.join("::")).digest("hex");
}

/** A UUID-shaped value from a hash: stable across runs, unique per resource. */
export function stableUuid(...parts: string[]): string {
  const h = digest(...parts);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const echo =
  (extra: (args: ModelArgs) => Record<string, unknown>): ProviderModel =>
  (args): ModelResult => ({ id: stableId(args.type, args.name), outputs: extra(args) });

function stringInput(args: ModelArgs, key: string): string {
  const value = args.inputs[key];
  return typeof value === "string" ? value : "";
}

/** Kubernetes auto-names objects without metadata.name: name plus a suffix. */
const kubernetesObject = echo((args) => {
  const metadata = (args.inputs.metadata ?? {}) as Record<string, unknown>;
  const name =
    typeof metadata.name === "string" ? metadata.name : `${args.name}-${digest(args.type, args.name).slice(0, 8)}`;
  const out: Record<string, unknown> = {
    metadata: { ...metadata, name, namespace: metadata.namespace ?? "default", uid: stableUuid(args.type, args.name) },
  };
  if (args.type === "kubernetes:core/v1:Service") {
    // The API server picks a cluster IP from the service CIDR unless the spec names one.
    const spec = (args.inputs.spec ?? {}) as Record<string, unknown>;
    const h = digest(args.stack, args.name);
    out.spec = {
      ...spec,
      clusterIP: spec.clusterIP ?? `10.96.${parseInt(h.slice(0, 2), 16)}.${parseInt(h.slice(2, 4), 16) || 1}`,
    };
  }
  return out;
});

export const providerModels: Record<string, ProviderModel> = {
  "random:index/randomBytes:RandomBytes": echo((args) => {
    const length = Number(args.inputs.length ?? 32);
    const bytes = Buffer.from(digest(args.stack, args.name).repeat(4), "hex").subarray(0, length);
    return { base64: pulumi.secret(bytes.toString("base64")), hex: pulumi.secret(bytes.toString("hex")) };
  }),
  "random:index/randomUuid:RandomUuid": echo((args) => ({ result: stableUuid(args.stack, args.name) })),
  "random:index/randomId:RandomId": echo((args) => {
    const hex = digest(args.stack, args.name).slice(0, Number(args.inputs.byteLength ?? 8) * 2);
    return { hex, b64Std: Buffer.from(hex, "hex").toString("base64"), dec: BigInt(`0x${hex}`).toString() };
  }),
  "random:index/randomPassword:RandomPassword": echo((args) => ({
    result: pulumi.secret(digest(args.stack, args.name).slice(0, 32)),
  })),
  "docker:index/remoteImage:RemoteImage": echo((args) => {
    const image = stringInput(args, "name");
    return { imageId: `sha256:${digest(image)}`, repoDigest: `${image.split(":")[0]}@sha256:${digest(image)}` };
  }),
  "docker:index/network:Network": echo((args) => ({ name: stringInput(args, "name") || args.name, scope: "local" })),
  "docker:index/volume:Volume": echo((args) => ({
    name: stringInput(args, "name") || args.name,
    mountpoint: `/var/lib/docker/volumes/${args.name}/_data`,
  })),
  "docker:index/container:Container": echo((args) => {
    // Docker assigns addresses from the network's range unless one is fixed; a hash stands in for its choice.
    const networks = (args.inputs.networksAdvanced ?? []) as Array<{ name: string; ipv4Address?: string }>;
    const host = 128 + (parseInt(digest(args.name).slice(0, 4), 16) % 126);
    return {
      exitCode: 0,
      hostname: stringInput(args, "hostname") || args.name,
      networkDatas: networks.map((n) => ({
        networkName: n.name,
        ipAddress: n.ipv4Address ?? `172.30.${parseInt(digest(n.name).slice(0, 2), 16)}.${host}`,
        ipPrefixLength: 24,
        gateway: "",
        macAddress: "02:42:00:00:00:00",
      })),
    };
  }),
  "consul:index/aclToken:AclToken": echo((args) => ({ accessorId: stableUuid("accessor", args.name) })),
  "consul:index/aclPolicy:AclPolicy": echo(() => ({})),
  "consul:index/peeringToken:PeeringToken": echo((args) => ({
    peeringToken: pulumi.secret(
      Buffer.from(JSON.stringify({ peer: stringInput(args, "peerName"), ref: digest(args.name) })).toString("base64"),
    ),
  })),
  "consul:index/peering:Peering": echo((args) => ({ state: "ACTIVE", peerId: stableUuid("peer", args.name) })),
  "kubernetes:core/v1:ConfigMap": kubernetesObject,
  "kubernetes:core/v1:Secret": kubernetesObject,
  "kubernetes:core/v1:Service": kubernetesObject,
  "kubernetes:core/v1:Namespace": kubernetesObject,
  "kubernetes:core/v1:ServiceAccount": kubernetesObject,
  "kubernetes:apps/v1:Deployment": kubernetesObject,
  "kubernetes:apps/v1:DeploymentPatch": kubernetesObject,
  "kubernetes:apps/v1:StatefulSet": kubernetesObject,
  "kubernetes:batch/v1:Job": kubernetesObject,
  "kubernetes:policy/v1:PodDisruptionBudget": kubernetesObject,
};

export const invokeModels: Record<string, InvokeModel> = {
  "consul:index/getAclTokenSecretId:getAclTokenSecretId": (inputs) => ({
    secretId: pulumi.secret(stableUuid("secret", String(inputs.accessorId))),
  }),
};
