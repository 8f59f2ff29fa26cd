import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { runEnvoyValidate } from "../../envoy/validator/cli";
import type { ConfigFile, ValidationIssue } from "../../envoy/validator";
import { getRoot, loadStats, validateConfigSet, validateConfigSetSync, validateMessage } from "../../envoy/validator";

const FIXTURES = path.join(__dirname, "fixtures");
const SET_FILES = ["envoy.yaml", "lds.yaml", "cds.yaml", "sds-svid.yaml", "sds-trust-bundle.yaml"];

type Doc = Record<string, unknown>;

function fixtureSet(): ConfigFile[] {
  return SET_FILES.map((f) => ({ path: f, content: fs.readFileSync(path.join(FIXTURES, f), "utf8") }));
}

/** The fixture set with one file parsed, changed by `fn`, and written back (as JSON, which is YAML). */
function mutated(file: string, fn: (doc: Doc) => void): ConfigFile[] {
  return fixtureSet().map((f) => {
    if (f.path !== file) return f;
    const doc = yaml.load(f.content) as Doc;
    fn(doc);
    return { path: f.path, content: JSON.stringify(doc, null, 1) };
  });
}

/** Walks a dotted/indexed path ("resources[0].name") inside a parsed document. */
function at(doc: unknown, p: string): Doc {
  let cur: unknown = doc;
  for (const part of p.match(/[^.[\]]+/g) ?? []) {
    cur = (cur as Record<string, unknown>)[/^\d+$/.test(part) ? Number(part) : part];
    if (cur === undefined) throw new Error(`fixture path ${p} not found at ${part}`);
  }
  return cur as Doc;
}

const errors = (issues: ValidationIssue[]): ValidationIssue[] => issues.filter((i) => i.severity === "error");
const fmt = (issues: ValidationIssue[]): string =>
  issues.map((i) => `${i.file}: ${i.path}: ${i.severity}: ${i.message}`).join("\n");

function expectError(issues: ValidationIssue[], file: string, p: string, message: RegExp): void {
  const hit = errors(issues).find((i) => i.file === file && i.path === p && message.test(i.message));
  assert.ok(hit, `expected error at ${file}: ${p} matching ${message}, got:\n${fmt(issues)}`);
}

const HCM = "resources[0].filter_chains[0].filters[0].typed_config";
const TLS = "resources[0].filter_chains[0].transport_socket.typed_config";

