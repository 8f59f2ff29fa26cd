import { strict as assert } from "assert";
import { toYaml } from "../../model/yaml";
import { duration } from "../../envoy/common/duration";
import { localRateLimit } from "../../envoy/listener/rateLimit";
import { httpRbac, networkRbac, rbacRules } from "../../envoy/listener/rbac";
import { downstreamTls } from "../../envoy/listener/tls";
import { circuitBreakers } from "../../envoy/cluster/circuitBreakers";
import { outlierDetection } from "../../envoy/cluster/outlierDetection";
import { http2 } from "../../envoy/cluster/http2";
import { consulDnsResolver, dnsRefresh, systemDnsResolver } from "../../envoy/cluster/dns";
import { tracing } from "../../envoy/listener/tracing";
import { typeUrls } from "../../envoy/typeUrls";
import type { Cluster, FilterChain, HttpConnectionManager } from "../../envoy/types";
import type { Protocol } from "../../model";
import { dedent, stackMesh, meshWith } from "./helpers";

const hcm = (): HttpConnectionManager => ({
  "@type": typeUrls.httpConnectionManager,
  stat_prefix: "t",
  http_filters: [],
});
const chain = (): FilterChain => ({ filters: [] });
const cluster = (): Cluster => ({ "@type": typeUrls.cluster, name: "c" });

