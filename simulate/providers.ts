/**
 * Every provider model and system model the simulation runs with. Each real system has its own folder
 * (`consul/`, `docker/`, `kubernetes/`; certificates in `tls/`); this file only joins them.
 */
import * as pulumi from "@pulumi/pulumi";
import { consulInvokeModels, consulProviderModels, consulSystem } from "./consul";
import { dockerProviderModels, dockerSystem } from "./docker";
import { kubernetesProviderModels, kubernetesSystem } from "./kubernetes";
import { digest, echo, stableUuid } from "./modelKit";
import type { InvokeModel, ProviderModel } from "./recorder";
import type { SystemModel } from "./system";
import { tlsSystem } from "./tls";

export { stableUuid } from "./modelKit";

const randomModels: Record<string, ProviderModel> = {
  "random:index/randomBytes:RandomBytes": echo((args) => {
    const length = Number(args.inputs.length ?? 32);
    const bytes = Buffer.from(digest(args.stack, args.name).repeat(4), "hex").subarray(0, length);
    return { base64: pulumi.secret(bytes.toString("base64")), hex: pulumi.secret(bytes.toString("hex")) };
  }),
  // The random provider makes the UUID the resource ID too (terraform-provider-random resource_uuid.go), and IDs
  // are never encrypted in the state.
  "random:index/randomUuid:RandomUuid": (args) => {
    const result = stableUuid(args.stack, args.name);
    return { id: result, outputs: { result } };
  },
  "random:index/randomId:RandomId": echo((args) => {
    const hex = digest(args.stack, args.name).slice(0, Number(args.inputs.byteLength ?? 8) * 2);
    return { hex, b64Std: Buffer.from(hex, "hex").toString("base64"), dec: BigInt(`0x${hex}`).toString() };
  }),
  "random:index/randomPassword:RandomPassword": echo((args) => ({
    result: pulumi.secret(digest(args.stack, args.name).slice(0, 32)),
  })),
};

export const providerModels: Record<string, ProviderModel> = {
  ...randomModels,
  ...dockerProviderModels,
  ...consulProviderModels,
  ...kubernetesProviderModels,
};

export const invokeModels: Record<string, InvokeModel> = { ...consulInvokeModels };

/** The behaviour of each real system the program relies on (see system.ts). */
export const systemModels: readonly SystemModel[] = [consulSystem, dockerSystem, kubernetesSystem, tlsSystem];
