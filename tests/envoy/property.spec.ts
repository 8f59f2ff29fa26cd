/** Properties over random valid meshes: generation never throws, is deterministic, and is local. */
import { strict as assert } from "assert";
import { existsSync } from "fs";
import { join } from "path";
import fc from "fast-check";
import { allInstances, parseMeshConfig, type Mesh } from "../../model";
import { gatewayFiles, sdsFiles, sidecarFiles } from "../../envoy";
import { ROOT, stackMesh } from "./helpers";

const PROTOCOLS = ["http", "http2", "grpc", "tcp"] as const;

interface RawService {
  name: string;
  port: number;
  protocol: (typeof PROTOCOLS)[number];
  clusters: string[];
  instances: number;
  upstreams: Array<{ service: string; localPort: number }>;
  rateLimit?: { requestsPerSecond: number; burst: number };
}

/** Random stack configs that pass validation: every upstream edge has an allow intention. */
const rawMesh = fc
  .record({
    clusterCount: fc.integer({ min: 1, max: 3 }),
    services: fc.array(
      fc.record({
        protocol: fc.constantFrom(...PROTOCOLS),
        clusterMask: fc.integer({ min: 1, max: 7 }),
        instances: fc.integer({ min: 1, max: 2 }),
        upstreamMask: fc.integer({ min: 0, max: 63 }),
        rps: fc.option(fc.integer({ min: 1, max: 5000 }), { nil: undefined }),
        extraCallerMask: fc.integer({ min: 0, max: 63 }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    tracing: fc.boolean(),
  })
  .map(({ clusterCount, services, tracing }) => {
    const clusters = Array.from({ length: clusterCount }, (_, i) => ({
      name: `c${i}`,
      platform: "docker",
      docker: { subnet: `10.10.${i + 1}.0/24` },
      consul: { servers: 1 },
    }));
    const names = services.map((_, i) => `svc-${i}`);
    const intentions: Array<{ source: string; destination: string; action: string }> = [];
    const raw: RawService[] = services.map((s, i) => {
      const inClusters = clusters.filter((_, c) => s.clusterMask & (1 << c)).map((c) => c.name);
      const upstreams = names
        .filter((n, j) => j !== i && s.upstreamMask & (1 << j))
        .map((service, j) => ({ service, localPort: 9000 + j }));
      for (const u of upstreams) intentions.push({ source: names[i]!, destination: u.service, action: "allow" });
      for (const [j, n] of names.entries()) {
        if (j !== i && s.extraCallerMask & (1 << j) && !upstreams.some((u) => u.service === n)) {
          intentions.push({ source: names[i]!, destination: n, action: "allow" });
        }
      }
      return {
        name: names[i]!,
        port: 8000 + i,
        protocol: s.protocol,
        clusters: inClusters.length > 0 ? inClusters : ["c0"],
        instances: s.instances,
        upstreams,
        ...(s.rps ? { rateLimit: { requestsPerSecond: s.rps, burst: s.rps * 2 } } : {}),
      };
    });
    return {
      environment: "dev",
      clusters,
      services: raw,
      intentions,
      observability: { tracing: { enabled: tracing } },
    };
  });

function everyFile(mesh: Mesh): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const inst of allInstances(mesh)) out.set(inst.name, sidecarFiles(mesh, inst));
  for (const c of mesh.clusters) out.set(`gateway:${c.name}`, gatewayFiles(mesh, c.name));
  return out;
}

describe("envoy generator properties", function () {
  // Each property builds every file of dozens of random meshes.
  this.timeout(120_000);
  it("never throws, and two runs are byte-identical", () => {
    fc.assert(
      fc.property(rawMesh, (raw) => {
        const mesh = parseMeshConfig(structuredClone(raw));
        const first = everyFile(mesh);
        const second = everyFile(parseMeshConfig(structuredClone(raw)));
        assert.deepEqual(second, first);
      }),
      { numRuns: 60 },
    );
  });

  it("adding an unrelated service changes no byte of an existing sidecar", () => {
    fc.assert(
      fc.property(rawMesh, fc.nat(2), fc.constantFrom(...PROTOCOLS), (raw, clusterIndex, protocol) => {
        const before = parseMeshConfig(structuredClone(raw));
        const bigger = structuredClone(raw);
        const cluster = bigger.clusters[clusterIndex % bigger.clusters.length]!.name;
        bigger.services.push({
          name: "unrelated",
          port: 7999,
          protocol,
          clusters: [cluster],
          instances: 1,
          upstreams: [],
        });
        const after = parseMeshConfig(bigger);
        for (const inst of allInstances(before)) {
          assert.deepEqual(sidecarFiles(after, inst), sidecarFiles(before, inst), `${inst.name} changed`);
        }
      }),
      { numRuns: 60 },
    );
  });

  const validatorPath = join(ROOT, "envoy", "validator", "index.ts");
  it("every generated file set passes the offline validator", async function () {
    if (!existsSync(validatorPath)) this.skip();
    const { validateConfigSet } = await import("../../envoy/validator");
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const secrets = Object.entries(sdsFiles({ certificateChainPem: pem, trustBundlePem: pem }));
    const samples = fc.sample(rawMesh, { numRuns: 15, seed: 42 }).map((raw) => parseMeshConfig(raw));
    for (const mesh of [stackMesh("dev"), stackMesh("prod"), ...samples]) {
      for (const [name, files] of everyFile(mesh)) {
        const set = [
          ...Object.entries(files).map(([file, content]) => ({ path: `/etc/envoy/${file}`, content })),
          ...secrets.map(([file, content]) => ({ path: `/etc/envoy-secrets/${file}`, content })),
        ];
        const errors = (await validateConfigSet(set)).filter((i) => i.severity === "error");
        assert.deepEqual(errors, [], `${name}: ${errors.map((e) => `${e.file} ${e.path} ${e.message}`).join("; ")}`);
      }
    }
  });
});
