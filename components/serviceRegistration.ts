/**
 * Registers a cluster's service instances in its Consul catalog, on one external node, with the HTTP checks
 * consul-esm runs (see consul/registration.ts for why one node).
 */
import * as consul from "@pulumi/consul";
import * as pulumi from "@pulumi/pulumi";
import { externalNode, registrations } from "../consul/registration";
import type { Mesh, MeshCluster } from "../model";

export interface ServiceRegistrationArgs {
  /** The resolved mesh. */
  readonly mesh: Mesh;
  /** The cluster whose instances are registered. */
  readonly cluster: MeshCluster;
}

export class ServiceRegistration extends pulumi.ComponentResource {
  /** Name of the external node holding the registrations. */
  readonly nodeName: pulumi.Output<string>;
  /** Consul service IDs registered, in order. */
  readonly serviceIds: pulumi.Output<string[]>;

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
    const specs = registrations(mesh, cluster);
    for (const spec of specs) {
      new consul.Service(
        `${name}-${spec.resourceName}`,
        {
          node: node.name,
          datacenter: cluster.datacenter,
          serviceId: spec.serviceId,
          name: spec.name,
          address: spec.address,
          port: spec.port,
          tags: [...spec.tags],
          meta: { ...spec.meta },
          checks: [{ ...spec.check }],
        },
        childOpts,
      );
    }

    this.nodeName = node.name;
    this.serviceIds = pulumi.output(specs.map((s) => s.serviceId));
    this.registerOutputs({ nodeName: this.nodeName, serviceIds: this.serviceIds });
  }
}
