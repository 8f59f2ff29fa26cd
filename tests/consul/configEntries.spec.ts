import { strict as assert } from "node:assert";
import { agentPolicy, dnsPolicy, esmPolicy, meshGatewayPolicy, prometheusPolicy } from "../../consul/acl";
import { aclInitScript } from "../../consul/aclBootstrap";
import { clusterConfigEntries, type ConfigEntrySpec } from "../../consul/configEntries";
import { checkFor, externalNode, registrations } from "../../consul/registration";
import { parseMeshConfig } from "../../model";
import { clusterOf, loadMesh, rawStackConfig } from "./fixtures";

function entry(entries: ConfigEntrySpec[], kind: string, name: string): ConfigEntrySpec {
  const found = entries.find((e) => e.kind === kind && e.name === name);
  if (!found) throw new Error(`no ${kind}/${name}`);
  return found;
}

describe("consul/configEntries", () => {
  const dev = loadMesh("dev");
  const east = clusterConfigEntries(dev, clusterOf(dev, "east"));
  const west = clusterConfigEntries(dev, clusterOf(dev, "west"));

  it("writes only the entries someone reads: intentions and exported-services (issue 15 item 9)", () => {
    // Envoy is file-configured and resolves through Consul DNS: resolvers, service-defaults, proxy-defaults and the
    // mesh entry feed only Consul-managed proxies (agent/proxycfg, agent/consul/discoverychain/compile.go).
    for (const entries of [east, west]) {
      assert.deepEqual([...new Set(entries.map((e) => e.kind))], ["service-intentions", "exported-services"]);
    }
  });

  it("has the default deny of * to *", () => {
    assert.deepEqual(entry(east, "service-intentions", "*").config, {
      Sources: [{ Name: "*", Action: "deny", Precedence: 5, Type: "consul", Description: "default deny" }],
    });
  });

  it("states an allow default when the model asks for it", () => {
    const raw = rawStackConfig("dev");
    raw["security"] = { defaultIntention: "allow" };
    const mesh = parseMeshConfig(raw);
    const entries = clusterConfigEntries(mesh, clusterOf(mesh, "east"));
    assert.deepEqual(entry(entries, "service-intentions", "*").config, {
      Sources: [{ Name: "*", Action: "allow", Precedence: 5, Type: "consul", Description: "default allow" }],
    });
  });

  it("allows local callers by name and remote callers by peer", () => {
    // session-api runs in east and west; api-gateway (its caller) only in east.
    assert.deepEqual(entry(east, "service-intentions", "session-api").config, {
      Sources: [{ Name: "api-gateway", Action: "allow", Precedence: 9, Type: "consul" }],
    });
    assert.deepEqual(entry(west, "service-intentions", "session-api").config, {
      Sources: [{ Name: "api-gateway", Peer: "east", Action: "allow", Precedence: 9, Type: "consul" }],
    });
    // blockchain-core (east and west) calls blockchain-anchor (west only): a local and a peered source.
    assert.deepEqual(entry(west, "service-intentions", "blockchain-anchor").config, {
      Sources: [
        { Name: "blockchain-core", Action: "allow", Precedence: 9, Type: "consul" },
        { Name: "blockchain-core", Peer: "east", Action: "allow", Precedence: 9, Type: "consul" },
      ],
    });
    assert.equal(
      east.find((e) => e.kind === "service-intentions" && e.name === "blockchain-anchor"),
      undefined,
    );
  });

  it("exports the services peers call, to those peers", () => {
    assert.deepEqual(entry(west, "exported-services", "default").config, {
      Services: [
        { Name: "blockchain-anchor", Consumers: [{ Peer: "east" }] },
        { Name: "blockchain-core", Consumers: [{ Peer: "east" }] },
        { Name: "blockchain-manager", Consumers: [{ Peer: "east" }] },
        { Name: "session-api", Consumers: [{ Peer: "east" }] },
        { Name: "session-processor", Consumers: [{ Peer: "east" }] },
      ],
    });
    // Only session-api (in west) calls into east, and only session-recorder there.
    assert.deepEqual(entry(east, "exported-services", "default").config, {
      Services: [{ Name: "session-recorder", Consumers: [{ Peer: "west" }] }],
    });
  });

  it("is deterministic and ordered by kind then name", () => {
    assert.deepEqual(clusterConfigEntries(dev, clusterOf(dev, "east")), east);
    const kinds = east.map((e) => e.kind);
    assert.equal(kinds[0], "service-intentions");
    assert.equal(kinds[kinds.length - 1], "exported-services");
  });
});

