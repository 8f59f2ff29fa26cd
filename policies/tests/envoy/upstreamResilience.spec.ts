import { strict as assert } from "node:assert";
import {
  checkUpstreamResilience,
  upstreamResilience,
  upstreamResilienceDefaults,
} from "../../rules/envoy/upstreamResilience";
import { editEnvoy, named, sidecarConfigMap, sidecarContainer } from "../fixtures/mesh";
import { runResourcePolicy } from "../../../simulate/policyRunner";

const UPSTREAM = "upstream_session-api";
const check = (r: ReturnType<typeof sidecarContainer>): string[] =>
  checkUpstreamResilience(r, upstreamResilienceDefaults);

describe("lucid-envoy-upstream-resilience", () => {
  it("passes the generated sidecar (seed: connect_timeout 0.25s)", () => {
    assert.deepEqual(check(sidecarContainer()), []);
    assert.deepEqual(check(sidecarConfigMap()), []);
  });

  it("fails an upstream cluster without circuit breakers", () => {
    const r = editEnvoy(sidecarContainer(), "cluster.yaml", (d) => {
      delete named(d, UPSTREAM).circuit_breakers;
    });
    assert.deepEqual(check(r), [
      `cluster "${UPSTREAM}" has no circuit breaker; set circuit_breakers.thresholds with max_connections, max_pending_requests, max_requests.`,
    ]);
  });

  it("fails a threshold that leaves limits implicit", () => {
    const r = editEnvoy(sidecarContainer(), "cluster.yaml", (d) => {
      named(d, UPSTREAM).circuit_breakers = { thresholds: [{ priority: "DEFAULT", max_connections: 100 }] };
    });
    assert.deepEqual(check(r), [
      `cluster "${UPSTREAM}": circuit breaker threshold leaves max_pending_requests, max_requests implicit; set them.`,
    ]);
  });

  it("fails an upstream cluster without outlier detection", () => {
    const r = editEnvoy(sidecarConfigMap(), "cluster.yaml", (d) => {
      delete named(d, UPSTREAM).outlier_detection;
    });
    assert.deepEqual(check(r), [
      `cluster "${UPSTREAM}" has no outlier detection; set outlier_detection (consecutive_5xx, interval, base_ejection_time).`,
    ]);
  });

  it("fails a missing or too long connect_timeout", async () => {
    const missing = editEnvoy(sidecarContainer(), "cluster.yaml", (d) => {
      delete named(d, UPSTREAM).connect_timeout;
    });
    assert.deepEqual(check(missing), [`cluster "${UPSTREAM}" has no connect_timeout; set it to at most 5s.`]);
    const long = editEnvoy(sidecarContainer(), "cluster.yaml", (d) => {
      named(d, UPSTREAM).connect_timeout = "10s";
    });
    assert.deepEqual(check(long), [`cluster "${UPSTREAM}": connect_timeout 10s exceeds 5s; lower it.`]);
    const strict = await runResourcePolicy(upstreamResilience, sidecarContainer(), {
      config: { maxConnectTimeoutSeconds: 0.1 },
    });
    assert.equal(strict.violations.length, 2, "both upstream clusters use the seed's 0.25s");
  });
});
