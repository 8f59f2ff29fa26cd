/**
 * The traffic walk at scale (issues 21 and 22): synthetic meshes walk with every allowed edge reachable. The provider
 * models used to hash addresses: Docker containers collided from about 30 services (40 blocked edges at 40 services,
 * 140 at 100), catalog-synced pods at about 1,000 (simulate/docker/ipam.ts, simulate/kubernetes/catalogSync.ts).
 */
import { strict as assert } from "node:assert";
import { syntheticMeshConfig, type SyntheticPlatform } from "../../bench/syntheticMesh";
import { DOCKER_MAX_INSTANCES_PER_CLUSTER } from "../../model/wan";
import { catalogSyncRegistrations, PODS_PER_NODE } from "../../simulate/kubernetes/catalogSync";
import type { RecordedResource } from "../../simulate/recorder";
import { simulateMesh } from "../../simulate/stack";
import { checkSystems } from "../../simulate/system";
import { systemModels } from "../../simulate/providers";
import { trafficReport } from "../../simulate/traffic";
import { recordedResource } from "../helpers/recorded";

async function walk(services: number, platform: SyntheticPlatform) {
  const { recorder } = await simulateMesh("scale", syntheticMeshConfig({ services, platform }));
  const deployment = { resources: recorder.resources, outputsOf: (urn: string) => recorder.outputs.get(urn) };
  return { report: trafficReport(deployment), findings: checkSystems(systemModels, deployment) };
}

function k8s(type: string, name: string, inputs: Record<string, unknown>): RecordedResource {
  return { ...recordedResource(type, name, inputs), provider: "k8s-east" };
}

describe("traffic walk at scale: distinct addresses from the provider models", () => {
  for (const [services, platform] of [
    [40, "docker"],
    [100, "kubernetes"],
  ] as const) {
    it(`a ${services}-service synthetic mesh on ${platform}: every allowed edge reachable, no refusal`, async () => {
      const { report, findings } = await walk(services, platform);
      assert.deepEqual(
        report.violations.map((v) => v.message),
        [],
      );
      assert.equal(report.counts.blocked, 0);
      assert.equal(report.counts.reachable, services * 6);
      assert.deepEqual(findings, []);
    });
  }

  it("a Docker cluster at the validation limit starts every container: the limit is what dockerd hands out", async () => {
    // Before: validation let 125 instances through while the network had 126 addresses for them, consul-esm, the ACL
    // bootstrap and the applier (the bridge takes .128): the applier and the last holder did not start.
    const raw = syntheticMeshConfig({
      services: DOCKER_MAX_INSTANCES_PER_CLUSTER,
      upstreamsPerService: 1,
      failoverEvery: 10_000,
    }) as { services: Array<Record<string, unknown>> };
    for (const service of raw.services) service.clusters = ["east"];
    const { recorder } = await simulateMesh("scale", raw);
    const deployment = { resources: recorder.resources, outputsOf: (urn: string) => recorder.outputs.get(urn) };
    assert.deepEqual(
      checkSystems(systemModels, deployment).filter((f) => f.rule === "docker/container/network-address"),
      [],
    );
  });

  it("catalog sync gives 2,000 pods of one Service 2,000 distinct addresses, node ranges filled in pod-name order", () => {
    const labels = { "lucid.mesh/cluster": "east" };
    const syncer = k8s("kubernetes:apps/v1:Deployment", "sync", {
      metadata: { name: "consul-catalog-sync", namespace: "mesh", labels },
      spec: {
        template: {
          metadata: { labels: { app: "sync" } },
          spec: {
            containers: [
              {
                name: "sync-catalog",
                command: ["consul-k8s-control-plane", "sync-catalog", "-allow-k8s-namespace=mesh"],
                env: [{ name: "CONSUL_DATACENTER", value: "east" }],
              },
            ],
          },
        },
      },
    });
    const service = k8s("kubernetes:core/v1:Service", "svc", {
      metadata: { name: "svc-mesh", namespace: "mesh", labels },
      spec: { selector: { app: "svc" }, ports: [{ name: "mesh", port: 20000 }] },
    });
    const workload = k8s("kubernetes:apps/v1:Deployment", "svc", {
      metadata: { name: "svc", namespace: "mesh", labels },
      spec: { replicas: 2000, template: { metadata: { labels: { app: "svc" } }, spec: { containers: [] } } },
    });
    const registrations = catalogSyncRegistrations({
      resources: [syncer, service, workload],
      outputsOf: () => undefined,
    });
    assert.equal(registrations.length, 2000);
    assert.equal(new Set(registrations.map((r) => r.address)).size, 2000);
    assert.equal(new Set(registrations.map((r) => r.serviceId)).size, 2000);
    const sorted = [...registrations].sort((a, b) =>
      a.meta["external-k8s-ref-name"]! < b.meta["external-k8s-ref-name"]! ? -1 : 1,
    );
    assert.equal(sorted[0]!.address, "10.244.0.2");
    assert.equal(sorted[PODS_PER_NODE]!.address, "10.244.1.2");
    assert.ok(registrations.every((r) => /^10\.244\.\d+\.\d+$/.test(r.address)));
  });
});
