/**
 * Issue 18: what Envoy does with the generated files under real traffic. Each block names the Envoy source the
 * expectation comes from; every test here fails on the generator before the fix.
 */
import { strict as assert } from "node:assert";
import { gatewayConfig, sidecarConfig } from "../../envoy";
import { envoyCommand } from "../../components/platform/types";
import { envoyConcurrency } from "../../envoy/concurrency";
import type { Cluster, HttpConnectionManager, Listener, NetworkLocalRateLimit, Route } from "../../envoy/types";
import { allInstances, findService, instancesOf, type Mesh, type ServiceInstance } from "../../model";
import { checkFor, registrations } from "../../consul/registration";
import { healthAnswer, type HealthCheckTarget } from "../../simulate/envoy/health";
import { ldsRejection } from "../../simulate/envoy/reload";
import { rawMeshConfig, stackMesh } from "../helpers/stacks";
import { parseMeshConfig } from "../../model";

const HCM = "envoy.filters.network.http_connection_manager";

function instanceOf(mesh: Mesh, service: string, cluster?: string): ServiceInstance {
  const found = instancesOf(mesh, findService(mesh, service)).find((i) => !cluster || i.cluster === cluster);
  if (!found) throw new Error(`no instance of ${service}`);
  return found;
}

function listenerOf(mesh: Mesh, instance: ServiceInstance, name: string): Listener {
  const found = sidecarConfig(mesh, instance).listeners.resources.find((l) => l.name === name);
  if (!found) throw new Error(`${instance.name} has no listener ${name}`);
  return found;
}

function hcms(listener: Listener): HttpConnectionManager[] {
  return listener.filter_chains.flatMap((c) =>
    c.filters.filter((f) => f.name === HCM).map((f) => f.typed_config as HttpConnectionManager),
  );
}

function routesOf(listener: Listener): Route[] {
  return hcms(listener).flatMap((h) => h.route_config?.virtual_hosts.flatMap((v) => v.routes) ?? []);
}

function meshWith(stack: "dev" | "prod", edit: (raw: Record<string, unknown>) => void): Mesh {
  const raw = rawMeshConfig(stack);
  edit(raw);
  return parseMeshConfig(raw);
}

function serviceConfig(raw: Record<string, unknown>, name: string): Record<string, unknown> {
  const found = (raw.services as Array<Record<string, unknown>>).find((s) => s.name === name);
  if (!found) throw new Error(`no service ${name}`);
  return found;
}

const stacks = { dev: stackMesh("dev"), prod: stackMesh("prod") };
const everySidecar = (): Array<[string, Mesh, ServiceInstance]> =>
  (["dev", "prod"] as const).flatMap((s) =>
    allInstances(stacks[s]).map((i): [string, Mesh, ServiceInstance] => [s, stacks[s], i]),
  );

