import { strict as assert } from "node:assert";
import type { Json } from "../../lib/props";
import { adminLoopback, adminLoopbackDefaults, checkAdminLoopback } from "../../rules/envoy/adminLoopback";
import { editEnvoy, sidecarConfigMap, sidecarContainer } from "../fixtures/mesh";
import { runResourcePolicy } from "../../../simulate/policyRunner";

const check = (r: ReturnType<typeof sidecarContainer>): string[] => checkAdminLoopback(r, adminLoopbackDefaults);

function service(ports: Json[]): ReturnType<typeof sidecarContainer> {
  return { type: "kubernetes:core/v1:Service", name: "api-gateway", props: { spec: { ports } } };
}

describe("lucid-envoy-admin-loopback", () => {
  it("passes the generated bootstrap and a Service that publishes only the mesh port", () => {
    assert.deepEqual(check(sidecarContainer()), []);
    assert.deepEqual(check(sidecarConfigMap()), []);
    assert.deepEqual(check(service([{ name: "mesh", port: 15001, targetPort: 15001 }])), []);
  });

  it("fails an admin interface bound to every address", () => {
    const r = editEnvoy(sidecarConfigMap(), "bootstrap.yaml", (d) => {
      (((d.admin as Json).address as Json).socket_address as Json).address = "0.0.0.0";
    });
    assert.deepEqual(check(r), [
      "Envoy admin listens on 0.0.0.0; bind admin.address.socket_address.address to 127.0.0.1.",
    ]);
  });

  it("fails a container that publishes the admin port", () => {
    const r = sidecarContainer();
    r.props.ports = [{ internal: 15000, external: 15000 }];
    assert.deepEqual(check(r), ["Docker publishes the Envoy admin port 15000; remove it from ports."]);
  });

  it("fails a Kubernetes Service that targets the admin port", async () => {
    assert.deepEqual(check(service([{ name: "admin", port: 80, targetPort: 15000 }])), [
      'Service port "admin" exposes the Envoy admin port 15000; remove it.',
    ]);
    const result = await runResourcePolicy(adminLoopback, service([{ name: "x", port: 19000 }]), {
      config: { adminPort: 19000 },
    });
    assert.deepEqual(
      result.violations.map((v) => v.message),
      ['Service port "x" exposes the Envoy admin port 19000; remove it.'],
    );
  });

  describe("admin reachable from a public listener (in effect, not only in form)", () => {
    const prometheusRoutes = (d: Json): Json[] => {
      const listener = (d.resources as Json[]).find((l) => l.name === "prometheus")!;
      const chain = (listener.filter_chains as Json[])[0] as Json;
      const manager = (chain.filters as Json[])[0]!.typed_config as Json;
      return ((manager.route_config as Json).virtual_hosts as Json[])[0]!.routes as Json[];
    };
    for (const make of [sidecarContainer, sidecarConfigMap]) {
      it(`${make.name}: fails a metrics route that forwards every path to the admin cluster`, () => {
        const r = editEnvoy(make(), "listener.yaml", (d) => {
          const routes = prometheusRoutes(d);
          routes.splice(0, routes.length, { match: { prefix: "/" }, route: { cluster: "self_admin" } });
        });
        assert.deepEqual(check(r), [
          'listener "prometheus" (0.0.0.0:15090) routes {"prefix":"/"} to the Envoy admin API (cluster self_admin), exposing admin endpoints such as /runtime_modify on a public address; route only the exact path /stats/prometheus to it.',
        ]);
      });
    }

    it("fails an exact path rewritten to another admin endpoint, and a cluster picked by header", () => {
      const rewritten = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
        const route = prometheusRoutes(d)[0]!;
        (route.route as Json).prefix_rewrite = "/runtime_modify";
      });
      assert.match(check(rewritten).join("\n"), /routes \{"path":"\/stats\/prometheus"\} to the Envoy admin API/);
      const byHeader = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
        prometheusRoutes(d)[0]!.route = { cluster_header: "x-cluster" };
      });
      assert.match(check(byHeader).join("\n"), /picks its cluster from a request header/);
    });

    it("allows any admin route on a loopback listener", () => {
      const r = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
        const listener = (d.resources as Json[]).find((l) => l.name === "prometheus")!;
        listener.address = { socket_address: { address: "127.0.0.1", port_value: 15090 } };
        const routes = prometheusRoutes(d);
        routes.splice(0, routes.length, { match: { prefix: "/" }, route: { cluster: "self_admin" } });
      });
      assert.deepEqual(check(r), []);
    });
  });

  it("fails closed on a sidecar that carries no bootstrap", () => {
    const r = sidecarConfigMap();
    delete (r.props.data as Record<string, string>)["bootstrap.yaml"];
    assert.deepEqual(check(r), [
      "this sidecar carries no Envoy bootstrap (/etc/envoy/bootstrap.yaml), so nothing proves its admin interface is on loopback; deliver the generated bootstrap.",
    ]);
  });
});
