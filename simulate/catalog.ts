/**
 * Registrations that reach Consul's catalog at run time rather than through a Pulumi resource: consul-k8s catalog
 * sync registering each ready pod of a Service, for example. The Consul model (simulate/consul/) reads the catalog
 * as the `consul:index/service:Service` resources plus what every registrar here returns, so DNS answers and check
 * ownership cover both. A platform's model adds its registrar to `runtimeRegistrars`.
 */
import type { Deployment } from "./system";

export interface RuntimeCheck {
  readonly checkId: string;
  readonly name: string;
  /** The status the registrar writes: catalog sync writes passing for a ready pod, critical otherwise. */
  readonly status: "passing" | "warning" | "critical";
  /** Who updates this check afterwards (a check consul-esm does not own must never be expected to turn passing by it). */
  readonly owner: string;
}

export interface RuntimeRegistration {
  /** Consul datacenter the registration lands in. */
  readonly datacenter: string;
  readonly node: string;
  readonly nodeAddress: string;
  readonly serviceId: string;
  readonly serviceName: string;
  readonly address: string;
  readonly port: number;
  readonly tags: readonly string[];
  readonly meta: Readonly<Record<string, string>>;
  readonly checks: readonly RuntimeCheck[];
  /** What makes this registration: `consul-k8s catalog sync (hashicorp/consul-k8s control-plane/catalog/to-consul)`. */
  readonly registrar: string;
}

export type RuntimeRegistrar = (deployment: Deployment) => RuntimeRegistration[];

/** Filled by the platform models; the Consul model concatenates their answers. */
export const runtimeRegistrars: RuntimeRegistrar[] = [];

export function runtimeRegistrations(deployment: Deployment): RuntimeRegistration[] {
  return runtimeRegistrars.flatMap((registrar) => registrar(deployment));
}
