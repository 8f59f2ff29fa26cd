/**
 * Issue 22: Consul's DNS resolver is written once, in each Envoy's bootstrap (the server's resolver, which every
 * DNS cluster without its own uses: envoyproxy/envoy source/common/upstream/cluster_factory_impl.cc
 * `selectDnsResolver`, source/server/server.cc `getOrCreateDnsResolver`), not on every upstream cluster. Clusters
 * whose names Consul does not serve keep the system resolver with a c-ares config of their own.
 */
import { strict as assert } from "assert";
import { instancesOf, type Mesh } from "../../model";
import { consulPorts, envoyFiles, MESH_GATEWAY_SERVICE } from "../../model/names";
import { configFiles, gatewayConfig, sidecarConfig, type EnvoyConfigObjects } from "../../envoy";
import { consulDnsResolver, systemDnsResolver } from "../../envoy/cluster/dns";
import type { Cluster } from "../../envoy/types";
import { envoyView, isSystemResolver, type EnvoyView } from "../../simulate/traffic/envoyView";
import { meshWith, stackMesh } from "./helpers";

const CONSUL_NAME = /\.service\.[^.]+\.consul$/;

interface Proxy {
  readonly id: string;
  readonly cluster: string;
  readonly config: EnvoyConfigObjects;
}

/** Every sidecar and gateway of `mesh`, with tracing on so the collector's cluster is among them. */
function proxies(mesh: Mesh): Proxy[] {
  const sidecars = mesh.services.flatMap((s) =>
    instancesOf(mesh, s).map((i) => ({ id: i.name, cluster: i.cluster, config: sidecarConfig(mesh, i) })),
  );
  const gateways = mesh.clusters.map((c) => ({
    id: `${c.name}/${MESH_GATEWAY_SERVICE}`,
    cluster: c.name,
    config: gatewayConfig(mesh, c.name),
  }));
  return [...sidecars, ...gateways];
}

function dnsClusters(config: EnvoyConfigObjects): Cluster[] {
  return [...config.bootstrap.static_resources.clusters, ...config.clusters.resources].filter(
    (c) => c.type === "STRICT_DNS",
  ) as Cluster[];
}

function names(c: Cluster): string[] {
  return (c.load_assignment?.endpoints ?? []).flatMap((e) =>
    e.lb_endpoints.map((lb) => lb.endpoint.address.socket_address.address),
  );
}

function viewOf(p: Proxy, edit?: (config: EnvoyConfigObjects) => void): EnvoyView {
  const config = structuredClone(p.config);
  edit?.(config);
  const files = Object.entries(configFiles(config)).map(([k, v]) => [`${envoyFiles.directory}/${k}`, v]);
  return envoyView({ cluster: p.cluster, workload: p.id, source: p.id, files: Object.fromEntries(files) });
}

const stacks: Array<[string, () => Mesh]> = [
  ["dev", () => stackMesh("dev")],
  [
    "prod (tracing on)",
    () =>
      meshWith((raw) => {
        raw.observability = {
          tracing: { enabled: true, collectorHost: "otel-collector.observability.svc", collectorPort: 4317 },
        };
      }, "prod"),
  ],
];

describe("envoy DNS resolver: once in the bootstrap (issue 22)", () => {
  for (const [label, meshOf] of stacks) {
    describe(label, () => {
      const mesh = meshOf();
      const all = proxies(mesh);

      it("every bootstrap carries its cluster's Consul DNS as the server's resolver", () => {
        assert.ok(all.length > 2);
        for (const p of all) {
          const own = mesh.clusters.find((c) => c.name === p.cluster)!;
          const resolver = JSON.parse(JSON.stringify(p.config.bootstrap.typed_dns_resolver_config ?? null));
          assert.deepEqual(resolver, JSON.parse(JSON.stringify(consulDnsResolver(own))), p.id);
          assert.deepEqual(
            resolver.typed_config.resolvers,
            own.consulDnsAddresses.map((address) => ({ socket_address: { address, port_value: consulPorts.dns } })),
          );
          assert.equal(resolver.typed_config.dns_resolver_options.no_default_search_domain, true);
        }
      });

      it("clusters resolving Consul names carry no resolver of their own; the others carry the system one", () => {
        let consul = 0;
        let system = 0;
        for (const p of all) {
          for (const c of dnsClusters(p.config)) {
            const consulNames = names(c).filter((n) => CONSUL_NAME.test(n));
            if (consulNames.length > 0) {
              assert.equal(consulNames.length, names(c).length, `${p.id} ${c.name} mixes Consul and other names`);
              assert.equal(c.typed_dns_resolver_config, undefined, `${p.id} ${c.name}`);
              consul++;
            } else {
              // c-ares on /etc/resolv.conf, as before the bootstrap named Consul's.
              assert.deepEqual(c.typed_dns_resolver_config, systemDnsResolver(), `${p.id} ${c.name}`);
              system++;
            }
            // Refresh, TTL and lookup family are per cluster (strict_dns_cluster.cc reads them from the cluster).
            assert.equal(c.respect_dns_ttl, true);
            assert.equal(c.dns_refresh_rate, "5s");
            assert.equal(c.dns_lookup_family, "V4_ONLY");
          }
        }
        assert.ok(consul > 0 && system > 0, `${consul} Consul-resolved and ${system} system-resolved clusters`);
      });

      it("the traffic walk's view: Consul names through the bootstrap's resolver, the rest through resolv.conf", () => {
        for (const p of all) {
          const view = viewOf(p);
          for (const c of view.clusters.values()) {
            if (c.type !== "STRICT_DNS") {
              assert.equal(c.dns, undefined, `${p.id} ${c.name}: a STATIC cluster resolves nothing`);
              continue;
            }
            const consulNamed = c.endpoints.some((e) => CONSUL_NAME.test(e.address));
            assert.equal(c.dns?.from, consulNamed ? "bootstrap" : "cluster", `${p.id} ${c.name}`);
            assert.equal(isSystemResolver(c.dns!), !consulNamed, `${p.id} ${c.name}`);
          }
        }
      });
    });
  }

  it("with neither a cluster's nor a bootstrap resolver, Envoy's default c-ares reads resolv.conf", () => {
    const p = proxies(stackMesh("dev"))[0]!;
    const view = viewOf(p, (config) => delete config.bootstrap.typed_dns_resolver_config);
    const upstreams = [...view.clusters.values()].filter((c) => c.endpoints.some((e) => CONSUL_NAME.test(e.address)));
    assert.ok(upstreams.length > 0);
    for (const c of upstreams) {
      assert.deepEqual(c.dns, { from: "default", servers: [] });
      assert.ok(isSystemResolver(c.dns!));
    }
  });

  it("a cluster resolver whose typed_config has no type is not its own: the bootstrap's applies", () => {
    // selectDnsResolver takes the cluster's only when `typed_config().type_url()` is non-empty.
    const p = proxies(stackMesh("dev"))[0]!;
    const view = viewOf(p, (config) => {
      const first = config.clusters.resources[0]!;
      first.typed_dns_resolver_config = { name: "envoy.network.dns_resolver.cares", typed_config: {} as never };
    });
    const first = view.clusters.get(p.config.clusters.resources[0]!.name);
    assert.equal(first?.dns?.from, "bootstrap");
    assert.ok(!isSystemResolver(first!.dns!));
  });
});
