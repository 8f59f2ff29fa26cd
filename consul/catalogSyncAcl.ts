/**
 * consul-k8s catalog sync's ACL policy: HashiCorp's `syncRules` (hashicorp/consul-k8s
 * control-plane/subcommand/server-acl-init/rules.go) narrowed to this mesh. It writes its own sync node and the
 * services it registers there; it reads nodes to find its node's registrations. Without Consul namespaces or
 * partitions, nothing else is needed.
 */
import { servicesInCluster, type Mesh, type MeshCluster } from "../model";
import type { AclPolicySpec } from "./acl";

/** The node catalog sync registers every pod on (its `-consul-node-name`, default `k8s-sync`). */
export const CATALOG_SYNC_NODE = "k8s-sync";

export function catalogSyncPolicy(mesh: Mesh, cluster: MeshCluster): AclPolicySpec {
  const services = servicesInCluster(mesh, cluster.name).map(
    (s) => `service ${JSON.stringify(s.name)} {\n  policy = "write"\n}`,
  );
  return {
    name: "lucid-catalog-sync",
    description: `consul-k8s catalog sync in ${cluster.name}: registers each pod of the mesh's services`,
    rules:
      [
        `node ${JSON.stringify(CATALOG_SYNC_NODE)} {\n  policy = "write"\n}`,
        `node_prefix "" {\n  policy = "read"\n}`,
        ...services,
      ].join("\n") + "\n",
  };
}
