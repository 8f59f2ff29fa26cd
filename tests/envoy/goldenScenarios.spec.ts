/**
 * Goldens for the shapes the two stack goldens (sidecar.spec.ts, gateway.spec.ts) do not show: a TCP service, a
 * gRPC service, tracing on, a failover upstream and a Kubernetes sidecar. Each golden sits beside an assertion of
 * the behaviour it exists to show, so a regenerated golden (UPDATE_GOLDEN=1) cannot quietly change that behaviour.
 */
import { strict as assert } from "assert";
import { load } from "js-yaml";
import { findService, instancesOf, type Mesh, type ServiceInstance } from "../../model";
import { consulPorts, envoyNames } from "../../model/names";
import { sidecarConfig, sidecarFiles } from "../../envoy";
import type { Cluster, HttpConnectionManager, Listener } from "../../envoy/types";
import { systemDnsResolver } from "../../envoy/cluster/dns";
import { assertGolden } from "./golden";
import { meshWith, stackMesh } from "./helpers";

type RawService = { name: string; protocol?: string; clusters: string[] };

function instanceOf(mesh: Mesh, service: string, cluster: string): ServiceInstance {
  const found = instancesOf(mesh, findService(mesh, service)).find((i) => i.cluster === cluster);
  if (!found) throw new Error(`no instance of ${service} in ${cluster}`);
  return found;
}

/** The sidecar's three files against `testdata/golden/<scenario>/`. */
function assertSidecarGoldens(scenario: string, mesh: Mesh, instance: ServiceInstance): void {
  const files = sidecarFiles(mesh, instance);
  assert.deepEqual(Object.keys(files), ["bootstrap.yaml", "listener.yaml", "cluster.yaml"]);
  for (const [name, text] of Object.entries(files)) {
    assertGolden(`${scenario}/${name.replace(".yaml", ".golden.yaml")}`, text);
  }
}

function listenerNamed(mesh: Mesh, instance: ServiceInstance, name: string): Listener {
  const found = sidecarConfig(mesh, instance).listeners.resources.find((l) => l.name === name);
  if (!found) throw new Error(`no listener ${name}`);
  return found;
}

function clusterNamed(mesh: Mesh, instance: ServiceInstance, name: string): Cluster {
  const found = sidecarConfig(mesh, instance).clusters.resources.find((c) => c.name === name);
  if (!found) throw new Error(`no cluster ${name}`);
  return found;
}

function filterNames(listener: Listener): string[] {
  return listener.filter_chains.flatMap((chain) => chain.filters.map((f) => f.name));
}

function hcm(listener: Listener): HttpConnectionManager {
  const config = listener.filter_chains[0]?.filters.at(-1)?.typed_config;
  if (!config || !("http_filters" in config)) throw new Error(`${listener.name} has no HTTP connection manager`);
  return config;
}

function withProtocol(service: string, protocol: string): (raw: Record<string, unknown>) => void {
  return (raw) => {
    (raw.services as RawService[]).find((s) => s.name === service)!.protocol = protocol;
  };
}

