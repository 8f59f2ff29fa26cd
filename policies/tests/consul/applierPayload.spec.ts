/**
 * The policy pack reads what really deploys: the Consul applier's payload (its Docker writer's upload, its
 * Kubernetes ConfigMap), for intentions and for registrations' health checks.
 */
import { strict as assert } from "node:assert";
import { applierPayload, renderPayload } from "../../../consul/applier";
import { findCluster } from "../../../model";
import { healthChecksPresent } from "../../rules/consul/healthChecksPresent";
import { intentionsDefaultDeny } from "../../rules/consul/intentionsDefaultDeny";
import { runResourcePolicy, runStackPolicy, type ResourceUnderTest } from "../../../simulate/policyRunner";
import { types } from "../../lib/types";
import { mesh, sidecarContainer } from "../fixtures/mesh";

const labels = [
  { label: "lucid.mesh/role", value: "consul-applier" },
  { label: "lucid.mesh/cluster", value: "east" },
];

function writer(edit: (payload: string) => string = (p) => p): ResourceUnderTest {
  const payload = renderPayload(applierPayload(mesh, findCluster(mesh, "east"), { registersInstances: true }));
  return {
    type: types.dockerContainer,
    name: "east-consul-applier-files",
    urn: `urn:pulumi:dev::lucid-mesh::${types.dockerContainer}::east-consul-applier-files`,
    props: { labels, uploads: [{ file: "/lucid-applier/payload.json", content: edit(payload) }] },
  };
}

describe("the policy pack over the Consul applier's payload", () => {
  it("reads intentions from the payload: east's sidecar passes, a payload without the '*' deny fails", async () => {
    const ok = await runStackPolicy(intentionsDefaultDeny, [writer(), sidecarContainer()]);
    assert.deepEqual(ok.violations, []);
    const noDeny = writer((p) =>
      p
        .split("\n")
        .filter((l) => !l.includes('"Name":"*","Sources"'))
        .join("\n")
        .replace(/,\n(\s*\],)/, "\n$1"),
    );
    const found = await runStackPolicy(intentionsDefaultDeny, [noDeny, sidecarContainer()]);
    assert.ok(found.violations.some((v) => /no service-intentions entry denies "\*" to "\*"/.test(v.message)));
  });

  it("requires a probing check with interval and timeout on every registration in the payload", async () => {
    assert.deepEqual((await runResourcePolicy(healthChecksPresent, writer())).violations, []);
    const noInterval = writer((p) => p.replace(/"Interval":"[^"]*",/g, ""));
    const { violations } = await runResourcePolicy(healthChecksPresent, noInterval);
    assert.ok(violations.length > 0);
    assert.match(violations[0]!.message, /registration "api-gateway-1": check "service:api-gateway-1" has no interval/);
  });
});
