import { strict as assert } from "node:assert";
import { parseMeshConfig } from "../../model";
import { isAllowed } from "../../model/mesh";
import { allInstances } from "../../model";
import { DOCKER_MAX_INSTANCES_PER_CLUSTER } from "../../model/wan";
import { SYNTHETIC_CLUSTERS, syntheticMeshConfig } from "../../bench/syntheticMesh";

interface RawService {
  name: string;
  clusters: string[];
  upstreams: Array<{ service: string; localPort: number }>;
}
interface RawIntention {
  source: string;
  destination: string;
  action: string;
}

function rawServices(config: Record<string, unknown>): RawService[] {
  return config.services as RawService[];
}

describe("bench/syntheticMesh", () => {
  for (const services of [10, 100]) {
    describe(`${services} services`, () => {
      const raw = syntheticMeshConfig({ services });

      it("is a valid mesh: parseMeshConfig accepts it", () => {
        const mesh = parseMeshConfig(raw);
        assert.equal(mesh.services.length, services);
        assert.deepEqual(
          mesh.clusters.map((c) => c.name),
          [...SYNTHETIC_CLUSTERS].sort(),
        );
        assert.ok(mesh.clusters.every((c) => c.platform === "docker"));
      });

      it("gives every service 5 upstreams to other services, on unique local ports", () => {
        for (const s of rawServices(raw)) {
          assert.equal(s.upstreams.length, 5, s.name);
          assert.equal(new Set(s.upstreams.map((u) => u.service)).size, 5, `${s.name}: distinct upstreams`);
          assert.ok(
            s.upstreams.every((u) => u.service !== s.name),
            `${s.name} calls itself`,
          );
          assert.equal(new Set(s.upstreams.map((u) => u.localPort)).size, 5, `${s.name}: distinct ports`);
        }
      });

      it("has an allow intention for every upstream", () => {
        const intentions = raw.intentions as RawIntention[];
        const mesh = parseMeshConfig(raw);
        for (const s of rawServices(raw)) {
          for (const u of s.upstreams) {
            assert.ok(
              intentions.some((i) => i.source === s.name && i.destination === u.service && i.action === "allow"),
              `${s.name} → ${u.service}`,
            );
            assert.ok(isAllowed(mesh, s.name, u.service), `${s.name} → ${u.service} allowed by precedence`);
          }
        }
      });

      it("runs some services in 2 clusters, for failover", () => {
        const multi = rawServices(raw).filter((s) => s.clusters.length === 2);
        assert.ok(multi.length > 0);
        assert.ok(multi.every((s) => s.clusters[0] !== s.clusters[1]));
      });

      it("is deterministic", () => {
        assert.deepEqual(syntheticMeshConfig({ services }), raw);
        assert.equal(JSON.stringify(syntheticMeshConfig({ services })), JSON.stringify(raw));
      });
    });
  }

  it("adds Docker clusters when 1,000 services' instances would overflow 3 clusters' networks, spreading them evenly", () => {
    // 3 Docker clusters cannot hold 1,200 instances: a cluster network addresses at most 124.
    const mesh = parseMeshConfig(syntheticMeshConfig({ services: 1000 }));
    assert.ok(mesh.clusters.length > SYNTHETIC_CLUSTERS.length, `${mesh.clusters.length} clusters`);
    const perCluster = new Map<string, number>();
    for (const i of allInstances(mesh)) perCluster.set(i.cluster, (perCluster.get(i.cluster) ?? 0) + 1);
    assert.equal(perCluster.size, mesh.clusters.length, "every cluster runs instances");
    assert.ok([...perCluster.values()].every((n) => n <= DOCKER_MAX_INSTANCES_PER_CLUSTER));
    const kubernetes = parseMeshConfig(syntheticMeshConfig({ services: 1000, platform: "kubernetes" }));
    assert.equal(kubernetes.clusters.length, SYNTHETIC_CLUSTERS.length);
  });

  it("builds Kubernetes clusters on request", () => {
    const mesh = parseMeshConfig(syntheticMeshConfig({ services: 10, platform: "kubernetes" }));
    assert.ok(mesh.clusters.every((c) => c.platform === "kubernetes"));
  });

  it("rejects sizes that cannot give every service its upstreams", () => {
    assert.throws(() => syntheticMeshConfig({ services: 5 }), /upstreams/);
  });
});
