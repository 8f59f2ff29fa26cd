import { strict as assert } from "assert";
import { buildCluster, buildFilterChain, buildHttpConnectionManager, buildListener } from "../../envoy/builders";
import { localRateLimit } from "../../envoy/listener/rateLimit";
import { httpRbac, networkRbac } from "../../envoy/listener/rbac";
import { router } from "../../envoy/listener/router";
import { tcpProxy } from "../../envoy/listener/filters";
import { discovery } from "../../envoy/cluster/basics";
import { loadAssignment } from "../../envoy/cluster/loadAssignment";
import { socketAddress } from "../../envoy/common/address";

const limit = { requestsPerSecond: 1, burst: 1 };

describe("envoy builders enforce invariants", () => {
  const cases: Array<{ name: string; build: () => unknown; error?: RegExp }> = [
    {
      name: "rate limit, rbac, router: accepted",
      build: () => buildHttpConnectionManager("x", localRateLimit("x", limit), httpRbac([]), router("x", [])),
    },
    {
      name: "router before rbac: rejected",
      build: () => buildHttpConnectionManager("x", router("x", []), httpRbac([])),
      error: /router must be the last/,
    },
    {
      name: "rbac before rate limit: rejected",
      build: () => buildHttpConnectionManager("x", httpRbac([]), localRateLimit("x", limit), router("x", [])),
      error: /local_ratelimit must precede rbac/,
    },
    {
      name: "no router: rejected",
      build: () => buildHttpConnectionManager("x", httpRbac([])),
      error: /router must be the last/,
    },
    {
      name: "filter chain without a terminal filter: rejected",
      build: () => buildFilterChain("x", networkRbac("x", [])),
      error: /must end in/,
    },
    {
      name: "network rbac after tcp_proxy: rejected",
      build: () => buildFilterChain("x", tcpProxy("x", "c"), networkRbac("x", [])),
      error: /must end in/,
    },
    {
      name: "listener without chains: rejected",
      build: () => buildListener("x", "0.0.0.0", 1),
      error: /at least one filter chain/,
    },
    {
      name: "cluster without endpoints: rejected",
      build: () => buildCluster("x", discovery("STATIC", 1)),
      error: /load_assignment/,
    },
    {
      name: "failover endpoints without outlier detection: rejected",
      build: () =>
        buildCluster(
          "x",
          discovery("STRICT_DNS", 1),
          loadAssignment([
            { priority: 0, lb_endpoints: [{ endpoint: { address: socketAddress("a", 1) } }] },
            { priority: 1, lb_endpoints: [{ endpoint: { address: socketAddress("b", 1) } }] },
          ]),
        ),
      error: /outlier_detection/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      if (c.error) assert.throws(c.build, c.error);
      else assert.doesNotThrow(c.build);
    });
  }
});
