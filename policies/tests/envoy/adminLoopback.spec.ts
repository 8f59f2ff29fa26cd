import { strict as assert } from "node:assert";
import type { Json } from "../../lib/props";
import { adminLoopback, adminLoopbackDefaults, checkAdminLoopback } from "../../rules/envoy/adminLoopback";
import { editEnvoy, sidecarConfigMap, sidecarContainer } from "../fixtures/mesh";
import { runResourcePolicy } from "../harness";

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
});