describe("envoy validator", () => {
  before(() => {
    getRoot();
  });

  describe("valid configs", () => {
    it("accepts the fixture set (bootstrap + file LDS/CDS + SDS) without errors or warnings", async () => {
      const issues = await validateConfigSet(fixtureSet());
      assert.deepEqual(issues, [], fmt(issues));
    });

    it("validates a single LDS file structurally and only warns about references it cannot see", () => {
      const issues = validateConfigSetSync(fixtureSet().filter((f) => f.path === "lds.yaml"));
      assert.deepEqual(errors(issues), [], fmt(issues));
      assert.ok(issues.some((i) => /not part of the config set/.test(i.message)));
    });

    it("accepts lowerCamelCase JSON names everywhere", () => {
      const camel = (v: unknown): unknown => {
        if (Array.isArray(v)) return v.map(camel);
        if (v === null || typeof v !== "object") return v;
        const out: Doc = {};
        for (const [k, x] of Object.entries(v))
          out[k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())] = camel(x);
        return out;
      };
      const set = fixtureSet().map((f) => ({ path: f.path, content: JSON.stringify(camel(yaml.load(f.content))) }));
      assert.ok(set[1]?.content.includes("filterChains"));
      const issues = validateConfigSetSync(set);
      assert.deepEqual(issues, [], fmt(issues));
    });

    it("accepts google.protobuf.Struct content (metadata) and rejects a non-object Struct", () => {
      const ok = mutated("cds.yaml", (d) => {
        at(d, "resources[0]").metadata = {
          filter_metadata: { "mesh.lucid": { team: "orders", tiers: [1, "two", { x: null }], on: true } },
        };
      });
      assert.deepEqual(validateConfigSetSync(ok), []);
      const bad = mutated("cds.yaml", (d) => {
        at(d, "resources[0]").metadata = { filter_metadata: { "mesh.lucid": ["not", "an", "object"] } };
      });
      expectError(
        validateConfigSetSync(bad),
        "cds.yaml",
        'resources[0].metadata.filter_metadata["mesh.lucid"]',
        /expected an object \(Struct\)/,
      );
    });

    it("accepts enums by number, wrappers as scalars and durations in object form", () => {
      const set = mutated("cds.yaml", (d) => {
        const c = at(d, "resources[2]");
        c.lb_policy = 1;
        c.connect_timeout = { seconds: 1, nanos: 500000000 };
        at(c, "circuit_breakers.thresholds[0]").max_connections = "2048";
        at(c, "outlier_detection").consecutive_5xx = 7;
      });
      assert.deepEqual(validateConfigSetSync(set), []);
    });

    it("validateMessage checks one object against a named type", () => {
      assert.deepEqual(validateMessage("envoy.config.core.v3.SocketAddress", { address: "::1", port_value: 80 }), []);
      const issues = validateMessage("envoy.config.core.v3.SocketAddress", { address: "::1", port_value: 70000 });
      expectError(issues, "", "port_value", /less than or equal to 65535/);
      assert.match(validateMessage("no.such.Type", {})[0]?.message ?? "", /unknown message type/);
    });
  });

  describe("mutations (one broken thing each)", () => {
    it("misspelled field in an HTTP filter", () => {
      const set = mutated("lds.yaml", (d) => {
        at(d, `${HCM}.http_filters[2]`).typo = true;
        const lr = at(d, `${HCM}.http_filters[0].typed_config`);
        lr.stat_prefx = lr.stat_prefix;
        delete lr.stat_prefix;
      });
      const issues = validateConfigSetSync(set);
      expectError(issues, "lds.yaml", `${HCM}.http_filters[2]`, /unknown field "typo"/);
      expectError(
        issues,
        "lds.yaml",
        `${HCM}.http_filters[0].typed_config`,
        /unknown field "stat_prefx" \(did you mean "stat_prefix"\?\)/,
      );
    });

    it("wrong @type", () => {
      const set = mutated("lds.yaml", (d) => {
        at(d, `${HCM}.http_filters[1].typed_config`)["@type"] =
          "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACC";
      });
      expectError(
        validateConfigSetSync(set),
        "lds.yaml",
        `${HCM}.http_filters[1].typed_config.@type`,
        /unknown type .*RBACC/,
      );
    });

    it("token bucket max_tokens of zero", () => {
      const set = mutated("lds.yaml", (d) => {
        at(d, `${HCM}.http_filters[0].typed_config.token_bucket`).max_tokens = 0;
      });
      expectError(
        validateConfigSetSync(set),
        "lds.yaml",
        `${HCM}.http_filters[0].typed_config.token_bucket.max_tokens`,
        /greater than 0/,
      );
    });

    it("token bucket without max_tokens (PGV checks the implicit default)", () => {
      const set = mutated("lds.yaml", (d) => {
        delete at(d, `${HCM}.http_filters[0].typed_config.token_bucket`).max_tokens;
      });
      expectError(
        validateConfigSetSync(set),
        "lds.yaml",
        `${HCM}.http_filters[0].typed_config.token_bucket.max_tokens`,
        /greater than 0/,
      );
    });

    it("'250ms' is not a protobuf duration", () => {
      const set = mutated("cds.yaml", (d) => {
        at(d, "resources[0]").connect_timeout = "250ms";
      });
      expectError(
        validateConfigSetSync(set),
        "cds.yaml",
        "resources[0].connect_timeout",
        /invalid duration "250ms".*"0.250s"/,
      );
    });

    it("duration bounds from PGV (dns_refresh_rate must be > 1ms)", () => {
      const set = mutated("cds.yaml", (d) => {
        at(d, "resources[2]").dns_refresh_rate = "0s";
      });
      expectError(validateConfigSetSync(set), "cds.yaml", "resources[2].dns_refresh_rate", /greater than 0.001s/);
    });

    it("missing router", () => {
      const set = mutated("lds.yaml", (d) => {
        (at(d, HCM).http_filters as unknown[]).pop();
      });
      expectError(validateConfigSetSync(set), "lds.yaml", `${HCM}.http_filters`, /no router filter/);
    });

    it("router not last", () => {
      const set = mutated("lds.yaml", (d) => {
        const filters = at(d, HCM).http_filters as unknown[];
        filters.unshift(filters.pop());
      });
      expectError(
        validateConfigSetSync(set),
        "lds.yaml",
        `${HCM}.http_filters[0]`,
        /router filter must be the last HTTP filter.*local_ratelimit/,
      );
    });

    it("route to an unknown cluster (route.cluster, weighted_clusters, tcp_proxy, tracing collector)", () => {
      const set = mutated("lds.yaml", (d) => {
        const vh = `${HCM}.route_config.virtual_hosts[0]`;
        at(d, `${vh}.routes[0].route`).cluster = "paymnts";
        at(d, `${vh}.routes[1].route.weighted_clusters.clusters[1]`).name = "canary_gone";
        at(d, "resources[1].filter_chains[0].filters[0].typed_config").cluster = "pg";
        at(d, `${HCM}.tracing.provider.typed_config.grpc_service.envoy_grpc`).cluster_name = "otel";
      });
      const issues = validateConfigSetSync(set);
      const vh = `${HCM}.route_config.virtual_hosts[0]`;
      expectError(
        issues,
        "lds.yaml",
        `${vh}.routes[0].route.cluster`,
        /unknown cluster "paymnts".*known clusters: .*payments/,
      );
      expectError(
        issues,
        "lds.yaml",
        `${vh}.routes[1].route.weighted_clusters.clusters[1].name`,
        /unknown cluster "canary_gone"/,
      );
      expectError(
        issues,
        "lds.yaml",
        "resources[1].filter_chains[0].filters[0].typed_config.cluster",
        /unknown cluster "pg"/,
      );
      expectError(
        issues,
        "lds.yaml",
        `${HCM}.tracing.provider.typed_config.grpc_service.envoy_grpc.cluster_name`,
        /unknown cluster "otel"/,
      );
    });

    it("duplicate listener port", () => {
      const set = mutated("lds.yaml", (d) => {
        at(d, "resources[1].address.socket_address").address = "0.0.0.0";
        at(d, "resources[1].address.socket_address").port_value = 15443;
      });
      expectError(
        validateConfigSetSync(set),
        "lds.yaml",
        "resources[1].address",
        /TCP 0.0.0.0:15443, already used by listener "inbound_mtls"/,
      );
    });

    it("duplicate listener names across bootstrap and LDS", () => {
      const set = mutated("envoy.yaml", (d) => {
        at(d, "static_resources").listeners = [
          {
            name: "outbound_postgres",
            address: { socket_address: { address: "127.0.0.1", port_value: 16000 } },
            filter_chains: [],
          },
        ];
      });
      expectError(
        validateConfigSetSync(set),
        "lds.yaml",
        "resources[1]",
        /duplicate listener name "outbound_postgres"/,
      );
    });

    it("duplicate cluster names (CDS and bootstrap static)", () => {
      const set = mutated("cds.yaml", (d) => {
        at(d, "resources[1]").name = "local_app";
        at(d, "resources[3]").name = "otel_collector";
      });
      const issues = validateConfigSetSync(set);
      expectError(
        issues,
        "cds.yaml",
        "resources[1]",
        /duplicate cluster name "local_app" \(first defined at cds.yaml: resources\[0\]\)/,
      );
      expectError(
        issues,
        "cds.yaml",
        "resources[3]",
        /duplicate cluster name "otel_collector" \(first defined at envoy.yaml/,
      );
    });

    it("unknown SDS secret", () => {
      const set = mutated("lds.yaml", (d) => {
        at(d, `${TLS}.common_tls_context.tls_certificate_sds_secret_configs[0]`).name = "orders_svid_v2";
      });
      expectError(
        validateConfigSetSync(set),
        "lds.yaml",
        `${TLS}.common_tls_context.tls_certificate_sds_secret_configs[0].name`,
        /unknown SDS secret "orders_svid_v2": not found in sds-svid.yaml \(it defines orders_svid\)/,
      );
    });

    it("unknown static secret (SdsSecretConfig without sds_config)", () => {
      const set = mutated("lds.yaml", (d) => {
        delete at(d, `${TLS}.common_tls_context.validation_context_sds_secret_config`).sds_config;
      });
      expectError(
        validateConfigSetSync(set),
        "lds.yaml",
        `${TLS}.common_tls_context.validation_context_sds_secret_config.name`,
        /unknown secret "mesh_trust_bundle": no static secret/,
      );
    });

    it("wrong scalar types (string for bool, string for uint32, number for string, object for list)", () => {
      const set = mutated("lds.yaml", (d) => {
        at(d, TLS).require_client_certificate = "yes";
        at(d, `${HCM}.http_filters[0].typed_config.token_bucket`).tokens_per_fill = "lots";
        at(d, HCM).stat_prefix = 7;
        at(d, `${HCM}.route_config.virtual_hosts[0]`).domains = "*";
      });
      const issues = validateConfigSetSync(set);
      expectError(issues, "lds.yaml", `${TLS}.require_client_certificate`, /expected a boolean .* got string "yes"/);
      expectError(
        issues,
        "lds.yaml",
        `${HCM}.http_filters[0].typed_config.token_bucket.tokens_per_fill`,
        /expected an integer \(uint32\)/,
      );
      expectError(issues, "lds.yaml", `${HCM}.stat_prefix`, /expected a string, got number 7/);
      expectError(issues, "lds.yaml", `${HCM}.route_config.virtual_hosts[0].domains`, /expected a list/);
    });

    it("enum name that does not exist", () => {
      const set = mutated("cds.yaml", (d) => {
        at(d, "resources[2]").lb_policy = "LEAST_REQUESTS";
      });
      expectError(
        validateConfigSetSync(set),
        "cds.yaml",
        "resources[2].lb_policy",
        /unknown enum value "LEAST_REQUESTS" for envoy.config.cluster.v3.Cluster.LbPolicy/,
      );
    });

    it("negative and too-large unsigned integers", () => {
      const set = mutated("cds.yaml", (d) => {
        const t = at(d, "resources[2].circuit_breakers.thresholds[0]");
        t.max_connections = -1;
        t.max_requests = 4294967296;
      });
      const issues = validateConfigSetSync(set);
      expectError(
        issues,
        "cds.yaml",
        "resources[2].circuit_breakers.thresholds[0].max_connections",
        /out of range for uint32/,
      );
      expectError(
        issues,
        "cds.yaml",
        "resources[2].circuit_breakers.thresholds[0].max_requests",
        /out of range for uint32/,
      );
    });

    it("missing required values: cluster name (min_len 1), stat_prefix, path_specifier oneof", () => {
      const cds = mutated("cds.yaml", (d) => {
        delete at(d, "resources[3]").name;
      });
      expectError(validateConfigSetSync(cds), "cds.yaml", "resources[3].name", /length must be at least 1/);
      const lds = mutated("lds.yaml", (d) => {
        delete at(d, HCM).stat_prefix;
        delete at(d, `${HCM}.http_filters[0].typed_config`).token_bucket;
        at(d, `${HCM}.route_config.virtual_hosts[0].routes[0].match`).prefix = undefined;
      });
      const issues = validateConfigSetSync(lds);
      expectError(issues, "lds.yaml", `${HCM}.stat_prefix`, /length must be at least 1/);
      expectError(
        issues,
        "lds.yaml",
        `${HCM}.route_config.virtual_hosts[0].routes[0].match`,
        /one of prefix, path, .* is required \(oneof "path_specifier"\)/,
      );
      // LocalRateLimit.token_bucket carries no PGV rule (it may come from descriptors), so leaving it out is fine.
      assert.ok(!errors(issues).some((i) => i.path.endsWith("token_bucket")), fmt(issues));
    });

    it("repeated min_items violation (virtual host domains)", () => {
      const set = mutated("lds.yaml", (d) => {
        at(d, `${HCM}.route_config.virtual_hosts[0]`).domains = [];
      });
      expectError(
        validateConfigSetSync(set),
        "lds.yaml",
        `${HCM}.route_config.virtual_hosts[0].domains`,
        /at least 1 item/,
      );
    });

    it("c-ares with no resolvers (min_items 1): the system resolver must name a fallback instead", () => {
      const set = mutated("cds.yaml", (d) => {
        at(d, "resources[2].typed_dns_resolver_config.typed_config").resolvers = [];
      });
      expectError(
        validateConfigSetSync(set),
        "cds.yaml",
        "resources[2].typed_dns_resolver_config.typed_config.resolvers",
        /at least 1 item/,
      );
    });

    it("the bootstrap's typed_dns_resolver_config is checked like a cluster's (wrong field, empty resolvers)", () => {
      const resolver = (config: Doc): ConfigFile[] =>
        mutated("envoy.yaml", (d) => {
          d.typed_dns_resolver_config = {
            name: "envoy.network.dns_resolver.cares",
            typed_config: {
              "@type": "type.googleapis.com/envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig",
              ...config,
            },
          };
        });
      const consul = { resolvers: [{ socket_address: { address: "10.0.0.10", port_value: 8600 } }] };
      assert.deepEqual(errors(validateConfigSetSync(resolver(consul))), []);
      expectError(
        validateConfigSetSync(resolver({ ...consul, resolver: [] })),
        "envoy.yaml",
        "typed_dns_resolver_config.typed_config",
        /unknown field "resolver"/,
      );
      expectError(
        validateConfigSetSync(resolver({ resolvers: [] })),
        "envoy.yaml",
        "typed_dns_resolver_config.typed_config.resolvers",
        /at least 1 item/,
      );
    });

    it("repeated items rule (FilterChainMatch source_ports 1..65535)", () => {
      const set = mutated("lds.yaml", (d) => {
        at(d, "resources[0].filter_chains[0]").filter_chain_match = { source_ports: [443, 0] };
      });
      expectError(
        validateConfigSetSync(set),
        "lds.yaml",
        "resources[0].filter_chains[0].filter_chain_match.source_ports[1]",
        /greater than or equal to 1/,
      );
    });

    it("oneof required violation (route action, route_specifier)", () => {
      const set = mutated("lds.yaml", (d) => {
        delete at(d, `${HCM}.route_config.virtual_hosts[0].routes[1]`).route;
        delete at(d, `${HCM}.route_config.virtual_hosts[0].routes[0]`).match;
      });
      const issues = validateConfigSetSync(set);
      expectError(
        issues,
        "lds.yaml",
        `${HCM}.route_config.virtual_hosts[0].routes[1]`,
        /one of route, redirect, direct_response.* is required \(oneof "action"\)/,
      );
      expectError(issues, "lds.yaml", `${HCM}.route_config.virtual_hosts[0].routes[0].match`, /value is required/);
    });

    it("two members of one oneof set", () => {
      const set = mutated("lds.yaml", (d) => {
        at(d, `${HCM}.route_config.virtual_hosts[0].routes[0]`).redirect = { path_redirect: "/elsewhere" };
      });
      expectError(
        validateConfigSetSync(set),
        "lds.yaml",
        `${HCM}.route_config.virtual_hosts[0].routes[0]`,
        /only one of .* may be set \(oneof "action"\), got route, redirect/,
      );
    });

    it("Any body is validated recursively (Any inside Any inside a resource Any)", () => {
      const set = mutated("lds.yaml", (d) => {
        at(d, `${HCM}.http_filters[1].typed_config.rules`).action = "PERMIT";
        at(d, `${TLS}.common_tls_context.tls_params`).tls_minimum_protocol_version = "TLSv9";
        at(d, `${HCM}.tracing.provider.typed_config.grpc_service`).timeout = "1 second";
      });
      const issues = validateConfigSetSync(set);
      expectError(
        issues,
        "lds.yaml",
        `${HCM}.http_filters[1].typed_config.rules.action`,
        /unknown enum value "PERMIT"/,
      );
      expectError(
        issues,
        "lds.yaml",
        `${TLS}.common_tls_context.tls_params.tls_minimum_protocol_version`,
        /unknown enum value "TLSv9"/,
      );
      expectError(issues, "lds.yaml", `${HCM}.tracing.provider.typed_config.grpc_service.timeout`, /invalid duration/);
    });

    it("string well-known rule: HTTP header name", () => {
      const set = mutated("lds.yaml", (d) => {
        at(d, `${HCM}.route_config`).response_headers_to_remove = ["x-ok", "bad\nheader"];
      });
      expectError(
        validateConfigSetSync(set),
        "lds.yaml",
        `${HCM}.route_config.response_headers_to_remove[1]`,
        /valid HTTP header name/,
      );
    });

    it("map min_pairs / map value validation (RBAC policies)", () => {
      const set = mutated("lds.yaml", (d) => {
        at(d, `${HCM}.http_filters[1].typed_config.rules.policies.allow-frontend`).permissions = [];
      });
      expectError(
        validateConfigSetSync(set),
        "lds.yaml",
        `${HCM}.http_filters[1].typed_config.rules.policies["allow-frontend"].permissions`,
        /at least 1 item/,
      );
    });

    it("LDS file that holds a Cluster", () => {
      const set = mutated("lds.yaml", (d) => {
        (d.resources as unknown[]).push({
          "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
          name: "stray",
          connect_timeout: "1s",
        });
      });
      expectError(
        validateConfigSetSync(set),
        "lds.yaml",
        "resources[2].@type",
        /LDS file holds a envoy.config.cluster.v3.Cluster, expected envoy.config.listener.v3.Listener/,
      );
    });

    it("an extension whose proto cannot be loaded (dependencies not vendored) is a warning, not an error", () => {
      const set = mutated("lds.yaml", (d) => {
        at(d, HCM).access_log = [
          {
            name: "envoy.access_loggers.open_telemetry",
            typed_config: {
              "@type":
                "type.googleapis.com/envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig",
            },
          },
        ];
      });
      const issues = validateConfigSetSync(set);
      assert.deepEqual(errors(issues), [], fmt(issues));
      assert.ok(
        issues.some((i) => i.path === `${HCM}.access_log[0].typed_config.@type` && /not checked/.test(i.message)),
        fmt(issues),
      );
    });

    it("deprecated fields warn but do not fail", () => {
      const set = mutated("envoy.yaml", (d) => {
        at(d, "admin").access_log_path = "/dev/null";
      });
      const issues = validateConfigSetSync(set);
      assert.deepEqual(errors(issues), [], fmt(issues));
      assert.ok(
        issues.some(
          (i) => i.severity === "warning" && i.path === "admin.access_log_path" && /deprecated/.test(i.message),
        ),
        fmt(issues),
      );
    });

    it("unparseable YAML is an error naming the file", () => {
      const set = fixtureSet().map((f) => (f.path === "cds.yaml" ? { ...f, content: "resources: [\n  - {" } : f));
      const issues = validateConfigSetSync(set);
      assert.ok(
        errors(issues).some((i) => i.file === "cds.yaml" && /cannot parse YAML/.test(i.message)),
        fmt(issues),
      );
    });

    it("does not load unknown @types from thin air: a non-Envoy type is rejected", () => {
      const set = mutated("cds.yaml", (d) => {
        at(d, "resources[0]")["@type"] = "type.googleapis.com/envoy.config.cluster.v3.Clusterr";
      });
      expectError(validateConfigSetSync(set), "cds.yaml", "resources[0].@type", /unknown type/);
    });
  });

  describe("command", () => {
    let dir = "";
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "envoy-validate-"));
      for (const f of fixtureSet()) fs.writeFileSync(path.join(dir, f.path), f.content);
      fs.writeFileSync(
        path.join(dir, "bad-cds.yaml"),
        fs
          .readFileSync(path.join(FIXTURES, "cds.yaml"), "utf8")
          .replace("connect_timeout: 1s", "connect_timeout: 250ms"),
      );
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("exits 0 on a good set and non-zero on a bad file, printing one line per issue and a summary", async () => {
      const out: string[] = [];
      const good = await runEnvoyValidate(
        SET_FILES.map((f) => path.join(dir, f)),
        (l) => out.push(l),
      );
      assert.equal(good, 0, out.join("\n"));
      assert.match(out[out.length - 1] ?? "", /5 file\(s\) checked: 0 error\(s\), 0 warning\(s\)/);

      const badOut: string[] = [];
      const bad = await runEnvoyValidate([path.join(dir, "bad-cds.yaml")], (l) => badOut.push(l));
      assert.notEqual(bad, 0);
      assert.ok(
        badOut.some((l) => /bad-cds.yaml: resources\[2\].connect_timeout: error: invalid duration "250ms"/.test(l)),
        badOut.join("\n"),
      );
      assert.match(badOut[badOut.length - 1] ?? "", /1 file\(s\) checked: [1-9]\d* error\(s\)/);
    });

    it("exits non-zero on a missing file", async () => {
      const out: string[] = [];
      assert.notEqual(await runEnvoyValidate([path.join(dir, "nope.yaml")], (l) => out.push(l)), 0);
    });
  });

  describe("timing (reported, not asserted)", () => {
    it("measures Root load and per-file validation", () => {
      const set = fixtureSet();
      validateConfigSetSync(set);
      const n = 300;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) validateConfigSetSync(set);
      const perSet = (performance.now() - t0) / n;
      const stats = loadStats()
        .map((s) => `${s.tier}: ${s.files} files in ${s.ms.toFixed(0)} ms`)
        .join("; ");
      console.log(
        `      Root load: ${stats}; per set of ${set.length} files: ${perSet.toFixed(2)} ms (${(perSet / set.length).toFixed(2)} ms/file)`,
      );
    });
  });
});
