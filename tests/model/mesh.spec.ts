import { strict as assert } from "node:assert";
import {
  allInstances,
  allowedSourceSpiffeIds,
  consulDnsName,
  dockerConsulEsmContainerName,
  dockerGatewayContainerName,
  dockerWanAddress,
  consulServiceId,
  envoyNames,
  exportedServices,
  findCluster,
  findService,
  instanceName,
  intentionAllows,
  isAllowed,
  multiClusterServices,
  parseMeshConfig,
  serviceSni,
  sniName,
  spiffeId,
  trustDomainId,
  upstreamPlacement,
} from "../../model";
import { rawMeshConfig, stackMesh } from "../helpers/stacks";

describe("model: defaults from the seed", () => {
  const mesh = parseMeshConfig({
    clusters: [{ name: "east", platform: "docker", docker: { subnet: "10.10.1.0/24" }, consul: { servers: 1 } }],
    services: [{ name: "api-gateway", port: 8080, clusters: ["east"] }],
  });

  it("rate limit is 1000 rps with a burst of 2000", () => {
    assert.deepEqual(mesh.defaults.rateLimit, { requestsPerSecond: 1000, burst: 2000 });
    assert.deepEqual(findService(mesh, "api-gateway").rateLimit, { requestsPerSecond: 1000, burst: 2000 });
  });
  it("circuit breaker trips after 5 consecutive failures and recovers in 30 s", () => {
    assert.equal(mesh.defaults.outlierDetection.consecutive5xx, 5);
    assert.equal(mesh.defaults.outlierDetection.baseEjectionSeconds, 30);
  });
  it("connect timeout is 0.25 s", () => {
    assert.equal(mesh.defaults.connectTimeoutSeconds, 0.25);
  });
  it("max connections, pending and requests are 1000", () => {
    const cb = mesh.defaults.circuitBreaker;
    assert.deepEqual([cb.maxConnections, cb.maxPendingRequests, cb.maxRequests], [1000, 1000, 1000]);
  });
  it("certificates last 90 days and renew a third before expiry", () => {
    assert.equal(mesh.security.certValidityDays, 90);
    assert.equal(mesh.security.earlyRenewalDays, 30);
    assert.equal(mesh.security.mtls, "strict");
  });
  it("Envoy admin is on 15000 and the proxy on 15001", () => {
    assert.equal(mesh.sidecar.adminPort, 15000);
    assert.equal(mesh.sidecar.proxyPort, 15001);
    assert.equal(mesh.sidecar.metricsPort, 15090);
  });
  it("pins the Envoy image to the 1.31 line our protos describe", () => {
    assert.match(mesh.sidecar.image, /^envoyproxy\/envoy:v1\.31\.\d+$/);
  });
  it("metrics are on and tracing is a switch, off by default", () => {
    assert.equal(mesh.observability.metrics, true);
    assert.equal(mesh.observability.tracing.enabled, false);
  });
  it("the service registry TTL is 60 s with 30 s / 10 s checks", () => {
    assert.equal(mesh.discovery.registryTtlSeconds, 60);
    assert.equal(mesh.discovery.healthCheckIntervalSeconds, 30);
    assert.equal(mesh.discovery.healthCheckTimeoutSeconds, 10);
  });
  it("intentions default to deny, the namespace to lucid and the trust domain to lucid.mesh", () => {
    assert.equal(mesh.security.defaultIntention, "deny");
    assert.equal(mesh.namespace, "lucid");
    assert.equal(mesh.trustDomain, "lucid.mesh");
  });
  it("a service's own rate limit overrides the default", () => {
    const raw = rawMeshConfig("dev");
    (raw.services as Array<Record<string, unknown>>)[0]!.rateLimit = { requestsPerSecond: 50, burst: 100 };
    const custom = parseMeshConfig(raw);
    const name = (raw.services as Array<{ name: string }>)[0]!.name;
    assert.deepEqual(findService(custom, name).rateLimit, { requestsPerSecond: 50, burst: 100 });
  });
});