describe("envoy configurers", () => {
  describe("duration", () => {
    const cases: Array<[string, number, string]> = [
      ["whole seconds", 15, "15s"],
      ["milliseconds (seed connect timeout)", 0.25, "0.250s"],
      ["microseconds", 0.000125, "0.000125s"],
      ["zero", 0, "0s"],
    ];
    for (const [name, seconds, expected] of cases) it(name, () => assert.equal(duration(seconds), expected));
  });

  describe("localRateLimit", () => {
    const cases = [
      { name: "seed default", limit: { requestsPerSecond: 1000, burst: 2000 } },
      { name: "service override", limit: { requestsPerSecond: 5, burst: 7 } },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const target = hcm();
        localRateLimit("inbound_ratelimit", c.limit)(target);
        assert.equal(
          toYaml(target.http_filters),
          dedent(`
            - name: envoy.filters.http.local_ratelimit
              typed_config:
                '@type': type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
                filter_enabled:
                  default_value:
                    denominator: HUNDRED
                    numerator: 100
                  runtime_key: local_rate_limit_enabled
                filter_enforced:
                  default_value:
                    denominator: HUNDRED
                    numerator: 100
                  runtime_key: local_rate_limit_enforced
                stat_prefix: inbound_ratelimit
                token_bucket:
                  fill_interval: 1s
                  max_tokens: ${c.limit.burst}
                  tokens_per_fill: ${c.limit.requestsPerSecond}
          `),
        );
      });
    }
  });

  describe("rbac", () => {
    it("no allowed sources: ALLOW with no policies, which allows nothing", () => {
      assert.equal(toYaml(rbacRules([])), "action: ALLOW\npolicies: {}\n");
    });
    it("one principal per SPIFFE ID, exact match", () => {
      assert.equal(
        toYaml(rbacRules(["spiffe://td/ns/n/dc/a/svc/x", "spiffe://td/ns/n/dc/b/svc/x"])),
        dedent(`
          action: ALLOW
          policies:
            allowed_sources:
              permissions:
              - any: true
              principals:
              - authenticated:
                  principal_name:
                    exact: spiffe://td/ns/n/dc/a/svc/x
              - authenticated:
                  principal_name:
                    exact: spiffe://td/ns/n/dc/b/svc/x
        `),
      );
    });
    it("http variant appends one HTTP filter", () => {
      const target = hcm();
      httpRbac(["spiffe://a"])(target);
      assert.deepEqual(
        target.http_filters.map((f) => f.name),
        ["envoy.filters.http.rbac"],
      );
    });
    it("network variant carries a stat prefix", () => {
      const target = chain();
      networkRbac("inbound_rbac", ["spiffe://a"])(target);
      assert.equal(target.filters[0]?.name, "envoy.filters.network.rbac");
      assert.equal((target.filters[0]?.typed_config as { stat_prefix: string }).stat_prefix, "inbound_rbac");
    });
  });

  describe("downstreamTls", () => {
    const cases = [
      { name: "http offers h2 and http/1.1", alpn: ["h2", "http/1.1"] },
      { name: "tcp offers no ALPN", alpn: [] },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const target = chain();
        downstreamTls({ alpnProtocols: c.alpn })(target);
        const tls = target.transport_socket?.typed_config;
        assert.ok(tls && "require_client_certificate" in tls);
        assert.equal(tls.require_client_certificate, true);
        assert.equal(tls.common_tls_context.tls_params.tls_minimum_protocol_version, "TLSv1_2");
        assert.equal(tls.common_tls_context.tls_certificate_sds_secret_configs[0]?.name, "mesh_certificate");
        assert.equal(tls.common_tls_context.validation_context_sds_secret_config?.name, "mesh_trust_bundle");
        assert.deepEqual(tls.common_tls_context.alpn_protocols, c.alpn.length ? c.alpn : undefined);
      });
    }
  });

  describe("circuitBreakers", () => {
    it("copies the defaults into one threshold (priority unset: DEFAULT)", () => {
      const target = cluster();
      circuitBreakers({ maxConnections: 1, maxPendingRequests: 2, maxRequests: 3, maxRetries: 4 })(target);
      assert.equal(
        toYaml(target.circuit_breakers),
        dedent(`
          thresholds:
          - max_connections: 1
            max_pending_requests: 2
            max_requests: 3
            max_retries: 4
        `),
      );
    });
  });

  describe("outlierDetection", () => {
    it("seed values: 5 consecutive 5xx, 30 s ejection", () => {
      const target = cluster();
      outlierDetection(stackMesh("dev").defaults.outlierDetection)(target);
      assert.deepEqual(target.outlier_detection, {
        consecutive_5xx: 5,
        interval: "10s",
        base_ejection_time: "30s",
        max_ejection_percent: 50,
      });
    });
  });

  describe("http2", () => {
    const cases: Array<[Protocol, boolean]> = [
      ["grpc", true],
      ["http2", true],
      ["http", false],
      ["tcp", false],
    ];
    for (const [protocol, expected] of cases) {
      it(`${protocol}: ${expected ? "HTTP/2" : "default protocol"}`, () => {
        const target = cluster();
        http2(protocol)(target);
        const options =
          target.typed_extension_protocol_options?.["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
        assert.equal(options !== undefined, expected);
        if (options) assert.deepEqual(options.explicit_http_config, { http2_protocol_options: {} });
      });
    }
  });

  describe("dns", () => {
    it("points c-ares at the cluster's Consul DNS on 8600", () => {
      const mesh = stackMesh("dev");
      const resolver = consulDnsResolver(mesh.clusters[0]!);
      assert.equal(resolver.name, "envoy.network.dns_resolver.cares");
      assert.match(toYaml(resolver), /address: 10\.10\.1\.10\n\s+port_value: 8600/);
      assert.match(toYaml(resolver), /no_default_search_domain: true/);
    });

    it("the system resolver: c-ares on resolv.conf, its own default (127.0.0.1:53) only as the fallback", () => {
      assert.deepEqual(JSON.parse(JSON.stringify(systemDnsResolver())), {
        name: "envoy.network.dns_resolver.cares",
        typed_config: {
          "@type": "type.googleapis.com/envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig",
          resolvers: [{ socket_address: { address: "127.0.0.1", port_value: 53 } }],
          use_resolvers_as_fallback: true,
        },
      });
    });

    it("refresh, TTL and lookup family stay per cluster, and set no resolver", () => {
      const target = cluster();
      dnsRefresh()(target);
      assert.equal(target.respect_dns_ttl, true);
      assert.ok(target.dns_refresh_rate);
      assert.equal(target.dns_lookup_family, "V4_ONLY");
      assert.equal(target.typed_dns_resolver_config, undefined);
    });
  });

  describe("tracing", () => {
    it("off: no tracing block", () => {
      const target = hcm();
      tracing(stackMesh("dev"), "svc")(target);
      assert.equal(target.tracing, undefined);
    });
    it("on: OpenTelemetry to the collector cluster", () => {
      const target = hcm();
      const mesh = meshWith((raw) => void (raw.observability = { tracing: { enabled: true } }));
      tracing(mesh, "svc")(target);
      assert.equal(target.tracing?.provider.name, "envoy.tracers.opentelemetry");
      assert.match(toYaml(target.tracing), /cluster_name: tracing_collector/);
    });
  });
});
