import { strict as assert } from "node:assert";
import { healthListener, sidecarListeners } from "../../envoy";
import { allInstances, findService, type Mesh } from "../../model";
import { stackMesh } from "../helpers/stacks";

interface Chain {
  filters: Array<{ name: string; typed_config: Record<string, unknown> }>;
  transport_socket?: unknown;
}

function onlyChain(listener: { filter_chains?: unknown[] }): Chain {
  assert.equal(listener.filter_chains?.length, 1);
  return listener.filter_chains![0] as Chain;
}

describe("envoy: the health listener", () => {
  const dev: Mesh = stackMesh("dev");
  const prod: Mesh = stackMesh("prod");

  it("serves exactly the service's health path from the app, and 404 for anything else", () => {
    const listener = healthListener(findService(dev, "session-api"), dev.sidecar.healthPort);
    assert.equal(listener.name, "health");
    assert.deepEqual(listener.address, { socket_address: { address: "0.0.0.0", port_value: 15021 } });
    const hcm = onlyChain(listener).filters[0]!.typed_config as {
      route_config: { virtual_hosts: Array<{ routes: Array<Record<string, unknown>> }> };
    };
    assert.deepEqual(hcm.route_config.virtual_hosts[0]!.routes, [
      { match: { path: "/health" }, route: { cluster: "local_app", timeout: "5s" } },
      { match: { prefix: "/" }, direct_response: { status: 404 } },
    ]);
  });

  it("follows a custom health path", () => {
    const service = { ...findService(dev, "session-api"), healthCheckPath: "/livez" };
    const text = JSON.stringify(healthListener(service, 15021));
    assert.match(text, /"path":"\/livez"/);
    assert.doesNotMatch(text, /"path":"\/health"/);
  });

  it("answers TCP services' health path from the app's active health check (a TCP connect would reach only Envoy)", () => {
    const listener = healthListener(findService(prod, "session-recorder"), prod.sidecar.healthPort);
    const [filter] = onlyChain(listener).filters;
    assert.equal(filter!.name, "envoy.filters.network.http_connection_manager");
    const httpFilters = (filter!.typed_config as { http_filters: Array<{ name: string }> }).http_filters;
    assert.deepEqual(
      httpFilters.map((f) => f.name),
      ["envoy.filters.http.health_check", "envoy.filters.http.router"],
    );
  });

  it("is plain text: mesh identities and RBAC stay on the mTLS listener", () => {
    const listener = healthListener(findService(dev, "session-api"), dev.sidecar.healthPort);
    assert.equal(onlyChain(listener).transport_socket, undefined);
  });

  it("every sidecar has one, on the configured port", () => {
    for (const instance of allInstances(prod)) {
      const health = sidecarListeners(prod, instance).filter((l) => l.name === "health");
      assert.equal(health.length, 1, instance.name);
    }
  });
});
