import { strict as assert } from "node:assert";
import { MeshConfigError, didYouMean, editDistance, parseMeshConfig } from "../../model";
import { configError, rawMeshConfig } from "../helpers/stacks";

type Json = Record<string, unknown>;
type ServiceJson = { name: string; upstreams?: Array<{ service: string; localPort: number }>; [k: string]: unknown };

function services(raw: Json): ServiceJson[] {
  return raw.services as ServiceJson[];
}
function clusters(raw: Json): Json[] {
  return raw.clusters as Json[];
}
function service(raw: Json, name: string): ServiceJson {
  const found = services(raw).find((s) => s.name === name);
  if (!found) throw new Error(`fixture has no ${name}`);
  return found;
}

describe("model: stack config validation", () => {
  describe("the repo's stacks", () => {
    it("accepts the dev stack", () => {
      assert.doesNotThrow(() => parseMeshConfig(rawMeshConfig("dev")));
    });
    it("accepts the prod stack", () => {
      assert.doesNotThrow(() => parseMeshConfig(rawMeshConfig("prod")));
    });
  });

  describe("Docker address capacity (model/wan.ts)", () => {
    it("rejects a Docker cluster with more instances than its network's dynamic range hands out", () => {
      const raw = rawMeshConfig("dev");
      // 3 services × 42 instances in east = 126 > 124 (.129 to .254 less the applier and Prometheus)
      for (const s of services(raw)
        .filter((s) => (s.clusters as string[]).includes("east"))
        .slice(0, 3))
        s.instances = 42;
      const message = configError(raw);
      assert.match(message, /clusters\[0\]: cluster east runs \d+ service instances, but its Docker network hands out/);
      assert.match(message, /at most 124/);
    });
    it("accepts 124 instances in a cluster", () => {
      const raw = rawMeshConfig("dev");
      // Not the edge service: it runs one instance per Docker host (its port is published once).
      const inEast = services(raw).filter((s) => (s.clusters as string[]).includes("east"));
      const east = inEast.filter((s) => !s.edge);
      const others = inEast
        .filter((s) => !east.slice(0, 3).includes(s))
        .reduce((n, s) => n + ((s.instances as number | undefined) ?? 1), 0);
      east[0]!.instances = 41;
      east[1]!.instances = 42;
      east[2]!.instances = 41 - others;
      assert.doesNotThrow(() => parseMeshConfig(raw));
    });
  });

  describe("schema errors", () => {
    it("reports a missing config value with the key to set", () => {
      const message = configError(undefined);
      assert.match(message, /the config value is missing/);
      assert.match(message, /set lucid-mesh:mesh in Pulumi\.<stack>\.yaml/);
    });

    it("rejects a misspelled key with its path", () => {
      const raw = rawMeshConfig("dev");
      raw.securty = { mtls: "strict" };
      const message = configError(raw);
      assert.match(message, /- securty: unknown key\(s\) securty/);
      assert.match(message, /fix: remove or correct the key/);
    });

    it("rejects a nested unknown key with its full path", () => {
      const raw = rawMeshConfig("dev");
      (services(raw)[0] as Json).helthCheckPath = "/health";
      assert.match(configError(raw), /services\[0\]\.helthCheckPath: unknown key/);
    });

    it("rejects a port out of range", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "session-api").port = 70000;
      assert.match(configError(raw), /services\[\d\]\.port: must be a port from 1 to 65535/);
    });

    it("rejects a port of zero", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "session-api").port = 0;
      assert.match(configError(raw), /\.port: must be a port from 1 to 65535/);
    });

    it("rejects an upstream local port out of range", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "api-gateway").upstreams![0]!.localPort = 65536;
      assert.match(configError(raw), /upstreams\[0\]\.localPort: must be a port from 1 to 65535/);
    });

    it("rejects a service name that is not DNS-1123", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "session-api").name = "Session_API";
      assert.match(configError(raw), /services\[\d\]\.name: must be a DNS-1123 label/);
    });

    it("rejects a cluster name that is too long for DNS", () => {
      const raw = rawMeshConfig("dev");
      clusters(raw)[0]!.name = "a".repeat(64);
      assert.match(configError(raw), /clusters\[0\]\.name: must be at most 63 characters/);
    });

    it("rejects an unknown protocol and lists the allowed ones", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "session-api").protocol = "udp";
      const message = configError(raw);
      assert.match(message, /\.protocol:/);
      assert.match(message, /"http", "http2", "grpc", "tcp"/);
    });

    it("rejects a wrong type with the expected type", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "session-api").instances = "two";
      assert.match(configError(raw), /\.instances: .*fix: give a value of type number/s);
    });

    it("rejects a trust domain that is not a DNS name", () => {
      const raw = rawMeshConfig("dev");
      raw.trustDomain = "Lucid Mesh";
      assert.match(configError(raw), /trustDomain: must be a lower-case DNS name/);
    });

    it("rejects an invalid health check path", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "session-api").healthCheckPath = "health";
      assert.match(configError(raw), /healthCheckPath: must be an absolute path/);
    });

    it("rejects a docker subnet that is not a /24", () => {
      const raw = rawMeshConfig("dev");
      (clusters(raw)[0]!.docker as Json).subnet = "10.10.0.0/16";
      assert.match(configError(raw), /clusters\[0\]\.docker\.subnet: must be an IPv4 \/24/);
    });

    it("reports every problem at once, not just the first", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "session-api").port = 0;
      service(raw, "api-gateway").protocol = "udp";
      const message = configError(raw);
      assert.match(message, /\(2 problems\)/);
    });
  });

  describe("cross-reference errors", () => {
    it("rejects an unknown upstream with a did-you-mean", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "api-gateway").upstreams![0]!.service = "blockchain-cor";
      const message = configError(raw);
      assert.match(
        message,
        /upstreams\[0\]\.service: unknown service "blockchain-cor"\. Did you mean "blockchain-core"\?/,
      );
      assert.match(message, /fix: name a service declared under services/);
    });

    it("gives no suggestion when nothing is close", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "api-gateway").upstreams![0]!.service = "zzzzzzzzzz";
      const message = configError(raw);
      assert.match(message, /unknown service "zzzzzzzzzz"/);
      assert.doesNotMatch(message, /Did you mean/);
    });

    it("rejects two upstreams on one local port", () => {
      const raw = rawMeshConfig("dev");
      const ups = service(raw, "api-gateway").upstreams!;
      ups[1]!.localPort = ups[0]!.localPort;
      assert.match(configError(raw), /upstreams\[1\]\.localPort: port 9101 is already used by upstreams\[0\]/);
    });

    it("rejects an upstream local port that is the sidecar's admin port", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "api-gateway").upstreams![0]!.localPort = 15000;
      assert.match(configError(raw), /localPort: port 15000 is the sidecar's sidecar\.adminPort/);
    });

    it("rejects an upstream local port that is the sidecar's inbound port", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "api-gateway").upstreams![0]!.localPort = 15001;
      assert.match(configError(raw), /port 15001 is the sidecar's sidecar\.proxyPort/);
    });

    it("rejects an upstream local port that is the sidecar's metrics port", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "api-gateway").upstreams![0]!.localPort = 15090;
      assert.match(configError(raw), /port 15090 is the sidecar's sidecar\.metricsPort/);
    });

    it("rejects an upstream local port equal to the app's own port", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "api-gateway").upstreams![0]!.localPort = 8080;
      assert.match(configError(raw), /port 8080 is the service's own port/);
    });

    it("rejects an app port that the sidecar reserves", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "session-api").port = 15001;
      assert.match(configError(raw), /\.port: port 15001 is the sidecar's sidecar\.proxyPort/);
    });

    it("rejects sidecar ports that clash with each other", () => {
      const raw = rawMeshConfig("dev");
      raw.sidecar = { adminPort: 15000, proxyPort: 15000 };
      assert.match(
        configError(raw),
        /sidecar: adminPort, proxyPort, metricsPort and healthPort must be four different ports/,
      );
    });

    it("rejects a service that is its own upstream", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "session-api").upstreams!.push({ service: "session-api", localPort: 9999 });
      assert.match(configError(raw), /a service cannot be its own upstream/);
    });

    it("rejects an intention that names an unknown service, with a did-you-mean", () => {
      const raw = rawMeshConfig("dev");
      (raw.intentions as Json[])[0]!.source = "api-gateway2";
      const message = configError(raw);
      assert.match(message, /intentions\[0\]\.source: unknown service "api-gateway2"\. Did you mean "api-gateway"\?/);
    });

    it("rejects an intention whose destination is unknown", () => {
      const raw = rawMeshConfig("dev");
      (raw.intentions as Json[]).push({ source: "api-gateway", destination: "billing", action: "allow" });
      assert.match(configError(raw), /intentions\[\d+\]\.destination: unknown service "billing"/);
    });

    it("accepts * on either side of an intention", () => {
      const raw = rawMeshConfig("dev");
      (raw.intentions as Json[]).push({ source: "*", destination: "session-recorder", action: "deny" });
      assert.doesNotThrow(() => parseMeshConfig(raw));
    });

    it("rejects a service placed in an unknown cluster, with a did-you-mean", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "session-api").clusters = ["east", "wets"];
      const message = configError(raw);
      assert.match(message, /clusters\[1\]: unknown cluster "wets"\. Did you mean "west"\?/);
      assert.match(message, /fix: name a cluster declared under clusters/);
    });

    it("rejects duplicate services", () => {
      const raw = rawMeshConfig("dev");
      services(raw).push(structuredClone(service(raw, "session-api")));
      assert.match(configError(raw), /services\[7\]\.name: duplicate service "session-api"/);
    });

    it("rejects duplicate clusters", () => {
      const raw = rawMeshConfig("dev");
      clusters(raw)[1]!.name = "east";
      assert.match(configError(raw), /clusters\[1\]\.name: duplicate cluster "east"/);
    });

    it("rejects an upstream with no allow intention under default deny", () => {
      const raw = rawMeshConfig("dev");
      raw.intentions = (raw.intentions as Json[]).filter((i) => i.destination !== "session-recorder");
      const message = configError(raw);
      assert.match(message, /no intention allows session-api → session-recorder, and intentions default to deny/);
      assert.match(
        message,
        /fix: add intentions: \[\{ source: session-api, destination: session-recorder, action: allow \}\]/,
      );
    });

    it("rejects an upstream that an explicit deny blocks even when * allows", () => {
      const raw = rawMeshConfig("dev");
      const intentions = raw.intentions as Json[];
      const i = intentions.findIndex((x) => x.destination === "session-recorder");
      intentions[i]!.action = "deny";
      intentions.push({ source: "*", destination: "session-recorder", action: "allow" });
      assert.match(configError(raw), /no intention allows session-api → session-recorder/);
    });

    it("accepts an upstream without an intention when the default is allow", () => {
      const raw = rawMeshConfig("dev");
      raw.intentions = [];
      raw.security = { defaultIntention: "allow" };
      assert.doesNotThrow(() => parseMeshConfig(raw));
    });

    it("rejects two intentions for the same pair", () => {
      const raw = rawMeshConfig("dev");
      (raw.intentions as Json[]).push({ source: "api-gateway", destination: "session-api", action: "deny" });
      assert.match(configError(raw), /a second intention for api-gateway → session-api/);
    });

    it("rejects an even Consul server count", () => {
      const raw = rawMeshConfig("prod");
      (clusters(raw)[0]!.consul as Json).servers = 4;
      assert.match(
        configError(raw),
        /clusters\[0\]\.consul\.servers: 4 servers is an even count.*\n\s+fix: use an odd count/,
      );
    });

    it("rejects an even Consul server count in dev too", () => {
      const raw = rawMeshConfig("dev");
      (clusters(raw)[0]!.consul as Json).servers = 2;
      assert.match(configError(raw), /2 servers is an even count/);
    });

    it("rejects a single Consul server outside dev", () => {
      const raw = rawMeshConfig("prod");
      (clusters(raw)[1]!.consul as Json).servers = 1;
      assert.match(
        configError(raw),
        /clusters\[1\]\.consul\.servers: a single Consul server in prod has no fault tolerance/,
      );
    });

    it("allows a single Consul server in dev", () => {
      const mesh = parseMeshConfig(rawMeshConfig("dev"));
      assert.deepEqual(
        mesh.clusters.map((c) => c.consul.servers),
        [1, 1],
      );
    });

    // The cluster schema is a union on platform: the settings block of the platform is required, the other's refused.
    it("requires docker settings on a docker cluster, saying what to add", () => {
      const raw = rawMeshConfig("dev");
      delete clusters(raw)[0]!.docker;
      const message = configError(raw);
      assert.match(message, /clusters\[0\]\.docker: a docker cluster needs its docker settings/);
      assert.match(message, /fix: add docker: \{ subnet: "10\.10\.1\.0\/24" \}/);
      assert.match(message, /\(1 problem\)/);
    });

    it("requires kubernetes settings on a kubernetes cluster", () => {
      const raw = rawMeshConfig("prod");
      delete clusters(raw)[1]!.kubernetes;
      assert.match(
        configError(raw),
        /clusters\[1\]\.kubernetes: a kubernetes cluster needs its kubernetes settings\n\s+fix: add kubernetes: \{ context, consulDnsIP, consulApiAddress \}/,
      );
    });

    it("refuses the other platform's settings, naming the path and both ways out", () => {
      const raw = rawMeshConfig("dev");
      clusters(raw)[0]!.kubernetes = { context: "kind-east", consulDnsIP: "10.96.0.53", consulApiAddress: "10.0.0.1" };
      const message = configError(raw);
      assert.match(message, /\(1 problem\)/);
      assert.match(
        message,
        /clusters\[0\]\.kubernetes: kubernetes settings on a cluster whose platform is not kubernetes\n\s+fix: remove them, or set platform: kubernetes/,
      );
    });

    it("refuses an unknown platform with the platforms it knows", () => {
      const raw = rawMeshConfig("dev");
      clusters(raw)[0]!.platform = "podman";
      assert.match(configError(raw), /clusters\[0\]\.platform: .*\n\s+fix: use one of "docker", "kubernetes"/);
    });

    it("requires a reachable gateway address on multi-cluster Kubernetes", () => {
      const raw = rawMeshConfig("prod");
      delete (clusters(raw)[0]!.gateway as Json).wanAddress;
      assert.match(configError(raw), /clusters\[0\]\.gateway\.wanAddress: other clusters cannot reach/);
    });

    it("requires a peering address for the Consul servers on multi-cluster Kubernetes", () => {
      const raw = rawMeshConfig("prod");
      delete (clusters(raw)[1]!.consul as Json).peeringAddress;
      assert.match(
        configError(raw),
        /clusters\[1\]\.consul\.peeringAddress: other clusters' Consul servers cannot reach this cluster's servers/,
      );
    });

    it("does not require a peering address on a single Kubernetes cluster", () => {
      const raw = rawMeshConfig("prod");
      raw.clusters = [clusters(raw)[0]!];
      delete (clusters(raw)[0]!.consul as Json).peeringAddress;
      for (const s of services(raw)) s.clusters = ["east"];
      const mesh = parseMeshConfig(raw);
      assert.equal(mesh.clusters[0]!.consul.peeringAddress, undefined);
    });

    it("rejects a peering address on a Docker cluster, whose servers have fixed WAN addresses", () => {
      const raw = rawMeshConfig("dev");
      (clusters(raw)[0]!.consul as Json).peeringAddress = "10.10.255.50";
      assert.match(configError(raw), /clusters\[0\]\.consul\.peeringAddress: Docker servers are dialled/);
    });

    it("rejects a peering address with a port or a scheme", () => {
      for (const bad of ["consul.example.com:8503", "https://consul.example.com"]) {
        const raw = rawMeshConfig("prod");
        (clusters(raw)[0]!.consul as Json).peeringAddress = bad;
        assert.match(configError(raw), /clusters\[0\]\.consul\.peeringAddress: must be an IPv4 address or a DNS name/);
      }
    });

    it("rejects a Docker gateway WAN address that is a Consul server's", () => {
      const raw = rawMeshConfig("dev");
      clusters(raw)[0]!.gateway = { wanAddress: "10.10.255.110" };
      assert.match(
        configError(raw),
        /clusters\[0\]\.gateway\.wanAddress: 10\.10\.255\.110 is clusters\[1\]'s Consul server 0's address/,
      );
    });

    it("rejects more Docker clusters than the WAN network has server ranges for", () => {
      const raw = rawMeshConfig("dev");
      const extra = Array.from({ length: 15 }, (_, i) => ({
        name: `zone-${String(i).padStart(2, "0")}`,
        platform: "docker",
        docker: { subnet: `10.20.${i}.0/24` },
        consul: { servers: 1 },
      }));
      raw.clusters = [...clusters(raw), ...extra];
      // 17 clusters, in name order east, west, zone-00 … zone-14: the last two have no range left.
      const message = configError(raw);
      assert.match(message, /clusters\[15\]: the Docker WAN network has Consul server addresses for 15 clusters only/);
      assert.match(message, /clusters\[16\]: the Docker WAN network/);
      assert.doesNotMatch(message, /clusters\[(0|1|14)\]: the Docker WAN network/);
    });

    it("rejects two Docker clusters on one subnet", () => {
      const raw = rawMeshConfig("dev");
      (clusters(raw)[1]!.docker as Json).subnet = "10.10.1.0/24";
      assert.match(configError(raw), /docker\.subnet: subnet 10\.10\.1\.0\/24 is used by another cluster/);
    });

    it("names the cluster that reuses a subnet by its index among all clusters, Kubernetes ones included", () => {
      const raw = rawMeshConfig("dev");
      const prod = rawMeshConfig("prod");
      // A Kubernetes cluster first: the Docker clusters are then clusters[1] and clusters[2].
      clusters(raw).unshift({ ...clusters(prod)[0]!, name: "north", datacenter: "north" });
      (clusters(raw)[2]!.docker as Json).subnet = (clusters(raw)[1]!.docker as Json).subnet;
      const message = configError(raw);
      assert.match(message, /clusters\[2\]\.docker\.subnet: subnet 10\.10\.1\.0\/24 is used by another cluster/);
      assert.doesNotMatch(message, /clusters\[1\]\.docker\.subnet/);
    });

    it("rejects an intermediate CA shorter than three leaf lifetimes", () => {
      const raw = rawMeshConfig("dev");
      raw.security = { certValidityDays: 90, intermediateValidityDays: 200 };
      assert.match(
        configError(raw),
        /security\.intermediateValidityDays: 200 days is less than 3 × certValidityDays \(270\)/,
      );
    });

    it("rejects a root CA shorter than the intermediate", () => {
      const raw = rawMeshConfig("dev");
      raw.security = { rootValidityDays: 300 };
      assert.match(configError(raw), /security\.rootValidityDays: 300 days is less than intermediateValidityDays/);
    });

    it("rejects an early renewal that is not within the validity", () => {
      const raw = rawMeshConfig("dev");
      raw.security = { certValidityDays: 30, intermediateValidityDays: 365, earlyRenewalDays: 30 };
      assert.match(configError(raw), /security\.earlyRenewalDays: 30 days is not shorter than the validity/);
    });

    it("rejects a burst below the refill rate", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "session-api").rateLimit = { requestsPerSecond: 500, burst: 100 };
      assert.match(configError(raw), /services\[\d\]\.rateLimit\.burst: burst 100 is below requestsPerSecond 500/);
    });
  });

  describe("the error itself", () => {
    it("is a MeshConfigError listing structured problems", () => {
      const raw = rawMeshConfig("dev");
      service(raw, "session-api").port = 0;
      try {
        parseMeshConfig(raw);
        assert.fail("expected a MeshConfigError");
      } catch (error) {
        assert.ok(error instanceof MeshConfigError);
        assert.equal(error.problems.length, 1);
        assert.match(error.problems[0]!.path, /^services\[\d\]\.port$/);
        assert.ok(error.problems[0]!.fix.length > 0);
      }
    });
  });

  describe("did-you-mean", () => {
    it("measures edit distance", () => {
      assert.equal(editDistance("kitten", "sitting"), 3);
      assert.equal(editDistance("", "abc"), 3);
      assert.equal(editDistance("same", "same"), 0);
    });
    it("suggests the closest name and nothing for a distant one", () => {
      assert.equal(didYouMean("sesion-api", ["session-api", "session-recorder"]), "session-api");
      assert.equal(didYouMean("payments", ["session-api", "api-gateway"]), undefined);
    });
  });
});
