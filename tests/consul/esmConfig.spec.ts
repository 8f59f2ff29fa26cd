/**
 * Issue 15 item 5: consul-esm serves `/metrics` only with `client_address` set and a positive
 * `telemetry.prometheus_retention_time` (hashicorp/consul-esm v0.8.0 agent.go, runHTTP), on the port Prometheus
 * scrapes (observability/scrapeConfig.ts).
 */
import { strict as assert } from "node:assert";
import { esmConfig } from "../../consul/esmConfig";
import { CONSUL_ESM_METRICS_PORT } from "../../model/names";
import { parseGoDuration } from "../../simulate/consul/goDuration";
import { clusterOf, loadMesh } from "./fixtures";

describe("consul-esm serves metrics where Prometheus scrapes them (issue 15 item 5)", () => {
  for (const stack of ["dev", "prod"] as const) {
    it(`${stack}: client_address on the scraped port and a retention time above zero`, () => {
      const mesh = loadMesh(stack);
      for (const cluster of mesh.clusters) {
        const config = esmConfig(clusterOf(mesh, cluster.name));
        assert.equal(config["client_address"], `0.0.0.0:${CONSUL_ESM_METRICS_PORT}`);
        const telemetry = config["telemetry"] as { prometheus_retention_time?: string } | undefined;
        assert.ok(parseGoDuration(telemetry?.prometheus_retention_time ?? "0") > 0n);
      }
    });
  }
});