describe("model: derived names", () => {
  const ref = { trustDomain: "lucid.mesh", namespace: "lucid", datacenter: "east", service: "session-api" };
  it("SPIFFE IDs follow Consul's format", () => {
    assert.equal(spiffeId(ref), "spiffe://lucid.mesh/ns/lucid/dc/east/svc/session-api");
    assert.equal(trustDomainId("lucid.mesh"), "spiffe://lucid.mesh");
  });
  it("SNI names follow Consul's format", () => {
    assert.equal(sniName(ref), "session-api.lucid.east.internal.lucid.mesh");
  });
  it("Consul names: DNS, service IDs numbered like the seed, instance names unique per cluster", () => {
    assert.equal(consulDnsName("session-api", "east"), "session-api.service.east.consul");
    assert.equal(consulServiceId("api-gateway", 1), "api-gateway-1");
    assert.equal(instanceName("east", "api-gateway", 1), "east-api-gateway-1");
  });
  it("Envoy cluster and listener names", () => {
    assert.equal(envoyNames.upstreamCluster("session-api"), "upstream_session-api");
    assert.equal(envoyNames.outboundListener("session-api"), "outbound_session-api");
  });
});

describe("model: the resolved prod mesh's Kubernetes address plan", () => {
  it("reaches Consul by its Services' DNS names in the mesh namespace, and the API at its reserved address", () => {
    const east = stackMesh("prod").clusters.find((c) => c.name === "east")!;
    assert.ok(east.platform === "kubernetes");
    const ns = east.kubernetes.namespace;
    assert.deepEqual(east.addresses, {
      consulServerNodePrefix: "consul-server-",
      consulServerHosts: [0, 1, 2].map((i) => `consul-server-${i}.consul-server-headless.${ns}.svc`),
      consulServersAdvertiseHost: false,
      consulApiHost: `consul-server.${ns}.svc`,
      consulServerIpAddresses: [east.kubernetes.consulApiAddress],
      peeringHosts: [east.consul.peeringAddress],
      serviceDomains: [ns, `${ns}.svc`],
      catalogAddressing: { kind: "service-dns", domain: `${ns}.svc` },
      metricsDiscovery: { kind: "kubernetes-pods", namespace: ns },
    });
  });
});

