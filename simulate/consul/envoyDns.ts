/**
 * The Consul names Envoy resolves: every `socket_address` of a STRICT_DNS cluster in a rendered `cluster.yaml`
 * (sidecars and gateways) that reads `<service>.service.<datacenter>.consul`. Envoy asks for A records
 * (`dns_lookup_family: V4_ONLY`) and dials the port written next to the name, so the catalog must give that port.
 * Which resolver asks is not read here: the clusters set none and use the bootstrap's, Consul DNS (envoy/cluster/
 * dns.ts); the traffic walk checks the effective resolver (simulate/traffic/envoyView.ts `DnsResolver`).
 */
import * as yaml from "js-yaml";
import { envoyFileSets } from "../../artifacts/envoy";
import { envoyFiles } from "../../model/names";
import type { RecordedResource } from "../recorder";

export interface ResolvedName {
  /** `<cluster>/<workload>` of the Envoy that resolves it. */
  readonly envoy: string;
  readonly envoyCluster: string;
  readonly name: string;
  readonly service: string;
  readonly datacenter: string;
  readonly port: number;
}

const CONSUL_NAME = /^([^.]+)\.service\.([^.]+)\.consul\.?$/;

interface SocketAddress {
  address?: string;
  port_value?: number;
}

function socketAddresses(cluster: Record<string, unknown>): SocketAddress[] {
  const assignment = cluster.load_assignment as { endpoints?: Array<{ lb_endpoints?: unknown[] }> } | undefined;
  return (assignment?.endpoints ?? []).flatMap((e) =>
    (e.lb_endpoints ?? []).map(
      (lb) =>
        (lb as { endpoint?: { address?: { socket_address?: SocketAddress } } }).endpoint?.address?.socket_address ?? {},
    ),
  );
}

export function consulNamesEnvoyResolves(resources: readonly RecordedResource[]): ResolvedName[] {
  const names: ResolvedName[] = [];
  const clusterFile = `${envoyFiles.directory}/cluster.yaml`;
  for (const set of envoyFileSets(resources)) {
    const text = set.files[clusterFile];
    if (text === undefined) continue;
    const doc = yaml.load(text) as { resources?: Array<Record<string, unknown>> } | undefined;
    for (const cluster of doc?.resources ?? []) {
      for (const socket of socketAddresses(cluster)) {
        const m = CONSUL_NAME.exec(socket.address ?? "");
        if (!m) continue;
        names.push({
          envoy: `${set.cluster}/${set.workload}`,
          envoyCluster: String(cluster.name ?? ""),
          name: socket.address!,
          service: m[1]!,
          datacenter: m[2]!,
          port: Number(socket.port_value ?? 0),
        });
      }
    }
  }
  return names;
}
