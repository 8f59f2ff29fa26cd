import { strict as assert } from "node:assert";
import { stableId, type RecordedResource } from "../../simulate/recorder";
import {
  CONTAINER,
  containerFindings,
  cpusAsReadBack,
  dockerForceNew,
  goDurationString,
  nanoToDecimalString,
  parseCpus,
  readBackContainer,
} from "../../simulate/docker";
import { dockerSystem } from "../../simulate/docker";
import { secondUp, type Deployment } from "../../simulate/system";
import { recordedResource } from "../helpers/recorded";

function container(name: string, inputs: Record<string, unknown>): RecordedResource {
  return recordedResource(CONTAINER, name, { name, ...inputs });
}

const deployment = (...resources: RecordedResource[]): Deployment => ({ resources, outputsOf: () => undefined });
const rules = (d: Deployment) => containerFindings(d).map((f) => [f.subject.split("::").pop(), f.rule]);
const upload = { file: "/etc/envoy/bootstrap.yaml", content: "x" };

describe("Docker model (simulate/docker): dockerd and kreuzwerker/terraform-provider-docker", () => {
  describe("refusals (check)", () => {
    it("refuses uploads into a read-only rootfs: the provider extracts at / (moby daemon/archive_unix.go checkWritablePath)", () => {
      const findings = containerFindings(deployment(container("ro", { readOnly: true, uploads: [upload] })));
      assert.equal(findings.length, 1);
      assert.match(findings[0]!.message, /container rootfs is marked read-only/);
      assert.match(findings[0]!.source, /moby\/moby daemon\/archive_unix\.go/);
      // a writable rootfs takes the same upload; a read-only one with no uploads is fine
      assert.deepEqual(
        rules(deployment(container("rw", { uploads: [upload] }), container("ro2", { readOnly: true }))),
        [],
      );
    });

    it("refuses hostname, ports, dns and extra networks with network_mode container: (moby daemon/internal/runconfig/hostconfig.go)", () => {
      const holder = container("holder", {});
      const joined = container("joined", {
        networkMode: "container:holder",
        hostname: "h",
        ports: [{ internal: 80 }],
        dns: ["1.1.1.1"],
        networksAdvanced: [{ name: "n" }],
      });
      assert.deepEqual(
        rules(deployment(holder, joined)).map(([, r]) => r),
        [
          "docker/container/netns-hostname",
          "docker/container/netns-dns",
          "docker/container/netns-ports",
          "docker/container/netns-networks",
        ],
      );
      const messages = containerFindings(deployment(holder, joined)).map((f) => f.message);
      assert.ok(messages.includes("conflicting options: hostname and the network mode"));
      assert.ok(messages.includes("conflicting options: port publishing and the container type network mode"));
    });

    it("refuses joining a container nobody declares (moby daemon/container_operations.go getNetworkedContainer)", () => {
      assert.deepEqual(rules(deployment(container("lonely", { networkMode: "container:ghost" }))), [
        ["lonely", "docker/container/netns-unknown-container"],
      ]);
    });

    it("refuses an upload with no content (provider resourceDockerContainerCreate)", () => {
      assert.deepEqual(rules(deployment(container("empty", { uploads: [{ file: "/a", content: "" }] }))), [
        ["empty", "docker/container/upload-content"],
      ]);
    });

    it("refuses two containers with one name (moby daemon/names.go reserveName)", () => {
      const a = container("a", { name: "same" });
      const b = container("b", { name: "same" });
      assert.deepEqual(rules(deployment(a, b)), [["b", "docker/container/name-in-use"]]);
    });

    it("refuses memory under 6MB and a swap limit under the memory limit (moby daemon/daemon_unix.go)", () => {
      assert.deepEqual(
        rules(deployment(container("tiny", { memory: 4 }), container("swap", { memory: 64, memorySwap: 32 }))),
        [
          ["tiny", "docker/container/memory-minimum"],
          ["swap", "docker/container/swap-below-memory"],
        ],
      );
    });

    it("refuses wait without a healthcheck (provider resourceDockerContainerCreate)", () => {
      assert.deepEqual(rules(deployment(container("w", { wait: true }))), [
        ["w", "docker/container/wait-without-healthcheck"],
      ]);
      assert.deepEqual(rules(deployment(container("h", { wait: true, healthcheck: { tests: ["CMD", "true"] } }))), []);
    });

    it("refuses cpus that docker/cli's ParseCPUs cannot parse", () => {
      assert.deepEqual(rules(deployment(container("c", { cpus: "0.0000000001" }))), [
        ["c", "docker/container/cpus-parse"],
      ]);
    });
  });

  describe("read-back and the second up", () => {
    it("reads container:<name> back as container:<id>, a replacement on every up (moby daemon/daemon_unix.go adaptSharedNamespaceContainer)", () => {
      const holder = container("holder", {});
      const byName = container("byName", { networkMode: "container:holder" });
      const byId = container("byId", { networkMode: `container:${stableId(CONTAINER, "holder")}` });
      const d = deployment(holder, byName, byId);
      assert.equal(readBackContainer(byName, d).networkMode, `container:${stableId(CONTAINER, "holder")}`);
      const changes = secondUp([dockerSystem], d);
      assert.deepEqual(
        changes.map((c) => [c.name, c.action, c.properties]),
        [["byName", "replace", ["networkMode"]]],
      );
    });

    it("stores an unset memory_swap as twice memory (adaptContainerSettings), -1 without a swap limit", () => {
      const unset = container("u", { memory: 256 });
      assert.equal(readBackContainer(unset, deployment(unset)).memorySwap, 512);
      assert.equal(readBackContainer(unset, deployment(unset), { swapLimit: false }).memorySwap, -1);
      const set = container("s", { memory: 256, memorySwap: 256 });
      assert.equal(readBackContainer(set, deployment(set)).memorySwap, 256);
      assert.deepEqual(
        secondUp([dockerSystem], deployment(unset)).map((c) => [c.action, c.properties]),
        [["update", ["memorySwap"]]],
      );
      assert.deepEqual(secondUp([dockerSystem], deployment(set)), []);
      const none = container("n", {});
      assert.equal(readBackContainer(none, deployment(none)).memorySwap, undefined);
    });

    it("reads cpus back with nanoInt64ToDecimalString (provider internal/provider/helpers.go): 1 becomes 1.0, a replacement", () => {
      assert.equal(nanoToDecimalString(parseCpus("1")), "1.0");
      assert.equal(nanoToDecimalString(parseCpus("0.5")), "0.5");
      assert.equal(nanoToDecimalString(parseCpus("1.5")), "1.5");
      assert.equal(nanoToDecimalString(parseCpus("0.25")), "0.25");
      assert.equal(nanoToDecimalString(parseCpus("10")), "10."); // the provider's own quirk
      assert.equal(nanoToDecimalString(parseCpus("0.05")), "0.1"); // and another
      assert.equal(cpusAsReadBack("2"), "2.0");
      const whole = container("w", { cpus: "1" });
      assert.deepEqual(
        secondUp([dockerSystem], deployment(whole)).map((c) => [c.action, c.properties]),
        [["replace", ["cpus"]]],
      );
      assert.deepEqual(secondUp([dockerSystem], deployment(container("canon", { cpus: cpusAsReadBack("1") }))), []);
    });

    it("reads healthcheck times back with Go's Duration.String()", () => {
      assert.equal(goDurationString("10s"), "10s");
      assert.equal(goDurationString("60s"), "1m0s");
      assert.equal(goDurationString("90s"), "1m30s");
      assert.equal(goDurationString("500ms"), "500ms");
      const hc = container("hc", { healthcheck: { tests: ["CMD", "true"], interval: "60s", retries: 3 } });
      assert.deepEqual(
        secondUp([dockerSystem], deployment(hc)).map((c) => [c.action, c.properties]),
        [["update", ["healthcheck"]]],
      );
    });

    it("reads an exited one-shot with must_run false (resourceDockerContainerRead): declare mustRun false", () => {
      const drifting = container("d", { attach: true });
      assert.deepEqual(
        secondUp([dockerSystem], deployment(drifting)).map((c) => c.properties),
        [["mustRun"]],
      );
      assert.deepEqual(secondUp([dockerSystem], deployment(container("q", { attach: true, mustRun: false }))), []);
    });

    it("knows the provider schema's ForceNew inputs (uploads, network_mode, cpus) and the in-place ones (memory, restart)", () => {
      const forceNew = dockerForceNew[CONTAINER]!;
      for (const key of ["uploads", "networkMode", "cpus", "readOnly", "volumes", "labels", "image"])
        assert.ok(forceNew.includes(key), key);
      for (const key of ["memory", "memorySwap", "restart", "healthcheck", "mustRun", "tmpfs"])
        assert.ok(!forceNew.includes(key), key);
    });
  });
});
