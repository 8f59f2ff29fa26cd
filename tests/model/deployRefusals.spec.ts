/**
 * Configs the schema used to accept but the real systems refuse at deploy time: each is now refused at validation,
 * with the config path and the fix. Each test names the real system's source of the rule. The same cases run
 * through the CLI in a child process in tests/cli/badInputProcess.spec.ts.
 */
import { strict as assert } from "node:assert";
import { parseMeshConfig } from "../../model";
import { isHost } from "../../model/schema";
import { configError, rawMeshConfig } from "../helpers/stacks";

type Json = Record<string, unknown>;

const clusters = (raw: Json): Json[] => raw.clusters as Json[];
const services = (raw: Json): Json[] => raw.services as Json[];

describe("model: configs the real systems refuse are refused at validation", () => {
  describe("addresses (issue 20 item 5, issue 17 item 8)", () => {
    it("refuses a docker.subnet octet above 255 (it crashed the simulation before)", () => {
      const raw = rawMeshConfig("dev");
      (clusters(raw)[0]!.docker as Json).subnet = "10.10.300.0/24";
      const message = configError(raw);
      assert.match(message, /clusters\[0\]\.docker\.subnet: must be an IPv4 \/24 such as 10\.10\.1\.0\/24/);
      assert.match(message, /fix: correct the address; dockerd parses it with Go's net\/netip/);
    });

    it("refuses a consulDnsIP octet above 255, and says it must lie in the Service CIDR (kube-apiserver ipallocator)", () => {
      for (const bad of ["10.96.0.256", "10.96.0", "10.096.0.10", "consul-dns"]) {
        const raw = rawMeshConfig("prod");
        (clusters(raw)[0]!.kubernetes as Json).consulDnsIP = bad;
        const message = configError(raw);
        assert.match(message, /clusters\[0\]\.kubernetes\.consulDnsIP: must be an IPv4 address/, bad);
        assert.match(message, /fix: give a free address inside the cluster's Service CIDR/, bad);
      }
    });

    it("refuses gateway.wanAddress as a URL or with a port", () => {
      for (const bad of ["https://203.0.113.10", "203.0.113.10:8443", "gw.example.com/x", "300.1.1.1"]) {
        const raw = rawMeshConfig("prod");
        clusters(raw)[0]!.gateway = { ...(clusters(raw)[0]!.gateway as Json), wanAddress: bad };
        const message = configError(raw);
        assert.match(message, /clusters\[0\]\.gateway\.wanAddress: must be a host alone/, bad);
        assert.match(message, /fix: give only the host, such as 203\.0\.113\.10; the port is gateway\.port/, bad);
      }
    });

    it("refuses tracing.collectorHost as a URL or with a port", () => {
      for (const bad of ["http://otel-collector:4317", "otel-collector:4317"]) {
        const raw = rawMeshConfig("dev");
        raw.observability = { tracing: { enabled: true, collectorHost: bad } };
        assert.match(
          configError(raw),
          /observability\.tracing\.collectorHost: must be a host alone.*\n.*the port is observability\.tracing\.collectorPort/,
        );
      }
    });

    it("accepts hosts: IPv4 addresses and DNS names", () => {
      for (const good of ["203.0.113.10", "gw.example.com", "otel-collector", "a"]) assert.ok(isHost(good), good);
      for (const bad of ["1.2.3", "1.2.3.4.5", "http://a", "a:1", "a/b", "-a", ""]) assert.ok(!isHost(bad), bad);
    });
  });

  describe("Consul and Envoy", () => {
    it("refuses an intention description over 512 bytes, counted in bytes (consul agent/structs/config_entry_intentions.go)", () => {
      const raw = rawMeshConfig("dev");
      const intentions = raw.intentions as Json[];
      intentions[0]!.description = "é".repeat(257); // 257 characters, 514 bytes
      const message = configError(raw);
      assert.match(message, /intentions\[0\]\.description: must be at most 512 bytes in UTF-8, Consul's limit/);
      intentions[0]!.description = "é".repeat(256); // exactly 512 bytes
      assert.doesNotThrow(() => parseMeshConfig(raw));
    });

    it("refuses a healthCheckPath with a query string (envoy route_components.proto RouteMatch.path drops the query)", () => {
      for (const bad of ["/health?deep=1", "/health#x"]) {
        const raw = rawMeshConfig("dev");
        services(raw)[0]!.healthCheckPath = bad;
        const message = configError(raw);
        assert.match(message, /services\[0\]\.healthCheckPath: must be a path alone, without a query string/);
        assert.match(message, /fix: drop everything from the \? or #/);
      }
    });
  });

  describe("Kubernetes names (issue 17 item 8)", () => {
    it("refuses a service name that starts with a digit (apimachinery validation.go IsDNS1035Label)", () => {
      const raw = rawMeshConfig("prod");
      services(raw)[0]!.name = "1-api";
      const message = configError(raw);
      assert.match(message, /services\[0\]\.name: must be a DNS-1035 label: start with a letter/);
      assert.match(message, /fix: rename the service to start with a letter/);
    });
  });

  describe("Docker (issue 16 item 7)", () => {
    it("refuses an instance hostname over 64 bytes (moby daemon/daemon_unix.go verifyPlatformContainerSettings)", () => {
      const raw = rawMeshConfig("dev");
      const svc = services(raw).find((s) => s.name === "api-gateway")!;
      const long = `a${"b".repeat(57)}`; // "east-" + 58 + "-1" = 65 bytes
      (raw.services as Json[]).forEach((s) => {
        for (const u of (s.upstreams as Json[] | undefined) ?? []) if (u.service === "api-gateway") u.service = long;
      });
      for (const i of raw.intentions as Json[]) {
        if (i.source === "api-gateway") i.source = long;
        if (i.destination === "api-gateway") i.destination = long;
      }
      svc.name = long;
      const message = configError(raw);
      assert.match(
        message,
        new RegExp(`services\\[0\\]\\.name: instance hostname "east-${long}-1" .* is 65 bytes; dockerd refuses`),
      );
      assert.match(message, /fix: shorten the service or cluster name by 1 characters/);
      svc.name = long.slice(1); // 64 bytes: the longest Linux allows
      for (const i of raw.intentions as Json[]) {
        if (i.source === long) i.source = svc.name;
        if (i.destination === long) i.destination = svc.name;
      }
      (raw.services as Json[]).forEach((s) => {
        for (const u of (s.upstreams as Json[] | undefined) ?? []) if (u.service === long) u.service = svc.name;
      });
      assert.doesNotThrow(() => parseMeshConfig(raw));
    });

    it("refuses two clusters publishing the same publishApiPort on one Docker host (moby portallocator.go)", () => {
      const raw = rawMeshConfig("dev");
      (clusters(raw)[1]!.consul as Json).publishApiPort = (clusters(raw)[0]!.consul as Json).publishApiPort;
      const message = configError(raw);
      assert.match(message, /clusters\[1\]\.consul\.publishApiPort: port 8501 is already published by clusters\[0\]/);
      assert.match(message, /port is already allocated/);
      // On another daemon the same port is free.
      (clusters(raw)[1]!.docker as Json).host = "ssh://other-host";
      assert.doesNotThrow(() => parseMeshConfig(raw));
    });

    it("refuses a cluster subnet equal to the WAN network's (moby ipamapi ErrPoolOverlap)", () => {
      const raw = rawMeshConfig("dev");
      (clusters(raw)[0]!.docker as Json).subnet = "10.10.255.0/24";
      const message = configError(raw);
      assert.match(message, /clusters\[0\]\.docker\.subnet: 10\.10\.255\.0\/24 is the shared WAN network's subnet/);
      assert.match(message, /Pool overlaps with other one on this address space/);
    });
  });
});
