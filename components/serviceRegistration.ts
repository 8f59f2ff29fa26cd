/**
 * A cluster's external node, which holds its registrations (see consul/registration.ts for why one node), and the
 * mesh gateway's registration, with the TCP check consul-esm runs. The instances' registrations are the Consul
 * applier's payload (components/consulApplier.ts): one per cluster instead of one resource per instance.
 */
import * as consul from "@pulumi/consul";
import * as pulumi from "@pulumi/pulumi";
import { externalNode, meshGatewayRegistration } from "../consul/registration";
import type { Mesh, MeshCluster } from "../model";

export interface ServiceRegistrationArgs {
  /** The resolved mesh. */
  readonly mesh: Mesh;
  /** The cluster whose node and gateway are registered. */
  readonly cluster: MeshCluster;
  /** The cluster's mesh gateway, registered as `mesh-gateway` so sidecars find it through Consul DNS. */
  readonly gateway?: { readonly address: pulumi.Input<string>; readonly port: number };
}

export class ServiceRegistration extends pulumi.ComponentResource {
  /** Name of the external node holding the registrations. */
  readonly nodeName: pulumi.Output<string>;
  /** The node resource: the applier registers on it. */
  readonly node: consul.Node;

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

    this.node = node;
    this.nodeName = node.name;
    this.registerOutputs({ nodeName: this.nodeName });
  }
}
