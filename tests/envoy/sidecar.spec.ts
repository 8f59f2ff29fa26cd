import { strict as assert } from "assert";
import { load } from "js-yaml";
import {
  allInstances,
  allowedSourceSpiffeIds,
  instancesOf,
  findService,
  type Mesh,
  type ServiceInstance,
} from "../../model";
import { sidecarConfig, sidecarFiles, sdsFiles } from "../../envoy";
import type {
  Cluster,
  HttpConnectionManager,
  HttpRbac,
  Listener,
  LocalRateLimit,
  NetworkRbac,
  UpstreamTlsContext,
} from "../../envoy/types";
import { assertGolden } from "./golden";
import { meshWith, stackMesh } from "./helpers";

const instance = (mesh: Mesh, service: string, cluster?: string): ServiceInstance => {
  const found = instancesOf(mesh, findService(mesh, service)).find((i) => !cluster || i.cluster === cluster);
  if (!found) throw new Error(`no instance of ${service}`);
  return found;
};
const listener = (mesh: Mesh, inst: ServiceInstance, name: string): Listener => {
  const found = sidecarConfig(mesh, inst).listeners.resources.find((l) => l.name === name);
  if (!found) throw new Error(`no listener ${name}`);
  return found;
};
const hcmOf = (l: Listener): HttpConnectionManager => {
  const cfg = l.filter_chains[0]?.filters.at(-1)?.typed_config;
  if (!cfg || !("http_filters" in cfg)) throw new Error(`${l.name} has no HTTP connection manager`);
  return cfg;
};
const clusterOf = (mesh: Mesh, inst: ServiceInstance, name: string): Cluster => {
  const found = sidecarConfig(mesh, inst).clusters.resources.find((c) => c.name === name);
  if (!found) throw new Error(`no cluster ${name}`);
  return found;
};
const httpRbacPrincipals = (mesh: Mesh, inst: ServiceInstance): string[] => {
  const rbac = hcmOf(listener(mesh, inst, "inbound")).http_filters.find((f) => f.name === "envoy.filters.http.rbac");
  const rules = (rbac?.typed_config as HttpRbac).rules;
  return Object.values(rules.policies).flatMap((p) => p.principals.map((x) => x.authenticated.principal_name.exact));
};