describe("consul/acl", () => {
  const dev = loadMesh("dev");
  const east = clusterOf(dev, "east");

  it("consul-esm writes only its KV prefix, its service, the external node and the services whose checks it runs", () => {
    const rules = esmPolicy(dev, east).rules;
    for (const service of ["api-gateway", "blockchain-core", "session-api", "session-recorder", "mesh-gateway"]) {
      assert.match(rules, new RegExp(`service "${service}" \\{\n {2}policy = "write"\n\\}`), service);
    }
    assert.doesNotMatch(rules, /service "blockchain-anchor"/);
    assert.doesNotMatch(rules, /service_prefix "" \{\n {2}policy = "write"/);
    assert.match(rules, /key_prefix "consul-esm\/" \{\n {2}policy = "write"\n\}/);
    assert.match(rules, /node "east-external" \{\n {2}policy = "write"\n\}/);
    assert.match(rules, /service "consul-esm" \{\n {2}policy = "write"\n\}/);
    assert.match(rules, /agent_prefix "" \{\n {2}policy = "read"\n\}/);
    assert.doesNotMatch(rules, /node_prefix "" \{\n {2}policy = "write"/);
    assert.doesNotMatch(rules, /acl|operator/);
  });

  it("mesh gateways write only their own service and read peerings", () => {
    const rules = meshGatewayPolicy(east).rules;
    assert.match(rules, /service "mesh-gateway" \{\n {2}policy = "write"\n\}/);
    assert.match(rules, /peering = "read"/);
    assert.equal((rules.match(/"write"/g) ?? []).length, 1);
  });

  it("DNS and Prometheus only read", () => {
    for (const policy of [dnsPolicy(east), prometheusPolicy(east)]) {
      assert.doesNotMatch(policy.rules, /"write"/, policy.name);
    }
    assert.match(dnsPolicy(east).rules, /service_prefix "" \{\n {2}policy = "read"\n\}/);
    assert.match(prometheusPolicy(east).rules, /agent_prefix "east-consul-"/);
    assert.match(agentPolicy(east).rules, /node_prefix "east-consul-" \{\n {2}policy = "write"/);
  });

  it("the bootstrap script creates each token with its chosen secret, idempotently", () => {
    const script = aclInitScript(east, "10.10.1.10", [{ file: "dns", policy: dnsPolicy(east), description: "dns" }]);
    assert.match(script, /CONSUL_HTTP_ADDR="https:\/\/10\.10\.1\.10:8501"/);
    assert.match(script, /CONSUL_TLS_SERVER_NAME="server\.east\.consul"/);
    assert.match(script, /consul acl token create -secret "\$\(cat "\$1"\)"/);
    assert.match(script, /ensure_token '\/acl-init\/tokens\/dns' 'lucid-dns' 'dns'/);
    assert.doesNotMatch(script, /uuid-|[0-9a-f]{8}-[0-9a-f]{4}-/);
  });
});

describe("consul/registration", () => {
  it("dev: one registration per instance with the seed's HTTP check", () => {
    const dev = loadMesh("dev");
    const regs = registrations(dev, clusterOf(dev, "east"));
    assert.deepEqual(
      regs.map((r) => r.serviceId),
      ["api-gateway-1", "blockchain-core-1", "session-api-1", "session-recorder-1"],
    );
    const api = regs[0]!;
    assert.equal(api.node, "east-external");
    assert.equal(api.address, "east-api-gateway-1");
    assert.deepEqual(api.tags, ["v1", "production"]);
    // The catalog port is the sidecar's inbound port; the app's own port is meta (issue 15 item 6).
    assert.equal(api.port, dev.sidecar.proxyPort);
    assert.deepEqual(api.meta, {
      "lucid-mesh-cluster": "east",
      "lucid-mesh-version": "v1",
      "lucid-mesh-protocol": "http",
      "lucid-mesh-app-port": "8080",
    });
    assert.deepEqual(checkFor(api, api.address), {
      checkId: "service:api-gateway-1",
      name: "api-gateway HTTP health",
      http: "http://east-api-gateway-1:15021/health",
      method: "GET",
      interval: "30s",
      timeout: "10s",
      deregisterCriticalServiceAfter: "0s",
    });
  });

  it("checks go through the sidecar's health listener over HTTP, TCP services included (Envoy answers from the app's health)", () => {
    const prod = loadMesh("prod");
    const recorder = registrations(prod, clusterOf(prod, "east")).find((r) => r.name === "session-recorder")!;
    assert.deepEqual(recorder.health, { kind: "http", port: 15021, path: "/health" });
    assert.equal((checkFor(recorder, "10.0.0.7") as { http: string }).http, "http://10.0.0.7:15021/health");
    assert.equal(recorder.check.name, "session-recorder HTTP health");
  });

  it("prod: one registration per Kubernetes Service", () => {
    const prod = loadMesh("prod");
    const regs = registrations(prod, clusterOf(prod, "west"));
    const core = regs.find((r) => r.name === "blockchain-core");
    assert.equal(core?.address, "blockchain-core.lucid-mesh.svc");
    assert.equal(regs.filter((r) => r.name === "blockchain-core").length, 1);
  });

  it("the external node is marked for consul-esm and not pinged", () => {
    const dev = loadMesh("dev");
    assert.deepEqual(externalNode(clusterOf(dev, "west")).meta, {
      "external-node": "true",
      "external-probe": "false",
      "lucid-mesh-cluster": "west",
    });
  });
});
