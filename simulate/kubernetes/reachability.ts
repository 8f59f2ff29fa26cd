/**
 * Every address the program hands to Pulumi or to another cluster must be reachable from where it is used:
 * - each `consul.Provider` address (dialled by the machine running `pulumi up`): a LoadBalancer of that cluster's
 *   Consul servers, at an address it is bound to (`loadBalancerIP`) or got (`status.loadBalancer.ingress`), on the
 *   API port, distinct per cluster and in the server certificate (the provider verifies the certificate against
 *   the host it dials: hashicorp/terraform-provider-consul consul/config.go Client, no per-provider server name);
 * - each peering token's server addresses (dialled by the other cluster's servers: Establish dials them at once);
 * - each remote gateway address in a mesh gateway's Envoy clusters (dialled by that gateway).
 * A name that resolves only inside a cluster (`*.svc`, `*.cluster.local`) or an address no LoadBalancer holds is
 * unreachable from there.
 */
import { load } from "js-yaml";
import type { Deployment, SystemFinding } from "../system";
import type { RecordedResource } from "../recorder";
import { K8S, clusterOf, labelsOf, list, obj, str } from "./objects";

const CONSUL_PROVIDER = "pulumi:providers:consul";
const PEERING_TOKEN = "consul:index/peeringToken:PeeringToken";
const CSR = "tls:index/certRequest:CertRequest";

export const REACHABILITY_SOURCE =
  "kubernetes/kubernetes pkg/apis/core/types.go (ServiceSpec.LoadBalancerIP, LoadBalancerStatus.Ingress); " +
  "hashicorp/terraform-provider-consul consul/config.go (Client)";

/** An address a LoadBalancer Service answers on: bound through `loadBalancerIP` or awaited from its status. */
export interface LoadBalancerAddress {
  readonly cluster: string;
  readonly host: string;
  readonly port: number;
  readonly role: string;
  readonly service: string;
}

export function loadBalancerAddresses(deployment: Deployment): LoadBalancerAddress[] {
  return deployment.resources
    .filter((r) => r.type === K8S.service && obj(r.inputs.spec).type === "LoadBalancer")
    .flatMap((r) => {
      const spec = obj(r.inputs.spec);
      const bound = str(spec.loadBalancerIP);
      const ingress = list(obj(obj(deployment.outputsOf(r.urn)?.status).loadBalancer).ingress);
      const hosts = new Set([...(bound ? [bound] : []), ...ingress.map((i) => str(i.ip) ?? str(i.hostname) ?? "")]);
      return [...hosts]
        .filter((h) => h !== "")
        .flatMap((host) =>
          list(spec.ports).map((p) => ({
            cluster: clusterOf(r) ?? "",
            host,
            port: Number(p.port),
            role: labelsOf(r)["lucid.mesh/role"] ?? "",
            service: str(obj(r.inputs.metadata).name) ?? r.name,
          })),
        );
    });
}

