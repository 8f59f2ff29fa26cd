import { strict as assert } from "assert";
import { systemDnsResolver } from "../../envoy/cluster/dns";
import { gatewayConfig, gatewayFiles } from "../../envoy";
import type { Listener } from "../../envoy/types";
import { assertGolden } from "./golden";
import { stackMesh } from "./helpers";

const gatewayListenerOf = (listeners: Listener[]): Listener => {
  const found = listeners.find((l) => l.name === "mesh_gateway");
  if (!found) throw new Error("no mesh_gateway listener");
  return found;
};

describe("envoy mesh gateway", () => {
  const dev = stackMesh("dev");

  it("golden: dev west gateway", () => {
    for (const [name, text] of Object.entries(gatewayFiles(dev, "west"))) {
      assertGolden(`dev-west-gateway/${name.replace(".yaml", ".golden.yaml")}`, text);
    }
  });

  it("routes its exported services' own-datacenter SNI to local clusters", () => {
    const l = gatewayListenerOf(gatewayConfig(dev, "west").listeners.resources);
    const local = l.filter_chains.filter((c) => c.name?.startsWith("local_"));
    assert.ok(
      local.some((c) => c.filter_chain_match?.server_names[0] === "blockchain-anchor.lucid.west.internal.lucid.mesh"),
    );
    for (const chain of local) assert.match(chain.filter_chain_match!.server_names[0]!, /\.west\.internal\./);
  });

  it("forwards other datacenters' SNI to that cluster's gateway", () => {
    const l = gatewayListenerOf(gatewayConfig(dev, "east").listeners.resources);
    const remote = l.filter_chains.find((c) => c.name === "remote_gateway_west");
    assert.deepEqual(remote?.filter_chain_match?.server_names, [
      "blockchain-anchor.lucid.west.internal.lucid.mesh",
      "blockchain-core.lucid.west.internal.lucid.mesh",
      "blockchain-manager.lucid.west.internal.lucid.mesh",
      "session-api.lucid.west.internal.lucid.mesh",
      "session-processor.lucid.west.internal.lucid.mesh",
    ]);
    const cluster = gatewayConfig(dev, "east").clusters.resources.find((c) => c.name === "remote_gateway_west");
    assert.equal(
      cluster?.load_assignment?.endpoints[0]?.lb_endpoints[0]?.endpoint.address.socket_address.address,
      "10.10.255.11",
    );
  });

  it("never terminates TLS, and reads SNI with tls_inspector", () => {
    const l = gatewayListenerOf(gatewayConfig(dev, "west").listeners.resources);
    assert.deepEqual(
      l.listener_filters?.map((f) => f.name),
      ["envoy.filters.listener.tls_inspector"],
    );
    for (const chain of l.filter_chains) {
      assert.equal(chain.transport_socket, undefined);
      assert.deepEqual(
        chain.filters.map((f) => f.name),
        ["envoy.filters.network.tcp_proxy"],
      );
    }
  });

  it("admin on loopback, plus a prometheus listener", () => {
    const config = gatewayConfig(dev, "east");
    assert.equal(config.bootstrap.admin?.address.socket_address.address, "127.0.0.1");
    assert.ok(config.listeners.resources.some((l) => l.name === "prometheus"));
  });

  it("local clusters dial the sidecars' inbound port through Consul DNS (the bootstrap's resolver)", () => {
    const config = gatewayConfig(dev, "west");
    const local = config.clusters.resources.filter((c) => c.name.startsWith("local_"));
    assert.ok(local.length > 0);
    for (const c of local) {
      assert.equal(c.load_assignment?.endpoints[0]?.lb_endpoints[0]?.endpoint.address.socket_address.port_value, 15001);
      assert.equal(c.typed_dns_resolver_config, undefined, c.name);
    }
    assert.match(
      JSON.stringify(config.bootstrap.typed_dns_resolver_config),
      /"address":"10\.10\.2\.10","port_value":8600/,
    );
  });

  it("remote clusters keep the system resolver: a peer's WAN address may be a host name Consul does not serve", () => {
    const remote = gatewayConfig(dev, "west").clusters.resources.filter((c) => c.name.startsWith("remote_"));
    assert.ok(remote.length > 0);
    for (const c of remote) assert.deepEqual(c.typed_dns_resolver_config, systemDnsResolver(), c.name);
  });
});
