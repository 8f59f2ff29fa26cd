import { strict as assert } from "node:assert";
import { consulSecretsConfig, consulServerConfig, renderJson } from "../../consul/agentConfig";
import { consulServerHosts } from "../../consul/names";
import { clusterOf, loadMesh, rawStackConfig } from "./fixtures";
import { parseMeshConfig } from "../../model";

describe("consul/agentConfig", () => {
  const dev = loadMesh("dev");
  const prod = loadMesh("prod");

  it("turns on TLS verification, default-deny ACLs and no script checks", () => {
    const config = consulServerConfig(dev, clusterOf(dev, "east"), { retryJoin: [] });
    assert.deepEqual(config["tls"], {
      defaults: {
        ca_file: "/consul/tls/ca.pem",
        cert_file: "/consul/tls/server.pem",
        key_file: "/consul/tls/server-key.pem",
        verify_incoming: true,
        verify_outgoing: true,
        tls_min_version: "TLSv1_2",
      },
      internal_rpc: { verify_server_hostname: true },
      https: { verify_incoming: false },
      grpc: { verify_incoming: false },
    });
    assert.deepEqual(config["acl"], {
      enabled: true,
      default_policy: "deny",
      enable_token_persistence: true,
      down_policy: "extend-cache",
    });
    assert.equal(config["enable_script_checks"], false);
    assert.equal(config["enable_local_script_checks"], false);
    assert.equal(config["disable_remote_exec"], true);
  });

  it("disables plaintext HTTP and gRPC and keeps DNS, HTTPS and gRPC-TLS", () => {
    const ports = consulServerConfig(dev, clusterOf(dev, "east"), { retryJoin: [] })["ports"];
    assert.deepEqual(ports, { dns: 8600, http: -1, https: 8501, grpc: -1, grpc_tls: 8503, serf_wan: -1 });
  });

  it("expects as many servers as the model has and joins them", () => {
    const east = clusterOf(prod, "east");
    const hosts = consulServerHosts(east);
    assert.deepEqual(hosts, [
      "consul-server-0.consul-server-headless.lucid-mesh.svc",
      "consul-server-1.consul-server-headless.lucid-mesh.svc",
      "consul-server-2.consul-server-headless.lucid-mesh.svc",
    ]);
    const config = consulServerConfig(prod, east, { retryJoin: hosts });
    assert.equal(config["bootstrap_expect"], 3);
    assert.equal(config["datacenter"], "east");
    assert.deepEqual(config["retry_join"], hosts);
    assert.deepEqual(consulServerHosts(clusterOf(dev, "west")), ["10.10.2.10"]);
  });

  it("keeps every secret out of server.json", () => {
    const text = renderJson(consulServerConfig(prod, clusterOf(prod, "east"), { retryJoin: [] }));
    assert.doesNotMatch(text, /encrypt|initial_management|tokens|PRIVATE KEY/);
  });

  it("puts the gossip key and tokens in the secret part", () => {
    const secrets = consulSecretsConfig({ gossipKey: "k", bootstrapToken: "b", dnsToken: "d", agentToken: "a" });
    assert.deepEqual(secrets, { encrypt: "k", acl: { tokens: { initial_management: "b", agent: "a", dns: "d" } } });
  });

  it("renders JSON with sorted keys, so the upload does not churn", () => {
    assert.equal(renderJson({ b: 1, a: { d: 2, c: 3 } }), '{\n  "a": {\n    "c": 3,\n    "d": 2\n  },\n  "b": 1\n}\n');
  });
});

describe("model: Consul server counts", () => {
  function withServers(stack: "dev" | "prod", servers: number): Record<string, unknown> {
    const raw = rawStackConfig(stack);
    for (const c of raw["clusters"] as Array<{ consul: { servers: number } }>) c.consul.servers = servers;
    return raw;
  }

  it("rejects an even server count", () => {
    assert.throws(() => parseMeshConfig(withServers("prod", 4)), /4 servers is an even count/);
    assert.throws(() => parseMeshConfig(withServers("dev", 2)), /even count/);
  });

  it("allows a single server only in dev", () => {
    assert.doesNotThrow(() => parseMeshConfig(withServers("dev", 1)));
    assert.throws(() => parseMeshConfig(withServers("prod", 1)), /single Consul server in prod/);
  });

  it("accepts 3 and 5 in prod", () => {
    assert.doesNotThrow(() => parseMeshConfig(withServers("prod", 3)));
    assert.doesNotThrow(() => parseMeshConfig(withServers("prod", 5)));
  });
});