describe("envoy goldens: TCP, gRPC, tracing, failover, Kubernetes", () => {
  it("TCP service (dev east session-recorder-1): inbound is a TCP proxy behind network RBAC, no HTTP manager", () => {
    const mesh = meshWith(withProtocol("session-recorder", "tcp"));
    const instance = instanceOf(mesh, "session-recorder", "east");
    assertSidecarGoldens("dev-east-session-recorder-1-tcp", mesh, instance);
    const names = filterNames(listenerNamed(mesh, instance, envoyNames.inboundListener));
    assert.ok(names.includes("envoy.filters.network.tcp_proxy"), names.join(","));
    assert.ok(names.includes("envoy.filters.network.rbac"), names.join(","));
    assert.ok(!names.includes("envoy.filters.network.http_connection_manager"), names.join(","));
    const app = sidecarConfig(mesh, instance).bootstrap.static_resources.clusters.find(
      (c) => c.name === envoyNames.localAppCluster,
    );
    assert.ok(JSON.stringify(app?.health_checks).includes("tcp_health_check"), "a TCP app is checked by connecting");
    // The caller's outbound listener for a TCP upstream is a TCP proxy too.
    const caller = instanceOf(mesh, "session-api", "east");
    const outbound = filterNames(listenerNamed(mesh, caller, envoyNames.outboundListener("session-recorder")));
    assert.ok(outbound.includes("envoy.filters.network.tcp_proxy"), outbound.join(","));
  });

  it("gRPC service (dev west blockchain-manager-1): the app cluster and callers' upstream speak HTTP/2", () => {
    const mesh = meshWith(withProtocol("blockchain-manager", "grpc"));
    const instance = instanceOf(mesh, "blockchain-manager", "west");
    assertSidecarGoldens("dev-west-blockchain-manager-1-grpc", mesh, instance);
    const app = sidecarConfig(mesh, instance).bootstrap.static_resources.clusters.find(
      (c) => c.name === envoyNames.localAppCluster,
    );
    assert.ok(JSON.stringify(app?.typed_extension_protocol_options).includes("http2_protocol_options"));
    const caller = instanceOf(mesh, "blockchain-core", "west");
    const upstream = clusterNamed(mesh, caller, envoyNames.upstreamCluster("blockchain-manager"));
    assert.ok(JSON.stringify(upstream.typed_extension_protocol_options).includes("http2_protocol_options"));
    assert.ok(JSON.stringify(upstream.transport_socket).includes('"h2"'), "ALPN offers h2 to the upstream sidecar");
  });

  it("tracing on (dev east session-api-1): every HTTP manager reports to the collector cluster, which exists", () => {
    const mesh = meshWith((raw) => {
      raw.observability = { tracing: { enabled: true, collectorHost: "otel-collector", collectorPort: 4317 } };
    });
    const instance = instanceOf(mesh, "session-api", "east");
    assertSidecarGoldens("dev-east-session-api-1-tracing", mesh, instance);
    const { listeners, bootstrap } = sidecarConfig(mesh, instance);
    const managers = listeners.resources
      .filter((l) =>
        [
          envoyNames.inboundListener,
          ...["session-processor", "session-recorder"].map(envoyNames.outboundListener),
        ].includes(l.name),
      )
      .map(hcm);
    assert.equal(managers.length, 3);
    for (const manager of managers) {
      assert.ok(JSON.stringify(manager.tracing).includes(envoyNames.tracingCluster));
    }
    const collector = bootstrap.static_resources.clusters.find((c) => c.name === envoyNames.tracingCluster);
    assert.ok(JSON.stringify(collector).includes("otel-collector") && JSON.stringify(collector).includes("4317"));
    // The collector is not in Consul: it keeps the system resolver (resolv.conf), not the bootstrap's Consul DNS.
    assert.ok(bootstrap.typed_dns_resolver_config, "the bootstrap carries Consul's resolver");
    assert.deepEqual(collector?.typed_dns_resolver_config, systemDnsResolver());
    // Off, the same sidecar has neither.
    const off = sidecarConfig(stackMesh("dev"), instanceOf(stackMesh("dev"), "session-api", "east"));
    assert.ok(!off.bootstrap.static_resources.clusters.some((c) => c.name === envoyNames.tracingCluster));
  });

  it("failover upstream (dev east blockchain-core-1 → blockchain-anchor in east and west): local first, then the gateway", () => {
    const mesh = meshWith((raw) => {
      (raw.services as RawService[]).find((s) => s.name === "blockchain-anchor")!.clusters = ["east", "west"];
    });
    const instance = instanceOf(mesh, "blockchain-core", "east");
    assertSidecarGoldens("dev-east-blockchain-core-1-failover", mesh, instance);
    const upstream = clusterNamed(mesh, instance, envoyNames.upstreamCluster("blockchain-anchor"));
    const priorities = (upstream.load_assignment?.endpoints ?? []).map((e) => e.priority ?? 0);
    assert.deepEqual(priorities, [0, 1]);
    assert.ok(upstream.outlier_detection, "failover to priority 1 needs outlier detection");
    // Without a local copy the remote gateway is priority 0, so there is nothing to fail over from.
    const remoteOnly = clusterNamed(
      stackMesh("dev"),
      instanceOf(stackMesh("dev"), "blockchain-core", "east"),
      envoyNames.upstreamCluster("blockchain-anchor"),
    );
    assert.deepEqual(
      (remoteOnly.load_assignment?.endpoints ?? []).map((e) => e.priority ?? 0),
      [0],
    );
  });

  it("Kubernetes sidecar (prod east blockchain-core-1): the files parse and resolve upstreams through Consul DNS", () => {
    const mesh = stackMesh("prod");
    const instance = instanceOf(mesh, "blockchain-core", "east");
    assertSidecarGoldens("prod-east-blockchain-core-1", mesh, instance);
    for (const text of Object.values(sidecarFiles(mesh, instance))) assert.ok(load(text));
    const cluster = mesh.clusters.find((c) => c.name === "east")!;
    assert.ok(cluster.platform === "kubernetes", "prod east is a Kubernetes cluster");
    const dnsService = cluster.kubernetes.consulDnsIP;
    const config = sidecarConfig(mesh, instance);
    const upstreams = config.clusters.resources;
    assert.ok(upstreams.length > 0);
    // Pod DNS would not answer `.consul`: the server's resolver (the bootstrap's) asks the Consul DNS Service on
    // Consul's DNS port, and the upstreams, which set none, use it.
    assert.deepEqual(JSON.parse(JSON.stringify(config.bootstrap.typed_dns_resolver_config?.typed_config)).resolvers, [
      { socket_address: { address: dnsService, port_value: consulPorts.dns } },
    ]);
    for (const upstream of upstreams) {
      assert.equal(upstream.type, "STRICT_DNS", upstream.name);
      assert.equal(upstream.typed_dns_resolver_config, undefined, upstream.name);
      for (const endpoint of (upstream.load_assignment?.endpoints ?? []).flatMap((e) => e.lb_endpoints)) {
        assert.match(String(endpoint.endpoint?.address?.socket_address?.address), /\.consul$/);
      }
    }
  });
});