/** `host:port` or `scheme://host:port` split; the port defaults to `fallbackPort`. */
export function splitAddress(address: string, fallbackPort: number): { host: string; port: number } {
  const bare = address.replace(/^[a-z]+:\/\//, "").replace(/\/.*$/, "");
  const match = /^(.*):(\d+)$/.exec(bare);
  return match ? { host: match[1] ?? "", port: Number(match[2]) } : { host: bare, port: fallbackPort };
}

function inClusterOnly(host: string): boolean {
  return /\.svc$|\.svc\.|\.cluster\.local$/.test(host) || !host.includes(".");
}

/** Datacenter → mesh cluster, from the servers' ConfigMap (`server.json` carries the datacenter). */
function clustersByDatacenter(resources: readonly RecordedResource[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const r of resources) {
    if (r.type !== K8S.configMap || labelsOf(r)["lucid.mesh/role"] !== "consul-server") continue;
    const server = str(obj(r.inputs.data)["server.json"]);
    if (!server) continue;
    const dc = str(obj(JSON.parse(server) as unknown).datacenter);
    const cluster = clusterOf(r);
    if (dc && cluster) map.set(dc, cluster);
  }
  return map;
}

function finding(rule: string, subject: string, message: string): SystemFinding {
  return {
    system: "kubernetes",
    rule: `kubernetes/reachability/${rule}`,
    source: REACHABILITY_SOURCE,
    subject,
    message,
  };
}

function unreachable(
  lbs: readonly LoadBalancerAddress[],
  cluster: string | undefined,
  host: string,
  port: number,
  role: string,
): string | undefined {
  if (inClusterOnly(host)) return `${host} resolves only inside a cluster`;
  const hit = lbs.find((a) => a.cluster === cluster && a.host === host && a.port === port && a.role === role);
  if (hit) return undefined;
  return `no ${role} LoadBalancer in cluster ${cluster ?? "?"} is bound to or was given ${host}:${port}`;
}

export function unreachableAddresses(deployment: Deployment): SystemFinding[] {
  const { resources } = deployment;
  const lbs = loadBalancerAddresses(deployment);
  const byDc = clustersByDatacenter(resources);
  const findings: SystemFinding[] = [];
  const providers = resources.filter((r) => r.type === CONSUL_PROVIDER);
  const providerCluster = new Map(providers.map((p) => [p.urn, byDc.get(str(p.inputs.datacenter) ?? "")]));

  // Address → the cluster (and a provider) using it. Two providers of one cluster may share it: a split mesh's
  // peering stack reaches a cluster's Consul as that cluster's own stack does (docs/split-stacks.md).
  const seen = new Map<string, { readonly name: string; readonly cluster: string }>();
  for (const p of providers) {
    const cluster = providerCluster.get(p.urn);
    const address = str(p.inputs.address) ?? "";
    // Docker clusters publish their API on the host; only Kubernetes clusters are checked here.
    if (!cluster || !resources.some((r) => r.type === K8S.statefulSet && clusterOf(r) === cluster)) continue;
    const { host, port } = splitAddress(address, 8500);
    const why = unreachable(lbs, cluster, host, port, "consul-server");
    if (why) findings.push(finding("consul-provider", p.urn, `Pulumi cannot reach Consul at ${address}: ${why}`));
    const other = seen.get(address);
    if (other && other.cluster !== cluster) {
      findings.push(
        finding(
          "consul-provider-distinct",
          p.urn,
          `${address} is also the address of ${other.name}: each cluster needs its own`,
        ),
      );
    }
    seen.set(address, { name: p.name, cluster });
    const csr = resources.find((r) => r.type === CSR && r.name === `${cluster}-consul-server-csr`);
    const sans = [
      ...((csr?.inputs.ipAddresses as string[] | undefined) ?? []),
      ...((csr?.inputs.dnsNames as string[] | undefined) ?? []),
    ];
    if (csr && !sans.includes(host)) {
      findings.push(
        finding(
          "consul-provider-san",
          p.urn,
          `Get "${address}/v1/agent/self": tls: failed to verify certificate: x509: certificate is valid for ${sans.join(", ")}, not ${host}`,
        ),
      );
    }
  }

  for (const t of resources.filter((r) => r.type === PEERING_TOKEN)) {
    const providerUrn = (t.provider ?? "").split("::").slice(0, -1).join("::");
    const cluster = providerCluster.get(providerUrn);
    if (!cluster || !resources.some((r) => r.type === K8S.statefulSet && clusterOf(r) === cluster)) continue;
    for (const address of (t.inputs.serverExternalAddresses as string[] | undefined) ?? []) {
      const { host, port } = splitAddress(address, 8503);
      const why = unreachable(lbs, cluster, host, port, "consul-server");
      if (why) findings.push(finding("peering-address", t.urn, `the peer's servers cannot dial ${address}: ${why}`));
    }
  }

  for (const cm of resources.filter((r) => r.type === K8S.configMap && labelsOf(r)["lucid.mesh/role"] === "gateway")) {
    const clusterYaml = str(obj(cm.inputs.data)["cluster.yaml"]);
    if (!clusterYaml) continue;
    const resourcesList = list(obj(load(clusterYaml)).resources);
    for (const c of resourcesList) {
      const name = str(c.name) ?? "";
      if (!name.startsWith("remote_gateway_")) continue;
      const peer = name.slice("remote_gateway_".length);
      for (const ep of list(obj(c.load_assignment).endpoints).flatMap((e) => list(e.lb_endpoints))) {
        const socket = obj(obj(obj(ep.endpoint).address).socket_address);
        const host = str(socket.address) ?? "";
        const port = Number(socket.port_value);
        const why = unreachable(lbs, peer, host, port, "gateway");
        if (why)
          findings.push(
            finding(
              "gateway-wan-address",
              cm.urn,
              `the ${clusterOf(cm) ?? "?"} gateway cannot dial ${peer}'s gateway at ${host}:${port}: ${why}`,
            ),
          );
      }
    }
  }
  return findings;
}
