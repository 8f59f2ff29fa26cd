/**
 * dockerd's default IPAM as the Docker model runs it (simulate/docker/ipam.ts): moby/moby v20.10.24
 * vendor/github.com/docker/libnetwork/ipam/allocator.go (insertBitMask, getAddress), endpoint.go
 * (assignAddressVersion) and network.go (ipamAllocateVersion), checked on a real dockerd 20.10.24.
 */
import { strict as assert } from "node:assert";
import { CONTAINER, containerFindings, dockerProviderModels } from "../../simulate/docker";
import { DockerIpam } from "../../simulate/docker/ipam";
import { NETWORK } from "../../simulate/docker/schema";
import { ModelSession, type ModelResult, type RecordedResource } from "../../simulate/recorder";
import type { Deployment } from "../../simulate/system";
import { recordedResource } from "../helpers/recorded";

const SUBNET = { subnet: "10.10.1.0/24", ipRange: "10.10.1.128/25" };

function resource(type: string, name: string, inputs: Record<string, unknown>): RecordedResource {
  return recordedResource(type, name, { name, ...inputs });
}
const network = (name: string): RecordedResource => resource(NETWORK, name, { ipamConfigs: [SUBNET] });
const attached = (name: string, net: string, ipv4Address?: string): RecordedResource =>
  resource(CONTAINER, name, { networksAdvanced: [{ name: net, ...(ipv4Address ? { ipv4Address } : {}) }] });
const deployment = (...resources: RecordedResource[]): Deployment => ({ resources, outputsOf: () => undefined });
const addressFindings = (d: Deployment) =>
  containerFindings(d).filter((f) => f.rule === "docker/container/network-address");

function address(ipam: DockerIpam, net: string, fixed?: string): string {
  const result = ipam.connect(net, fixed);
  assert.ok(result && "address" in result, JSON.stringify(result));
  return result.address;
}

describe("Docker model: dockerd's default IPAM (simulate/docker/ipam.ts)", () => {
  it("gives the bridge the ip-range's first address and containers the next free ones (.128 gateway, .129 first)", () => {
    const ipam = new DockerIpam();
    ipam.addNetwork("n", "n-id", SUBNET);
    assert.equal(address(ipam, "n"), "10.10.1.129");
    // a fixed address inside the range is skipped by the next dynamic one; one outside the range is allowed
    assert.equal(address(ipam, "n", "10.10.1.130"), "10.10.1.130");
    assert.equal(address(ipam, "n", "10.10.1.5"), "10.10.1.5");
    assert.equal(address(ipam, "n"), "10.10.1.131");
  });

  it("hands out 126 addresses from a .128/25 range, then refuses with dockerd's message", () => {
    const ipam = new DockerIpam();
    ipam.addNetwork("n", "n-id", SUBNET);
    const given = Array.from({ length: 126 }, () => address(ipam, "n"));
    assert.equal(new Set(given).size, 126);
    assert.equal(given.at(-1), "10.10.1.254");
    assert.deepEqual(ipam.connect("n", undefined), {
      refusal: "no available IPv4 addresses on this network's address pools: n (n-id)",
    });
  });

  it("refuses an exhausted pool in the check, naming the container that does not start", () => {
    const containers = Array.from({ length: 127 }, (_, i) => attached(`c${i}`, "n"));
    const findings = addressFindings(deployment(network("n"), ...containers));
    assert.equal(findings.length, 1);
    assert.match(findings[0]!.subject, /::c126$/);
    assert.match(
      findings[0]!.message,
      /^Unable to start container: Error response from daemon: no available IPv4 addresses on this network's address pools: n \(n-[0-9a-f]{8}\)/,
    );
    assert.match(findings[0]!.source, /moby\/moby .*assignAddressVersion/);
    // a container the provider does not start takes no address
    const stopped = resource(CONTAINER, "stopped", { start: false, networksAdvanced: [{ name: "n" }] });
    assert.deepEqual(addressFindings(deployment(network("n"), stopped, ...containers.slice(0, 126))), []);
  });

  it("refuses a fixed address twice: Address already in use", () => {
    const findings = addressFindings(
      deployment(network("n"), attached("a", "n", "10.10.1.10"), attached("b", "n", "10.10.1.10")),
    );
    assert.deepEqual(
      findings.map((f) => [f.subject.split("::").pop(), f.message]),
      [["b", "Unable to start container: Error response from daemon: Address already in use (network n)"]],
    );
    // the bridge's own address is taken too
    assert.equal(addressFindings(deployment(network("n"), attached("g", "n", "10.10.1.128"))).length, 1);
  });

  it("refuses a fixed address outside the subnet", () => {
    const findings = addressFindings(deployment(network("n"), attached("a", "n", "10.10.2.9")));
    assert.equal(findings.length, 1);
    assert.match(
      findings[0]!.message,
      /Invalid address 10\.10\.2\.9: It does not belong to any of this network's subnets/,
    );
  });

  it("the provider model allocates per run: distinct addresses within a run, the same ones in the next run", async () => {
    const run = async (): Promise<string[]> => {
      const session = new ModelSession();
      const call = (type: string, name: string, inputs: Record<string, unknown>) =>
        dockerProviderModels[type]!({ type, name, inputs, stack: "t", session }) as ModelResult;
      call(NETWORK, "net", { name: "n", ipamConfigs: [SUBNET] });
      return Array.from({ length: 60 }, (_, i) => {
        const out = call(CONTAINER, `c${i}`, { name: `c${i}`, networksAdvanced: [{ name: "n" }] }).outputs;
        return (out.networkDatas as Array<{ ipAddress: string }>)[0]!.ipAddress;
      });
    };
    const first = await run();
    assert.equal(new Set(first).size, 60);
    assert.deepEqual(await run(), first);
  });
});
