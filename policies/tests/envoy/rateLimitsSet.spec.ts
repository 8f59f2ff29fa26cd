import { strict as assert } from "node:assert";
import type { Json } from "../../lib/props";
import { checkRateLimitsSet, rateLimitsSet, rateLimitsSetDefaults } from "../../rules/envoy/rateLimitsSet";
import { editEnvoy, named, sidecarConfigMap, sidecarContainer } from "../fixtures/mesh";
import { runResourcePolicy } from "../../../simulate/policyRunner";

function httpFilters(document: Json): Json[] {
  const chain = (named(document, "inbound").filter_chains as Json[])[0] as Json;
  const manager = (chain.filters as Json[]).find((f) => f.name === "envoy.filters.network.http_connection_manager");
  return (manager?.typed_config as Json).http_filters as Json[];
}

function rateLimit(document: Json): Json {
  const filter = httpFilters(document).find((f) => f.name === "envoy.filters.http.local_ratelimit");
  return filter?.typed_config as Json;
}

const check = (r: ReturnType<typeof sidecarContainer>): string[] => checkRateLimitsSet(r, rateLimitsSetDefaults);

describe("lucid-envoy-rate-limits-set", () => {
  it("passes the generated sidecar (seed: 1000 rps, burst 2000)", () => {
    assert.deepEqual(check(sidecarContainer()), []);
    assert.deepEqual(check(sidecarConfigMap()), []);
  });

  it("fails an inbound HTTP listener without a local rate limit", () => {
    const r = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
      const filters = httpFilters(d);
      filters.splice(
        filters.findIndex((f) => f.name === "envoy.filters.http.local_ratelimit"),
        1,
      );
    });
    assert.deepEqual(check(r), [
      'listener "inbound" has no rate limit; add an envoy.filters.http.local_ratelimit HTTP filter with a token bucket before the router.',
    ]);
  });

  it("fails a refill rate above the configured maximum", async () => {
    const r = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
      (rateLimit(d).token_bucket as Json).fill_interval = "0.1s";
    });
    assert.deepEqual(check(r), [
      'listener "inbound": token bucket refills 10000 requests/s; set tokens_per_fill/fill_interval between 10 and 5000 per second.',
    ]);
    const configured = await runResourcePolicy(rateLimitsSet, sidecarContainer(), {
      config: { maxRequestsPerSecond: 500 },
    });
    assert.deepEqual(
      configured.violations.map((v) => v.message),
      [
        'listener "inbound": token bucket refills 1000 requests/s; set tokens_per_fill/fill_interval between 10 and 500 per second.',
      ],
    );
  });

  it("fails a burst above maxBurst", () => {
    const r = editEnvoy(sidecarConfigMap(), "listener.yaml", (d) => {
      (rateLimit(d).token_bucket as Json).max_tokens = 50000;
    });
    assert.deepEqual(check(r), ['listener "inbound": max_tokens 50000 allows bursts above 10000; lower max_tokens.']);
  });

  it("fails a limit that is not enforced for every request", () => {
    const r = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
      delete rateLimit(d).filter_enforced;
    });
    assert.deepEqual(check(r), [
      'listener "inbound": local_ratelimit is not enabled and enforced for all requests; set filter_enabled and filter_enforced default_value to 100/HUNDRED.',
    ]);
  });

  for (const make of [sidecarContainer, sidecarConfigMap]) {
    it(`${make.name}: fails a rate limit placed after the router, where it never runs`, () => {
      const r = editEnvoy(make(), "listener.yaml", (d) => {
        const filters = httpFilters(d);
        const [limit] = filters.splice(
          filters.findIndex((f) => f.name === "envoy.filters.http.local_ratelimit"),
          1,
        );
        filters.push(limit!);
      });
      assert.deepEqual(check(r), [
        'listener "inbound": envoy.filters.http.local_ratelimit comes after envoy.filters.http.router, so it never runs; move it before the router.',
      ]);
    });
  }

  it("fails a disabled rate limit, and fails closed on a sidecar without an inbound listener", () => {
    const disabled = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
      httpFilters(d).find((f) => f.name === "envoy.filters.http.local_ratelimit")!.disabled = true;
    });
    assert.deepEqual(check(disabled), [
      'listener "inbound": envoy.filters.http.local_ratelimit is disabled, so it never runs; remove disabled.',
    ]);
    const empty = editEnvoy(sidecarConfigMap(), "listener.yaml", (d) => {
      d.resources = [];
    });
    assert.deepEqual(check(empty), [
      'this sidecar has no inbound listener ("inbound" on port 15001), so nothing proves it limits requests; deliver the generated listener file.',
    ]);
  });
});