describe("envoy sidecar", () => {
  const dev = stackMesh("dev");

  it("golden: dev east api-gateway-1 (local + failover upstreams)", () => {
    const files = sidecarFiles(dev, instance(dev, "api-gateway", "east"));
    assert.deepEqual(Object.keys(files), ["bootstrap.yaml", "listener.yaml", "cluster.yaml"]);
    for (const [name, text] of Object.entries(files))
      assertGolden(`dev-east-api-gateway-1/${name.replace(".yaml", ".golden.yaml")}`, text);
  });

  it("every file parses back as YAML and LDS/CDS hold typed resources", () => {
    for (const inst of allInstances(dev)) {
      const files = sidecarFiles(dev, inst);
      for (const key of ["listener.yaml", "cluster.yaml"]) {
        const doc = load(files[key]!) as { resources: Array<{ "@type": string }> };
        assert.ok(doc.resources.every((r) => r["@type"].startsWith("type.googleapis.com/envoy.config.")));
      }
    }
  });

  it("filter order is local_ratelimit → rbac → router", () => {
    const names = hcmOf(listener(dev, instance(dev, "blockchain-core"), "inbound")).http_filters.map((f) => f.name);
    assert.deepEqual(names, [
      "envoy.filters.http.local_ratelimit",
      "envoy.filters.http.rbac",
      "envoy.filters.http.router",
    ]);
  });

  it("RBAC allows exactly the intentions' SPIFFE IDs", () => {
    const inst = instance(dev, "blockchain-core", "east");
    const principals = httpRbacPrincipals(dev, inst);
    assert.deepEqual(principals, allowedSourceSpiffeIds(dev, "blockchain-core"));
    assert.deepEqual(principals, ["spiffe://lucid.mesh/ns/lucid/dc/east/svc/api-gateway"]);
  });

  it("removing an intention removes its SPIFFE ID from RBAC", () => {
    const without = meshWith((raw) => {
      raw.intentions = (raw.intentions as Array<{ source: string; destination: string }>).filter(
        (i) => !(i.source === "api-gateway" && i.destination === "blockchain-core"),
      );
      const api = (raw.services as Array<{ name: string; upstreams: Array<{ service: string }> }>).find(
        (s) => s.name === "api-gateway",
      )!;
      api.upstreams = api.upstreams.filter((u) => u.service !== "blockchain-core");
    });
    assert.deepEqual(httpRbacPrincipals(without, instance(without, "blockchain-core", "east")), []);
  });

  it("rate-limit values flow from the model", () => {
    const mesh = meshWith((raw) => {
      const svc = (raw.services as Array<Record<string, unknown>>).find((s) => s.name === "blockchain-core")!;
      svc.rateLimit = { requestsPerSecond: 42, burst: 84 };
    });
    const filter = hcmOf(listener(mesh, instance(mesh, "blockchain-core"), "inbound")).http_filters[0]!;
    const bucket = (filter.typed_config as LocalRateLimit).token_bucket;
    assert.deepEqual(bucket, { max_tokens: 84, tokens_per_fill: 42, fill_interval: "1s" });
  });

  it("admin binds only to loopback, in every sidecar of both stacks", () => {
    for (const mesh of [dev, stackMesh("prod")]) {
      for (const inst of allInstances(mesh)) {
        assert.equal(sidecarConfig(mesh, inst).bootstrap.admin?.address.socket_address.address, "127.0.0.1");
      }
    }
  });

  it("a TCP service gets a connection rate limit, network rbac, then tcp_proxy to local_app, with mTLS", () => {
    const prod = stackMesh("prod");
    const l = listener(prod, instance(prod, "session-recorder"), "inbound");
    const filters = l.filter_chains[0]!.filters;
    assert.deepEqual(
      filters.map((f) => f.name),
      ["envoy.filters.network.local_ratelimit", "envoy.filters.network.rbac", "envoy.filters.network.tcp_proxy"],
    );
    assert.deepEqual(
      (filters[1]!.typed_config as NetworkRbac).rules.policies.allowed_sources?.principals.map(
        (p) => p.authenticated.principal_name.exact,
      ),
      allowedSourceSpiffeIds(prod, "session-recorder"),
    );
    assert.equal((filters[2]!.typed_config as { cluster: string }).cluster, "local_app");
    assert.ok(l.filter_chains[0]!.transport_socket);
  });

  it("a gRPC service gets HTTP/2 to local_app; an HTTP one does not", () => {
    const prod = stackMesh("prod");
    const h2 = (svc: string) =>
      sidecarConfig(prod, instance(prod, svc)).bootstrap.static_resources.clusters.find((c) => c.name === "local_app")
        ?.typed_extension_protocol_options;
    assert.ok(h2("blockchain-anchor"));
    assert.equal(h2("blockchain-manager"), undefined);
  });

  it("a multi-cluster upstream has priority-1 endpoints through the local gateway, with the remote SNI", () => {
    const c = clusterOf(dev, instance(dev, "api-gateway", "east"), "upstream_blockchain-core");
    const endpoints = c.load_assignment!.endpoints;
    assert.deepEqual(
      endpoints.map((e) => e.priority),
      [0, 1],
    );
    assert.equal(
      endpoints[1]!.lb_endpoints[0]!.endpoint.address.socket_address.address,
      "mesh-gateway.service.east.consul",
    );
    assert.equal(
      endpoints[1]!.lb_endpoints[0]!.metadata?.filter_metadata["envoy.transport_socket_match"]?.datacenter,
      "west",
    );
    assert.equal(
      (c.transport_socket?.typed_config as UpstreamTlsContext).sni,
      "blockchain-core.lucid.east.internal.lucid.mesh",
    );
    assert.equal(
      (c.transport_socket_matches?.[0]?.transport_socket.typed_config as UpstreamTlsContext).sni,
      "blockchain-core.lucid.west.internal.lucid.mesh",
    );
    assert.ok(c.outlier_detection, "failover needs outlier detection");
  });

  it("each upstream TLS socket pins only the SPIFFE ID of the datacenter its endpoints are in", () => {
    const c = clusterOf(dev, instance(dev, "api-gateway", "east"), "upstream_blockchain-core");
    const sans = (socket: { typed_config: unknown } | undefined): string[] =>
      (
        socket?.typed_config as UpstreamTlsContext
      ).common_tls_context.combined_validation_context!.default_validation_context.match_typed_subject_alt_names.map(
        (m) => m.matcher.exact,
      );
    assert.deepEqual(sans(c.transport_socket), ["spiffe://lucid.mesh/ns/lucid/dc/east/svc/blockchain-core"]);
    assert.deepEqual(
      c.transport_socket_matches?.map((m) => [m.match, sans(m.transport_socket)]),
      [[{ datacenter: "west" }, ["spiffe://lucid.mesh/ns/lucid/dc/west/svc/blockchain-core"]]],
    );
  });

  it("a remote-only upstream has its gateway endpoints at priority 0", () => {
    const c = clusterOf(dev, instance(dev, "blockchain-core", "east"), "upstream_blockchain-anchor");
    assert.deepEqual(
      c.load_assignment!.endpoints.map((e) => e.priority),
      [0],
    );
  });

  it("a remote-only upstream in one datacenter has one socket, pinned to that datacenter, and no match metadata", () => {
    const c = clusterOf(dev, instance(dev, "blockchain-core", "east"), "upstream_blockchain-anchor");
    const tls = c.transport_socket?.typed_config as UpstreamTlsContext;
    assert.equal(tls.sni, "blockchain-anchor.lucid.west.internal.lucid.mesh");
    assert.deepEqual(
      tls.common_tls_context.combined_validation_context!.default_validation_context.match_typed_subject_alt_names.map(
        (m) => m.matcher.exact,
      ),
      ["spiffe://lucid.mesh/ns/lucid/dc/west/svc/blockchain-anchor"],
    );
    assert.equal(c.transport_socket_matches, undefined, "no socket that no endpoint selects");
    assert.ok(c.load_assignment!.endpoints.every((e) => e.lb_endpoints.every((l) => l.metadata === undefined)));
  });

  it("outbound HTTP listeners retry per the model and bind to loopback", () => {
    const l = listener(dev, instance(dev, "api-gateway"), "outbound_session-api");
    assert.equal(l.address.socket_address.address, "127.0.0.1");
    assert.equal(l.address.socket_address.port_value, 9102);
    const route = hcmOf(l).route_config!.virtual_hosts[0]!.routes[0]!.route!;
    // Only what was never sent is retried, and no per-try timeout (tests/envoy/dataplane.spec.ts, item 2).
    assert.deepEqual(route.retry_policy, {
      retry_on: "connect-failure,refused-stream,reset-before-request",
      num_retries: 2,
    });
    assert.equal(hcmOf(l).route_config!.virtual_hosts[0]!.routes[0]!.route!.timeout, "15s");
  });

  it("outbound HTTP listeners keep their timeouts and a JSON access log to stdout, without edge-only options", () => {
    const hcm = hcmOf(listener(dev, instance(dev, "api-gateway"), "outbound_session-api"));
    assert.equal(hcm.stream_idle_timeout, "300s");
    assert.equal(hcm.common_http_protocol_options?.idle_timeout, "3600s");
    const log = hcm.access_log?.[0]?.typed_config as { path: string; log_format: { json_format: object } };
    assert.equal(log.path, "/dev/stdout");
    assert.ok(Object.keys(log.log_format.json_format).includes("upstream_host"));
    for (const edgeOnly of ["use_remote_address", "normalize_path", "http2_protocol_options", "request_timeout"])
      assert.equal(hcm[edgeOnly as keyof HttpConnectionManager], undefined, edgeOnly);
    // The inbound listener faces the network and keeps all of them.
    const inbound = hcmOf(listener(dev, instance(dev, "api-gateway"), "inbound"));
    assert.equal(inbound.common_http_protocol_options?.headers_with_underscores_action, "REJECT_REQUEST");
    assert.equal(inbound.normalize_path, true);
    // One JSON log schema for every traffic HTTP listener (health and Prometheus log none: accessLog.spec.ts).
    assert.deepEqual(hcm.access_log, inbound.access_log);
  });

  it("the prometheus listener serves only /stats/prometheus and 404s everything else", () => {
    const routes = hcmOf(listener(dev, instance(dev, "api-gateway"), "prometheus")).route_config!.virtual_hosts[0]!
      .routes;
    assert.deepEqual(routes[0], {
      match: { path: "/stats/prometheus" },
      route: { cluster: "self_admin", prefix_rewrite: "/stats/prometheus" },
    });
    assert.deepEqual(routes.slice(1), [{ match: { prefix: "/" }, direct_response: { status: 404 } }]);
  });

  it("tracing adds the collector cluster and an OpenTelemetry provider only when enabled", () => {
    const prod = stackMesh("prod");
    const on = sidecarConfig(prod, instance(prod, "api-gateway"));
    assert.ok(on.bootstrap.static_resources.clusters.some((c) => c.name === "tracing_collector"));
    assert.ok(hcmOf(on.listeners.resources[0]!).tracing);
    const off = sidecarConfig(dev, instance(dev, "api-gateway"));
    assert.ok(!off.bootstrap.static_resources.clusters.some((c) => c.name === "tracing_collector"));
    assert.equal(hcmOf(off.listeners.resources[0]!).tracing, undefined);
  });

  it("SDS: chain and bundle inline, the key only by path", () => {
    const files = sdsFiles({ certificateChainPem: "CHAIN\n", trustBundlePem: "BUNDLE\n" });
    assert.deepEqual(Object.keys(files), ["certificate.yaml", "trust-bundle.yaml"]);
    assert.match(files["certificate.yaml"]!, /filename: \/etc\/envoy-secrets\/key\.pem/);
    assert.match(files["certificate.yaml"]!, /name: mesh_certificate/);
    assert.match(files["trust-bundle.yaml"]!, /name: mesh_trust_bundle/);
    assert.throws(() => sdsFiles({ certificateChainPem: "-----BEGIN PRIVATE KEY-----", trustBundlePem: "" }));
  });
});
