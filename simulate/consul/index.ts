/**
 * Consul and the Consul provider (hashicorp/terraform-provider-consul, bridged by @pulumi/consul).
 *
 * The provider models give each resource the outputs the provider computes; `consulSystem` is the simulated
 * Consul: it refuses the config entries and ACL calls Consul refuses, runs the checks as their owners would, and
 * answers DNS as Consul does (see deployed.ts, catalog.ts, configEntries.ts, aclRules.ts, readBack.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import type { InvokeModel, ProviderModel } from "../recorder";
import { digest, echo, stableUuid, stringInput } from "../modelKit";
import type { SystemModel } from "../system";
import { consulSystemCheck } from "./check";
import { modelSecretIdOf } from "./deployed";
import { consulForceNew, consulReadBack } from "./readBack";

export const consulProviderModels: Record<string, ProviderModel> = {
  "consul:index/aclToken:AclToken": echo((args) => ({ accessorId: stableUuid("accessor", args.name) })),
  "consul:index/aclPolicy:AclPolicy": echo(() => ({})),
  "consul:index/peeringToken:PeeringToken": echo((args) => ({
    peeringToken: pulumi.secret(
      Buffer.from(JSON.stringify({ peer: stringInput(args, "peerName"), ref: digest(args.name) })).toString("base64"),
    ),
  })),
  "consul:index/peering:Peering": echo((args) => ({ state: "ACTIVE", peerId: stableUuid("peer", args.name) })),
};

export const consulInvokeModels: Record<string, InvokeModel> = {
  "consul:index/getAclTokenSecretId:getAclTokenSecretId": (inputs) => ({
    secretId: pulumi.secret(modelSecretIdOf(String(inputs.accessorId))),
  }),
};

export const consulSystem: SystemModel = {
  system: "consul",
  check: consulSystemCheck,
  readBack: consulReadBack,
  forceNew: consulForceNew,
};
