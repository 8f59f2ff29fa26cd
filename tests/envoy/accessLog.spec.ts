import { strict as assert } from "assert";
import { allInstances, type Mesh } from "../../model";
import { gatewayConfig, sidecarConfig } from "../../envoy";
import type { AccessLog, Listener } from "../../envoy/types";
import { stackMesh } from "./helpers";

/** Every listener Envoy would load on the stack's sidecars and gateways, labelled by where it runs. */
function everyListener(mesh: Mesh): { where: string; listener: Listener }[] {
  return [
    ...allInstances(mesh).flatMap((inst) =>
      sidecarConfig(mesh, inst).listeners.resources.map((listener) => ({ where: inst.name, listener })),
    ),
    ...mesh.clusters.flatMap((cluster) =>
      gatewayConfig(mesh, cluster.name).listeners.resources.map((listener) => ({
        where: `${cluster.name} gateway`,
        listener,
      })),
    ),
  ];
}

/** The access_log of each chain's terminal filter (HTTP connection manager or tcp_proxy). */
function terminalAccessLogs(listener: Listener): (AccessLog[] | undefined)[] {
  return listener.filter_chains.map((chain) => {
    const config = chain.filters.at(-1)?.typed_config as { access_log?: AccessLog[] } | undefined;
    return config?.access_log;
  });
}

// Probes and scrapes are not mesh traffic: Consul's prometheus/stats/ready listeners
// (hashicorp/consul command/connect/envoy/bootstrap_config.go, generateListenerConfig) and Istio's 15090/15021
// listeners (istio/istio tools/packaging/common/envoy_bootstrap.json) log nothing either.
const UNLOGGED = new Set(["health", "prometheus"]);

describe("envoy access logs", () => {
  for (const stack of ["dev", "prod"] as const) {
    it(`${stack}: the health and Prometheus listeners write no access log; every traffic listener writes one`, () => {
      const listeners = everyListener(stackMesh(stack));
      const seen = new Set<string>();
      for (const { where, listener } of listeners) {
        const kind = UNLOGGED.has(listener.name) ? listener.name : listener.name.replace(/_.*$/, "");
        seen.add(kind);
        for (const [i, logs] of terminalAccessLogs(listener).entries()) {
          const at = `${where} ${listener.name} chain ${i}`;
          if (UNLOGGED.has(listener.name)) {
            assert.equal(logs, undefined, `${at} logs every probe or scrape`);
            continue;
          }
          assert.equal(logs?.length, 1, `${at} has no access log`);
          const log = logs[0]!.typed_config as { path: string; log_format?: { json_format?: object } };
          assert.equal(log.path, "/dev/stdout", at);
          assert.ok(log.log_format?.json_format, `${at} logs without the JSON schema`);
        }
      }
      // Not vacuous: the stack has every kind of listener the rule is about.
      for (const kind of ["health", "prometheus", "inbound", "outbound", "mesh"]) assert.ok(seen.has(kind), kind);
      if (stack === "dev") assert.ok(seen.has("edge"), "edge");
    });
  }
});
