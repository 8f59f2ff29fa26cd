/**
 * Registers a cluster's service instances in its Consul catalog, on one external node, with the HTTP checks
 * consul-esm runs (see consul/registration.ts for why one node).
 */
import * as consul from "@pulumi/consul";
import * as pulumi from "@pulumi/pulumi";
import { checkFor, externalNode, meshGatewayRegistration, registrations } from "../consul/registration";
import type { Mesh, MeshCluster } from "../model";
import { BATCH_SIZE, declareInBatches, type Pace } from "./pacing";

export interface ServiceRegistrationArgs {
  /** The resolved mesh. */
  readonly mesh: Mesh;
  /** The cluster whose instances are registered. */
  readonly cluster: MeshCluster;
  /**
   * Addresses the workloads really got (container IPs, Service cluster IPs), by instance name. Consul DNS hands
   * these to Envoy, so they must be IPs where possible.
   * @default each instance's DNS name on its platform
   */
  readonly addresses?: Readonly<Record<string, pulumi.Input<string>>>;
  /** The cluster's mesh gateway, registered as `mesh-gateway` so sidecars find it through Consul DNS. */
  readonly gateway?: { readonly address: pulumi.Input<string>; readonly port: number };
  /** Awaited between batches of registrations (see pacing.ts). @default none: all at once */
  readonly pace?: Pace;
  /**
   * Whether Pulumi registers the service instances. Off where a process registers them at run time (consul-k8s
   * catalog sync on Kubernetes, one registration per pod); the gateway is registered either way. @default true
   */
  readonly registersInstances?: boolean;
}

export class ServiceRegistration extends pulumi.ComponentResource {
  /** Name of the external node holding the registrations. */
  readonly nodeName: pulumi.Output<string>;
  /** Consul service IDs registered, in order. */
  readonly serviceIds: pulumi.Output<string[]>;
  /** Resolves once every registration is declared and the outputs are registered. */
  readonly declared: Promise<void>;

  /** @param opts.provider the cluster's `consul.Provider` (`ConsulCluster.provider`). */
  constructor(name: string, args: ServiceRegistrationArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("lucid:mesh:ServiceRegistration", name, {}, opts);
    const { mesh, cluster } = args;
    const childOpts = { parent: this, ...(opts.provider ? { provider: opts.provider } : {}) };

    const nodeSpec = externalNode(cluster);
    const node = new consul.Node(
      `${name}-node`,
      { name: nodeSpec.name, address: nodeSpec.address, datacenter: cluster.datacenter, meta: nodeSpec.meta },
      childOpts,
    );
    const specs = args.registersInstances === false ? [] : registrations(mesh, cluster);
    const declareServices = declareInBatches(specs, BATCH_SIZE.registrations, args.pace, (spec) => {
      const address = args.addresses?.[spec.resourceName] ?? spec.address;
      new consul.Service(
        `${name}-${spec.resourceName}`,
        {
          node: node.name,
          datacenter: cluster.datacenter,
          serviceId: spec.serviceId,
          name: spec.name,
          address,
          port: spec.port,
          tags: [...spec.tags],
          meta: { ...spec.meta },
          checks: [pulumi.output(address).apply((a) => checkFor(spec, a))],
        },
        childOpts,
      );
    });
    if (args.gateway) {
      const gateway = meshGatewayRegistration(mesh, cluster);
      new consul.Service(
        `${name}-${gateway.serviceId}`,
        {
          node: node.name,
          datacenter: cluster.datacenter,
          serviceId: gateway.serviceId,
          name: gateway.name,
          address: args.gateway.address,
          port: args.gateway.port,
          tags: [...gateway.tags],
          meta: { ...gateway.meta },
          checks: [{ ...gateway.check, tcp: pulumi.interpolate`${args.gateway.address}:${args.gateway.port}` }],
        },
        childOpts,
      );
    }

    this.nodeName = node.name;
    this.serviceIds = pulumi.output(specs.map((s) => s.serviceId));
    this.declared = declareServices.then(() =>
      this.registerOutputs({ nodeName: this.nodeName, serviceIds: this.serviceIds }),
    );
  }
}
