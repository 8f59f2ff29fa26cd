import { strict as assert } from "node:assert";
import { checkHealthChecksPresent, healthChecksPresent } from "../../rules/consul/healthChecksPresent";
import { runResourcePolicy } from "../../../simulate/policyRunner";

const goodCheck = {
  checkId: "api-gateway-1-http",
  name: "HTTP on 8080",
  http: "http://10.10.1.130:8080/health",
  interval: "10s",
  timeout: "10s",
};
const service = (checks: unknown[]) => ({
  type: "consul:index/service:Service",
  name: "east-api-gateway-1",
  props: { name: "api-gateway", node: "east-api-gateway-1", port: 8080, checks },
});
const check = (checks: unknown[]): string[] => checkHealthChecksPresent(service(checks), {});

describe("lucid-consul-health-checks-present", () => {
  it("passes a registration with an HTTP check, and a TCP one", async () => {
    assert.deepEqual((await runResourcePolicy(healthChecksPresent, service([goodCheck]))).violations, []);
    assert.deepEqual(check([{ ...goodCheck, http: undefined, tcp: "10.10.1.130:8080" }]), []);
  });

  it("fails a registration without checks", () => {
    assert.deepEqual(check([]), [
      "the service registers no health check; add a check with http or tcp, interval and timeout.",
    ]);
  });

  it("fails a check that probes nothing", () => {
    assert.deepEqual(check([{ ...goodCheck, http: undefined }]), [
      'check "api-gateway-1-http" probes nothing; set http (a URL) or tcp (host:port).',
    ]);
  });

  it("fails a check without interval or timeout", () => {
    assert.deepEqual(check([{ ...goodCheck, interval: "", timeout: undefined }]), [
      'check "api-gateway-1-http" has no interval or timeout; set interval and timeout.',
    ]);
  });
});
