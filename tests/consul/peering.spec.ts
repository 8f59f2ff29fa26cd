import { strict as assert } from "node:assert";
import { peeringServerAddresses } from "../../consul/peering";
import {
  DOCKER_WAN_MAX_CLUSTERS,
  consulServerWanAddresses,
  dockerServerWanAddress,
  dockerWanAddress,
  dockerWanClusterIndex,
  parseMeshConfig,
} from "../../model";
import { clusterOf, loadMesh, rawStackConfig } from "./fixtures";

type Json = Record<string, unknown>;

describe("consul/peering: where peers dial the servers", () => {
  it("dev (Docker): each cluster's servers on the WAN network, gRPC TLS port", () => {
    const dev = loadMesh("dev");
    assert.deepEqual(peeringServerAddresses(dev, clusterOf(dev, "east")), ["10.10.255.100:8503"]);
    assert.deepEqual(peeringServerAddresses(dev, clusterOf(dev, "west")), ["10.10.255.110:8503"]);
  });

  it("Docker lists every server, since only the leader accepts the stream", () => {
    const raw = rawStackConfig("dev");
    for (const cluster of raw.clusters as Json[]) (cluster.consul as Json).servers = 3;
    const mesh = parseMeshConfig(raw);
    assert.deepEqual(peeringServerAddresses(mesh, clusterOf(mesh, "west")), [
      "10.10.255.110:8503",
      "10.10.255.111:8503",
      "10.10.255.112:8503",
    ]);
  });

  it("prod (Kubernetes): the peering LoadBalancer's address, gRPC TLS port", () => {
    const prod = loadMesh("prod");
    assert.deepEqual(peeringServerAddresses(prod, clusterOf(prod, "east")), ["198.51.100.11:8503"]);
    assert.deepEqual(peeringServerAddresses(prod, clusterOf(prod, "west")), ["198.51.100.21:8503"]);
  });

  it("never points a peer at a mesh gateway", () => {
    for (const stack of [loadMesh("dev"), loadMesh("prod")]) {
      for (const cluster of stack.clusters) {
        const gateway = `${cluster.gateway.wanAddress}:${cluster.gateway.port}`;
        assert.ok(!peeringServerAddresses(stack, cluster).includes(gateway), cluster.name);
      }
    }
  });

  it("negative: a Kubernetes cluster without peeringAddress has no address to give", () => {
    const config = rawStackConfig("prod");
    const clusters = config["clusters"] as Array<{ consul: Json }>;
    clusters.splice(1);
    delete clusters[0]!.consul["peeringAddress"];
    for (const service of config["services"] as Json[]) service["clusters"] = ["east"];
    const single = parseMeshConfig(config);
    const east = single.clusters[0]!;
    assert.deepEqual(east.addresses.peeringHosts, []);
    assert.throws(() => peeringServerAddresses(single, east), /east: no address for other clusters to peer with/);
  });
});

describe("model/wan: fixed Consul server addresses on the Docker WAN network", () => {
  it("gives cluster i, server s the host .100 + 10i + s", () => {
    assert.equal(dockerServerWanAddress(0, 0), "10.10.255.100");
    assert.equal(dockerServerWanAddress(1, 2), "10.10.255.112");
    assert.equal(dockerServerWanAddress(DOCKER_WAN_MAX_CLUSTERS - 1, 9), "10.10.255.249");
  });

  it("never collides with a gateway's WAN address, and stays inside the /24", () => {
    const gateways = new Set(Array.from({ length: DOCKER_WAN_MAX_CLUSTERS }, (_, i) => dockerWanAddress(i)));
    const servers = new Set<string>();
    for (let c = 0; c < DOCKER_WAN_MAX_CLUSTERS; c++) {
      for (let s = 0; s < 10; s++) servers.add(dockerServerWanAddress(c, s));
    }
    assert.equal(servers.size, DOCKER_WAN_MAX_CLUSTERS * 10);
    for (const address of servers) {
      assert.ok(!gateways.has(address), address);
      const host = Number(address.split(".")[3]);
      assert.ok(host >= 100 && host <= 254, address);
    }
  });

  it("negative: refuses indexes outside the ranges", () => {
    assert.throws(() => dockerServerWanAddress(DOCKER_WAN_MAX_CLUSTERS, 0), /no server range/);
    assert.throws(() => dockerServerWanAddress(0, 10), /does not fit/);
    assert.throws(() => dockerServerWanAddress(-1, 0), /no server range/);
  });

  it("indexes clusters in name order, whatever the config order", () => {
    assert.equal(dockerWanClusterIndex(["west", "east"], "east"), 0);
    assert.equal(dockerWanClusterIndex(["west", "east"], "west"), 1);
    const raw = rawStackConfig("dev");
    (raw.clusters as Json[]).reverse();
    const mesh = parseMeshConfig(raw);
    assert.deepEqual(consulServerWanAddresses(mesh, clusterOf(mesh, "east")), ["10.10.255.100"]);
  });

  it("has no WAN addresses for Kubernetes servers", () => {
    const prod = loadMesh("prod");
    assert.deepEqual(consulServerWanAddresses(prod, clusterOf(prod, "east")), []);
  });
});
