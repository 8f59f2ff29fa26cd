/**
 * topology.mmd: a Mermaid flowchart of the mesh. Clusters are subgraphs holding their services and gateway;
 * solid edges are local upstream calls, dashed ones go through the gateways (cross-cluster, or failover when
 * the upstream also runs locally).
 */
import { servicesInCluster, upstreamPlacement, type Mesh } from "../../model/mesh";

/** A Mermaid node id: letters, digits and underscores only. */
function nodeId(cluster: string, name: string): string {
  return `${cluster}__${name}`.replace(/[^A-Za-z0-9_]/g, "_");
}

function gatewayId(cluster: string): string {
  return nodeId(cluster, "mesh-gateway");
}

/** Mermaid label text: quotes would end the label. */
function label(text: string): string {
  return text.replace(/"/g, "'");
}

export function topologyMermaid(mesh: Mesh): string {
  const lines: string[] = ["flowchart LR"];
  for (const cluster of mesh.clusters) {
    lines.push(
      `  subgraph ${nodeId(cluster.name, "cluster")}["${label(`${cluster.name} (${cluster.platform}, dc ${cluster.datacenter})`)}"]`,
    );
    lines.push(`    ${gatewayId(cluster.name)}{{"${label(`mesh-gateway :${cluster.gateway.port}`)}"}}`);
    for (const service of servicesInCluster(mesh, cluster.name)) {
      const instances = service.instances === 1 ? "" : ` x${service.instances}`;
      lines.push(`    ${nodeId(cluster.name, service.name)}["${label(`${service.name}${instances}`)}"]`);
    }
    lines.push("  end");
  }
  const peerings = new Set<string>();
  for (const cluster of mesh.clusters) {
    for (const service of servicesInCluster(mesh, cluster.name)) {
      const from = nodeId(cluster.name, service.name);
      for (const upstream of service.upstreams) {
        const placement = upstreamPlacement(mesh, cluster.name, upstream.service);
        if (placement.local) lines.push(`  ${from} --> ${nodeId(cluster.name, upstream.service)}`);
        for (const remote of placement.remoteClusters) {
          const kind = placement.local ? "failover" : "cross-cluster";
          lines.push(`  ${from} -. "${kind} via gateways" .-> ${nodeId(remote, upstream.service)}`);
          peerings.add([cluster.name, remote].sort().join("\u0000"));
        }
      }
    }
  }
  for (const pair of [...peerings].sort()) {
    const [a = "", b = ""] = pair.split("\u0000");
    lines.push(`  ${gatewayId(a)} <-. "peering" .-> ${gatewayId(b)}`);
  }
  return `${lines.join("\n")}\n`;
}