describe("issue 18: the data plane under real traffic", () => {
  describe("2. retries never repeat a request that was sent", () => {
    /**
     * retry_state_impl.cc, wouldRetryFromReset: `reset`, `5xx` and `gateway-error` retry any reset, including the
     * LocalReset router.cc's onPerTryTimeoutCommon raises after a per-try timeout, and wouldRetryFromHeaders retries
     * on a response (so the request was processed). Only these three retry a request that never left:
     * connect-failure (the pool never connected), refused-stream (HTTP/2 REFUSED_STREAM: not processed) and
     * reset-before-request (only while `!upstream_request_started`).
     */
    const NEVER_SENT = new Set(["connect-failure", "refused-stream", "reset-before-request"]);

    it("no route in either stack retries after its request was sent, and none has a per-try timeout", () => {
      let routes = 0;
      for (const [stack, mesh, instance] of everySidecar()) {
        for (const listener of sidecarConfig(mesh, instance).listeners.resources) {
          for (const route of routesOf(listener)) {
            const policy = route.route?.retry_policy;
            if (!policy) continue;
            routes++;
            const where = `${stack} ${instance.name} ${listener.name}`;
            for (const condition of policy.retry_on.split(","))
              assert.ok(NEVER_SENT.has(condition), `${where}: ${condition}`);
            assert.equal(policy.per_try_timeout, undefined, `${where}: per_try_timeout`);
          }
        }
      }
      assert.ok(routes >= 10, `${routes} retrying routes checked`);
    });

    it("a service's own retry policy reaches its callers' routes, per-try timeout included", () => {
      const mesh = meshWith("dev", (raw) => {
        serviceConfig(raw, "session-api").traffic = {
          retries: { attempts: 1, perTryTimeoutSeconds: 1.5, retryOn: ["reset-before-request", "gateway-error"] },
        };
      });
      const caller = instanceOf(mesh, "api-gateway");
      assert.deepEqual(routesOf(listenerOf(mesh, caller, "outbound_session-api"))[0]!.route!.retry_policy, {
        retry_on: "reset-before-request,gateway-error",
        num_retries: 1,
        per_try_timeout: "1.500s",
      });
      // Other upstreams keep the safe default.
      assert.equal(
        routesOf(listenerOf(mesh, caller, "outbound_blockchain-core"))[0]!.route!.retry_policy!.retry_on,
        "connect-failure,refused-stream,reset-before-request",
      );
    });
  });

  describe("3. timeouts", () => {
    it("gRPC routes (outbound and inbound) have no whole-request timeout; HTTP ones keep 15 s", () => {
      const prod = stacks.prod;
      const caller = instanceOf(prod, "blockchain-core", "west");
      assert.equal(routesOf(listenerOf(prod, caller, "outbound_blockchain-anchor"))[0]!.route!.timeout, "0s");
      assert.equal(routesOf(listenerOf(prod, caller, "outbound_blockchain-manager"))[0]!.route!.timeout, "15s");
      const anchor = instanceOf(prod, "blockchain-anchor");
      assert.equal(routesOf(listenerOf(prod, anchor, "inbound"))[0]!.route!.timeout, "0s");
    });

    it("a service can set its own route timeout", () => {
      const mesh = meshWith("prod", (raw) => {
        serviceConfig(raw, "blockchain-anchor").traffic = { requestTimeoutSeconds: 120 };
      });
      const caller = instanceOf(mesh, "blockchain-core", "west");
      assert.equal(routesOf(listenerOf(mesh, caller, "outbound_blockchain-anchor"))[0]!.route!.timeout, "120s");
    });

    it("the gateway-to-gateway hop has a WAN connect timeout (5 s, Consul's gateway default); local hops keep 0.25 s", () => {
      for (const mesh of [stacks.dev, stacks.prod]) {
        for (const cluster of mesh.clusters) {
          const clusters = gatewayConfig(mesh, cluster.name).clusters.resources;
          const remote = clusters.filter((c) => c.name.startsWith("remote_gateway_"));
          assert.ok(remote.length > 0, cluster.name);
          for (const c of remote) assert.equal(c.connect_timeout, "5s", c.name);
          for (const c of clusters.filter((x) => x.name.startsWith("local_")))
            assert.equal(c.connect_timeout, "0.250s");
        }
      }
      const tuned = meshWith("dev", (raw) => {
        (raw.clusters as Array<Record<string, unknown>>)[0]!.gateway = { remoteConnectTimeoutSeconds: 2 };
      });
      const east = gatewayConfig(tuned, "east").clusters.resources.find((c) => c.name === "remote_gateway_west");
      assert.equal(east?.connect_timeout, "2s");
    });
  });

  describe("4. every health answer reflects the app", () => {
    it("the check Consul runs for every instance of both stacks fails with the app down and passes with it up", () => {
      let checked = 0;
      for (const mesh of [stacks.dev, stacks.prod]) {
        for (const cluster of mesh.clusters) {
          for (const registration of registrations(mesh, cluster)) {
            const instance = allInstances(mesh).find(
              (i) => i.cluster === cluster.name && i.service === registration.name,
            );
            assert.ok(instance, registration.serviceId);
            const config = sidecarConfig(mesh, instance);
            const health = config.listeners.resources.find((l) => l.name === "health");
            assert.ok(health, instance.name);
            const check = checkFor(registration, "10.0.0.7");
            const target: HealthCheckTarget =
              "http" in check ? { kind: "http", path: new URL(check.http).pathname } : { kind: "tcp" };
            const where = `${mesh.environment} ${instance.name} (${findService(mesh, instance.service).protocol})`;
            assert.equal(healthAnswer(health, config.bootstrap, target, "down").passing, false, `${where}: app down`);
            assert.equal(healthAnswer(health, config.bootstrap, target, "up").passing, true, `${where}: app up`);
            checked++;
          }
        }
      }
      assert.ok(checked >= 19, `${checked} registrations`);
    });

    it("a TCP service's local app cluster is actively health-checked, which the health_check filter reads", () => {
      const prod = stacks.prod;
      const config = sidecarConfig(prod, instanceOf(prod, "session-recorder"));
      const app = config.bootstrap.static_resources.clusters.find((c) => c.name === "local_app");
      assert.deepEqual(app?.health_checks?.[0]?.tcp_health_check, {});
      const health = hcms(config.listeners.resources.find((l) => l.name === "health")!)[0]!;
      const filter = health.http_filters.find((f) => f.name === "envoy.filters.http.health_check");
      assert.deepEqual(filter?.typed_config, {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck",
        pass_through_mode: false,
        headers: [{ name: ":path", string_match: { exact: "/health" } }],
        cluster_min_healthy_percentages: { local_app: { value: 100 } },
      });
    });

    it("the model itself: a health_check filter over a cluster nobody health-checks would always pass", () => {
      const prod = stacks.prod;
      const config = sidecarConfig(prod, instanceOf(prod, "session-recorder"));
      const health = config.listeners.resources.find((l) => l.name === "health")!;
      const unchecked = structuredClone(config.bootstrap);
      for (const c of unchecked.static_resources.clusters) delete (c as Partial<Cluster>).health_checks;
      assert.equal(healthAnswer(health, unchecked, { kind: "http", path: "/health" }, "down").passing, true);
    });
  });

  describe("5. worker threads follow the CPU limit", () => {
    it("--concurrency is the CPU limit rounded up, at least 1", () => {
      assert.deepEqual([0.25, 0.5, 1, 1.5, 4].map(envoyConcurrency), [1, 1, 1, 2, 4]);
      const command = envoyCommand("/etc/envoy/bootstrap.yaml", stacks.prod.sidecar.cpus);
      assert.equal(command[command.indexOf("--concurrency") + 1], "1");
    });
  });

  describe("6. identity and upgrades", () => {
    it("the mTLS inbound sets XFCC from the verified peer (SANITIZE_SET, URI); no other HCM forwards one", () => {
      for (const [stack, mesh, instance] of everySidecar()) {
        for (const listener of sidecarConfig(mesh, instance).listeners.resources) {
          for (const hcm of hcms(listener)) {
            const where = `${stack} ${instance.name} ${listener.name}`;
            if (listener.name === "inbound") {
              assert.equal(hcm.forward_client_cert_details, "SANITIZE_SET", where);
              assert.deepEqual(hcm.set_current_client_cert_details, { uri: true }, where);
            } else {
              assert.equal(hcm.forward_client_cert_details, undefined, where);
              assert.equal(hcm.set_current_client_cert_details, undefined, where);
            }
          }
        }
      }
    });

    it("HTTP/1.1 services accept WebSocket upgrades on their inbound and their callers' outbound listeners", () => {
      const dev = stacks.dev;
      const api = instanceOf(dev, "api-gateway");
      for (const name of ["inbound", "outbound_session-api", "edge"]) {
        assert.deepEqual(hcms(listenerOf(dev, api, name))[0]!.upgrade_configs, [{ upgrade_type: "websocket" }], name);
      }
      // gRPC (HTTP/2) has no HTTP/1.1 upgrade.
      const prod = stacks.prod;
      const anchor = instanceOf(prod, "blockchain-anchor");
      assert.equal(hcms(listenerOf(prod, anchor, "inbound"))[0]!.upgrade_configs, undefined);
    });
  });

  describe("7. adding or removing an upstream is safe in either reload order", () => {
    it("every inline route config in both stacks sets validate_clusters: false", () => {
      const listeners = [
        ...everySidecar().flatMap(([, mesh, i]) => sidecarConfig(mesh, i).listeners.resources),
        ...[stacks.dev, stacks.prod].flatMap((m) =>
          m.clusters.flatMap((c) => gatewayConfig(m, c.name).listeners.resources),
        ),
      ];
      for (const listener of listeners) {
        for (const hcm of hcms(listener)) assert.equal(hcm.route_config?.validate_clusters, false, listener.name);
      }
    });

    const before = stacks.dev;
    const after = meshWith("dev", (raw) => {
      const upstreams = serviceConfig(raw, "api-gateway").upstreams as Array<Record<string, unknown>>;
      upstreams.push({ service: "session-recorder", localPort: 9103 });
      (raw.intentions as Array<Record<string, unknown>>).push({
        source: "api-gateway",
        destination: "session-recorder",
        action: "allow",
      });
    });
    const gatewayOf = (mesh: Mesh): ReturnType<typeof sidecarConfig> =>
      sidecarConfig(mesh, instanceOf(mesh, "api-gateway"));
    const loaded = (config: ReturnType<typeof sidecarConfig>): Set<string> =>
      new Set([
        ...config.bootstrap.static_resources.clusters.map((c) => c.name),
        ...config.clusters.resources.map((c) => c.name),
      ]);

    it("adding: LDS reloading before CDS is accepted (and CDS before LDS)", () => {
      const [old, next] = [gatewayOf(before), gatewayOf(after)];
      assert.ok(next.clusters.resources.some((c) => c.name === "upstream_session-recorder"));
      // LDS first: the new listener names a cluster the old CDS does not have yet.
      assert.equal(ldsRejection(next.listeners.resources, loaded(old)), undefined);
      // CDS first: nothing to validate against.
      assert.equal(ldsRejection(next.listeners.resources, loaded(next)), undefined);
    });

    it("removing: CDS reloading before LDS leaves the old listener loaded (no re-validation), then LDS is accepted", () => {
      const [old, next] = [gatewayOf(after), gatewayOf(before)];
      assert.equal(ldsRejection(next.listeners.resources, loaded(old)), undefined);
      assert.equal(ldsRejection(next.listeners.resources, loaded(next)), undefined);
    });

    it("the model refuses what Envoy refuses: an inline route that validates its clusters, before CDS has the cluster", () => {
      const next = gatewayOf(after);
      const validating = structuredClone(next.listeners.resources);
      for (const listener of validating) for (const hcm of hcms(listener)) delete hcm.route_config!.validate_clusters;
      assert.equal(
        ldsRejection(validating, loaded(gatewayOf(before))),
        "Error adding/updating listener(s) outbound_session-recorder: route: unknown cluster 'upstream_session-recorder'",
      );
    });
  });

  describe("8. TCP services get a connection rate limit", () => {
    it("the TCP inbound sheds connections over the service's token bucket before RBAC and the proxy", () => {
      const prod = stacks.prod;
      const service = findService(prod, "session-recorder");
      const filters = listenerOf(prod, instanceOf(prod, "session-recorder"), "inbound").filter_chains[0]!.filters;
      assert.deepEqual(
        filters.map((f) => f.name),
        ["envoy.filters.network.local_ratelimit", "envoy.filters.network.rbac", "envoy.filters.network.tcp_proxy"],
      );
      const limit = filters[0]!.typed_config as NetworkLocalRateLimit;
      assert.deepEqual(limit.token_bucket, {
        max_tokens: service.rateLimit.burst,
        tokens_per_fill: service.rateLimit.requestsPerSecond,
        fill_interval: "1s",
      });
    });
  });
});