describe("model: the resolved dev mesh", () => {
  const mesh = stackMesh("dev");

  it("works out each Docker cluster's address plan and names once, in the model", () => {
    const east = mesh.clusters.find((c) => c.name === "east")!;
    assert.ok(east.platform === "docker");
    assert.deepEqual(east.docker, {
      host: east.docker.host,
      subnet: "10.10.1.0/24",
      consulServerAddresses: ["10.10.1.10"],
      consulServerWanAddresses: ["10.10.255.100"],
      gatewayAddress: "10.10.1.5",
      aclBootstrapAddress: "10.10.1.3",
      consulEsmAddress: "10.10.1.4",
      dynamicIpRange: "10.10.1.128/25",
      networkName: "lucid-mesh-east",
    });
    assert.deepEqual(east.addresses, {
      consulServerNodePrefix: "east-consul-",
      consulServerHosts: ["10.10.1.10"],
      consulServersAdvertiseHost: true,
      consulApiHost: "10.10.1.10",
      consulServerIpAddresses: ["10.10.1.10"],
      peeringHosts: ["10.10.255.100"],
      serviceDomains: [],
      catalogAddressing: { kind: "instance-name" },
      metricsDiscovery: { kind: "static", scope: "docker" },
    });
    assert.equal(east.gateway.wanAddress, dockerWanAddress(0));
    assert.equal(dockerGatewayContainerName("east"), "east-mesh-gateway");
    assert.equal(dockerConsulEsmContainerName("east"), "east-consul-esm");
  });

  it("places Docker clusters on the WAN network by name, whatever order the config lists them in", () => {
    const raw = rawMeshConfig("dev");
    (raw["clusters"] as unknown[]).reverse();
    const reversed = parseMeshConfig(raw);
    assert.deepEqual(reversed.clusters, mesh.clusters);
  });

  it("has two docker clusters with fixed Consul DNS addresses", () => {
    assert.deepEqual(
      mesh.clusters.map((c) => [c.name, c.platform, c.consulDnsAddresses]),
      [
        ["east", "docker", ["10.10.1.10"]],
        ["west", "docker", ["10.10.2.10"]],
      ],
    );
  });
  it("lists services and instances in a stable order", () => {
    assert.deepEqual(
      mesh.services.map((s) => s.name),
      [...mesh.services.map((s) => s.name)].sort(),
    );
    assert.deepEqual(
      allInstances(mesh).map((i) => i.name),
      [
        "east-api-gateway-1",
        "east-blockchain-core-1",
        "east-session-api-1",
        "east-session-recorder-1",
        "west-blockchain-anchor-1",
        "west-blockchain-core-1",
        "west-blockchain-manager-1",
        "west-session-api-1",
        "west-session-processor-1",
      ],
    );
  });
  it("sorts upstreams by service name whatever the config order", () => {
    assert.deepEqual(
      findService(mesh, "session-api").upstreams.map((u) => u.service),
      ["session-processor", "session-recorder"],
    );
  });
  it("has services in both clusters, so failover exists", () => {
    assert.deepEqual(
      multiClusterServices(mesh).map((s) => s.name),
      ["blockchain-core", "session-api"],
    );
  });
  it("places upstreams locally and remotely", () => {
    assert.deepEqual(upstreamPlacement(mesh, "east", "session-api"), { local: true, remoteClusters: ["west"] });
    assert.deepEqual(upstreamPlacement(mesh, "east", "session-processor"), { local: false, remoteClusters: ["west"] });
  });
  it("exports to peers exactly the services called from another cluster", () => {
    assert.deepEqual(
      exportedServices(mesh, "west").map((s) => s.name),
      ["blockchain-anchor", "blockchain-core", "blockchain-manager", "session-api", "session-processor"],
    );
    assert.deepEqual(
      exportedServices(mesh, "east").map((s) => s.name),
      ["session-recorder"],
    );
  });
  it("allows exactly the intended callers, with one SPIFFE ID per caller cluster", () => {
    assert.deepEqual(allowedSourceSpiffeIds(mesh, "blockchain-core"), [
      "spiffe://lucid.mesh/ns/lucid/dc/east/svc/api-gateway",
    ]);
    assert.deepEqual(allowedSourceSpiffeIds(mesh, "session-recorder"), [
      "spiffe://lucid.mesh/ns/lucid/dc/east/svc/session-api",
      "spiffe://lucid.mesh/ns/lucid/dc/west/svc/session-api",
    ]);
    assert.equal(isAllowed(mesh, "session-recorder", "api-gateway"), false);
  });
  it("SNI uses the datacenter", () => {
    assert.equal(
      serviceSni(mesh, "session-api", findCluster(mesh, "west").datacenter),
      "session-api.lucid.west.internal.lucid.mesh",
    );
  });
  it("places Docker gateways on the WAN network in name order: swapping clusters in the config moves nothing", () => {
    const raw = rawMeshConfig("dev");
    const swapped = { ...raw, clusters: [...(raw.clusters as unknown[])].reverse() };
    const wan = (m: ReturnType<typeof parseMeshConfig>) =>
      Object.fromEntries(m.clusters.map((c) => [c.name, c.gateway.wanAddress]));
    assert.deepEqual(wan(parseMeshConfig(swapped)), wan(parseMeshConfig(raw)));
    assert.deepEqual(wan(parseMeshConfig(raw)), { east: "10.10.255.10", west: "10.10.255.11" });
  });
  it("gives each docker gateway its own WAN address", () => {
    const addresses = mesh.clusters.map((c) => c.gateway.wanAddress);
    assert.equal(new Set(addresses).size, addresses.length);
  });
  it("is deterministic: the same input gives an identical model", () => {
    assert.equal(JSON.stringify(stackMesh("dev")), JSON.stringify(mesh));
  });
});

describe("model: intention precedence", () => {
  const allow = (source: string, destination: string) => ({ source, destination, action: "allow" as const });
  const deny = (source: string, destination: string) => ({ source, destination, action: "deny" as const });

  it("an exact intention beats a wildcard", () => {
    assert.equal(intentionAllows([deny("*", "b"), allow("a", "b")], "deny", "a", "b"), true);
    assert.equal(intentionAllows([allow("*", "b"), deny("a", "b")], "deny", "a", "b"), false);
  });
  it("with nothing matching, the default decides", () => {
    assert.equal(intentionAllows([], "deny", "a", "b"), false);
    assert.equal(intentionAllows([], "allow", "a", "b"), true);
  });
  it("a deny wins a tie", () => {
    assert.equal(intentionAllows([allow("a", "b"), deny("a", "b")], "allow", "a", "b"), false);
  });
});
