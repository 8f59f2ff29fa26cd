import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
  EVENT_ALIAS,
  EVENT_MAPPING,
  EVENT_SCALAR,
  EVENT_SEQUENCE,
  SCALAR_STYLE_PLAIN,
  load,
  parseEvents,
} from "js-yaml";
import { syntheticMeshConfig } from "../../bench/syntheticMesh";
import { kubernetesArtifacts } from "../../cli/render/artifacts";
import { configFiles, gatewayConfig, sidecarConfig, sidecarFiles, type EnvoyConfigObjects } from "../../envoy";
import { validateConfigSetSync } from "../../envoy/validator";
import { toEnvoyYaml, toYaml } from "../../envoy/yaml";
import { allInstances, parseMeshConfig, type Mesh } from "../../model";
import { compareStrings } from "../../model/mesh";
import { envoyFiles } from "../../model/names";
import type { RecordedResource } from "../../simulate/recorder";
import { normalize, reversedKeys, yamlScalars, yamlTrees } from "./yamlValues";

interface Marks {
  readonly anchors: Array<{ name: string; at: number }>;
  readonly aliases: Array<{ name: string; at: number }>;
}

/** Anchors and aliases as js-yaml's parser reads them, in document order; fails on a merge key or scalar anchor. */
function marks(text: string): Marks {
  const found: Marks = { anchors: [], aliases: [] };
  for (const event of parseEvents(text, {})) {
    if (event.type === EVENT_ALIAS) {
      found.aliases.push({ name: text.slice(event.anchorStart, event.anchorEnd), at: event.anchorStart });
    } else if (event.type === EVENT_SCALAR) {
      const source = text.slice(event.valueStart, event.valueEnd);
      assert.ok(!(event.style === SCALAR_STYLE_PLAIN && source === "<<"), "no merge keys");
      assert.equal(event.anchorStart, -1, "no anchors on scalars");
    } else if ((event.type === EVENT_MAPPING || event.type === EVENT_SEQUENCE) && event.anchorStart >= 0) {
      found.anchors.push({ name: text.slice(event.anchorStart, event.anchorEnd), at: event.anchorStart });
    }
  }
  return found;
}

/** No merge keys; anchor names unique and readable; each anchor aliased, and only after it. */
function assertWellFormed(text: string): Marks {
  const found = marks(text);
  assert.doesNotMatch(text, /^\s*(?:- )?<<:/m, "no merge keys");
  const names = found.anchors.map((a) => a.name);
  assert.equal(new Set(names).size, names.length, `anchor names are unique: ${names.join(", ")}`);
  for (const anchor of found.anchors) {
    assert.match(anchor.name, /^[A-Za-z0-9_-]+$/);
    assert.ok(
      found.aliases.some((alias) => alias.name === anchor.name && alias.at > anchor.at),
      `&${anchor.name} is aliased after it`,
    );
  }
  for (const alias of found.aliases) {
    assert.ok(
      found.anchors.some((anchor) => anchor.name === alias.name && anchor.at < alias.at),
      `*${alias.name} refers to an earlier anchor`,
    );
  }
  return found;
}

/**
 * The objects reached a second time while walking the loaded value: js-yaml loads an alias as the anchored object
 * itself, so these are exactly the anchored subtrees, each of which must occur more than once.
 */
function sharedObjects(value: unknown, seen = new Set<object>(), again = new Set<object>()): Set<object> {
  if (value !== null && typeof value === "object") {
    if (seen.has(value)) {
      again.add(value);
      return again;
    }
    seen.add(value);
    for (const v of Object.values(value)) sharedObjects(v, seen, again);
  }
  return again;
}

/** Canonical JSON (sorted keys) of every non-empty collection in a normalized value, with counts. */
function subtreeCounts(value: unknown, counts = new Map<string, number>()): Map<string, number> {
  if (value !== null && typeof value === "object" && Object.keys(value).length > 0) {
    const text = canonical(value);
    counts.set(text, (counts.get(text) ?? 0) + 1);
    for (const v of Object.values(value)) subtreeCounts(v, counts);
  }
  return counts;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => compareStrings(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return Object.is(value, -0) ? "-0" : String(JSON.stringify(value));
}

/** Round trip, well-formedness, and anchors only on subtrees that occur more than once. */
function assertAnchored(value: unknown): Marks {
  const text = toEnvoyYaml(value);
  const found = assertWellFormed(text);
  const loaded = load(text);
  assert.deepStrictEqual(loaded, load(toYaml(value)));
  const shared = sharedObjects(loaded);
  assert.equal(shared.size, found.anchors.length, "one shared object per anchor");
  const counts = subtreeCounts(normalize(value));
  for (const object of shared) assert.ok((counts.get(canonical(object)) ?? 0) >= 2, "an anchored subtree repeats");
  return found;
}

function synthetic(services: number, platform: "docker" | "kubernetes" = "docker"): Mesh {
  return parseMeshConfig(syntheticMeshConfig({ services, platform }));
}

function everyConfig(mesh: Mesh): EnvoyConfigObjects[] {
  return [
    ...allInstances(mesh).map((instance) => sidecarConfig(mesh, instance)),
    ...mesh.clusters.map((cluster) => gatewayConfig(mesh, cluster.name)),
  ];
}

function documents(config: EnvoyConfigObjects): unknown[] {
  return [config.bootstrap, config.listeners, config.clusters];
}

function bytes(files: Record<string, string>): number {
  return Object.values(files).reduce((sum, text) => sum + Buffer.byteLength(text), 0);
}

const access = {
  name: "envoy.access_loggers.file",
  typed_config: { "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog", path: "/x" },
};

describe("toEnvoyYaml anchors", () => {
  it("writes a repeated subtree once, anchored under its key, and aliases it after; plain aliases only", () => {
    const value = {
      b: { access_log: [access], other: [{ ...access }, [access, 1]] },
      a: { access_log: [{ ...access }], small: { x: 1 } },
      c: { small: { x: 1 } },
    };
    assert.equal(
      toEnvoyYaml(value),
      [
        "a:",
        "  access_log: &access_log",
        "  - &access_log_item",
        "    name: envoy.access_loggers.file",
        "    typed_config:",
        "      '@type': type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
        "      path: /x",
        "  small: {x: 1}",
        "b:",
        "  access_log: *access_log",
        "  other:",
        "  - *access_log_item",
        "  - - *access_log_item",
        "    - 1",
        "c: {small: {x: 1}}",
        "",
      ].join("\n"),
    );
    assertAnchored(value);
  });

  it("numbers clashing anchor names _2, _3 in document order and makes keys anchor-safe", () => {
    const big = (n: number): Record<string, unknown> => ({ value: n, padding: "p".repeat(60) });
    const value = {
      a: { "x.y z": big(1) },
      b: { "x.y z": big(2) },
      c: { "x.y z": big(3) },
      d: [big(1), big(2), big(3)],
    };
    const text = toEnvoyYaml(value);
    assert.deepEqual(
      marks(text).anchors.map((a) => a.name),
      ["x_y_z", "x_y_z_2", "x_y_z_3"],
    );
    assert.deepEqual(
      marks(text).aliases.map((a) => a.name),
      ["x_y_z", "x_y_z_2", "x_y_z_3"],
    );
    assertAnchored(value);
  });

  it("adds no anchors when nothing repeats, or only small subtrees repeat", () => {
    const typed = (path: string): unknown => ({ ...access.typed_config, path });
    const distinct = {
      a: { name: "one", typed_config: typed("/one") },
      b: [{ name: "two", typed_config: typed("/two") }],
      c: { small: [1, 2] },
    };
    assert.equal(
      toEnvoyYaml(distinct),
      [
        "a:",
        "  name: one",
        "  typed_config:",
        "    '@type': type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
        "    path: /one",
        "b:",
        "- name: two",
        "  typed_config:",
        "    '@type': type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
        "    path: /two",
        "c: {small: [1, 2]}",
        "",
      ].join("\n"),
    );
    const small = { a: { x: { port: 1 } }, b: { x: { port: 1 } }, c: [{ port: 1 }, { port: 1 }] };
    assert.equal(toEnvoyYaml(small), "a: {x: {port: 1}}\nb: {x: {port: 1}}\nc: [{port: 1}, {port: 1}]\n");
  });

  it("plain toYaml and Kubernetes manifests never get anchors", () => {
    const container = { name: "app", image: "registry.example/app:1.2.3", env: [{ name: "A", value: "a".repeat(80) }] };
    const repeated = { first: container, second: { ...container }, list: [container, container] };
    assert.doesNotMatch(toYaml(repeated), /[&*]/);
    assert.match(toEnvoyYaml(repeated), /&/);
    const deployment = {
      metadata: { name: "app", namespace: "lucid" },
      spec: { template: { spec: { containers: [container, { ...container }], initContainers: [container] } } },
    };
    const resource = {
      urn: "urn:pulumi:dev::lucid-mesh::kubernetes:apps/v1:Deployment::app",
      type: "kubernetes:apps/v1:Deployment",
      name: "app",
      custom: true,
      dependencies: [],
      inputs: deployment,
      secretInputs: [],
      secretPaths: [],
      redactedInputs: deployment,
    } satisfies RecordedResource;
    const { files } = kubernetesArtifacts([resource], () => "east");
    assert.equal(files.length, 1);
    const manifest = files[0]!;
    assert.doesNotMatch(String(manifest.content), /[&*]/);
  });

  it("is deterministic: the same value gives the same bytes, whatever the key insertion order", () => {
    const mesh = synthetic(12);
    for (const config of everyConfig(mesh).slice(0, 6)) {
      for (const document of documents(config)) {
        const text = toEnvoyYaml(document);
        assert.equal(toEnvoyYaml(document), text);
        assert.equal(toEnvoyYaml(reversedKeys(document)), text);
        assert.equal(toEnvoyYaml(structuredClone(document)), text);
      }
    }
  });

  for (const platform of ["docker", "kubernetes"] as const) {
    it(`round-trips every sidecar and gateway file of a synthetic mesh (${platform})`, () => {
      const mesh = synthetic(30, platform);
      let aliased = 0;
      for (const config of everyConfig(mesh)) {
        for (const document of documents(config)) {
          const text = toEnvoyYaml(document);
          assert.deepStrictEqual(load(text), normalize(document));
          const found = assertAnchored(document);
          if (found.aliases.length > 0) aliased++;
        }
        assert.deepEqual(configFiles(config), {
          [envoyFiles.bootstrap]: toEnvoyYaml(config.bootstrap),
          [envoyFiles.listeners]: toEnvoyYaml(config.listeners),
          [envoyFiles.clusters]: toEnvoyYaml(config.clusters),
        });
      }
      assert.ok(aliased > 0);
    });
  }

  it("the validator reads anchored files exactly as it reads the same files without anchors", () => {
    const mesh = synthetic(12);
    for (const config of everyConfig(mesh).filter((_, i) => i % 4 === 0)) {
      const set = (write: (value: unknown) => string): Array<{ path: string; content: string }> =>
        Object.entries({
          [envoyFiles.bootstrap]: config.bootstrap,
          [envoyFiles.listeners]: config.listeners,
          [envoyFiles.clusters]: config.clusters,
        }).map(([name, value]) => ({ path: `${envoyFiles.directory}/${name}`, content: write(value) }));
      const anchored = validateConfigSetSync(set(toEnvoyYaml));
      assert.deepEqual(anchored, validateConfigSetSync(set(toYaml)));
      assert.deepEqual(
        anchored.filter((issue) => issue.severity === "error"),
        [],
      );
    }
  });

  describe("random values", () => {
    const keys = fc.oneof(fc.constantFrom("a", "b", "name", "typed_config", "<<", "x.y", "", "1"), fc.string());
    const scalars = yamlScalars(fc.string(), fc.constantFrom("*x", "&x", "<<", "", "line\nbreak", "- x"));
    const trees = yamlTrees(keys, scalars);
    /** Random trees placed several times (as copies and as the same object) in one document. */
    const withRepeats = fc
      .tuple(trees, trees, trees, fc.string({ minLength: 40, maxLength: 50 }))
      .map(([t0, t1, t2, long]) => ({
        a: t0,
        b: [t0, t1, structuredClone(t0), { long, t2 }],
        c: { d: t1, e: t2, f: [structuredClone(t2), { long, t2: structuredClone(t2) }] },
        g: { h: { i: t0 } },
      }));

    it("load(toEnvoyYaml(v)) equals load(toYaml(v)); anchors well-formed, each on a repeated subtree", () => {
      fc.assert(
        fc.property(fc.oneof(trees, withRepeats), (value) => {
          if (value === undefined) return; // no document at all, with or without anchors
          assertAnchored(value);
        }),
        { numRuns: 1500 },
      );
    });

    it("is independent of key insertion order", () => {
      fc.assert(
        fc.property(withRepeats, (value) => toEnvoyYaml(reversedKeys(value)) === toEnvoyYaml(value)),
        { numRuns: 500 },
      );
    });

    it("adds no anchor or alias when no subtree repeats", () => {
      fc.assert(
        fc.property(trees, (value) => {
          const repeats = [...subtreeCounts(normalize(value)).values()].some((n) => n > 1);
          if (repeats || value === undefined) return;
          const found = marks(toEnvoyYaml(value));
          assert.deepEqual([...found.anchors, ...found.aliases], []);
        }),
        { numRuns: 1500 },
      );
    });
  });

  describe("size", () => {
    const mesh = synthetic(100);
    const largest = (): { files: Record<string, string>; bytes: number } => {
      let best = { files: {} as Record<string, string>, bytes: 0 };
      for (const instance of allInstances(mesh)) {
        const files = sidecarFiles(mesh, instance);
        if (bytes(files) > best.bytes) best = { files, bytes: bytes(files) };
      }
      return best;
    };

    // 24.3 KB since issue 18 added XFCC, WebSocket upgrades and validate_clusters to every listener it concerns.
    it("anchors and flow style cut the largest sidecar of the 100-service synthetic mesh by 30% (to 24.3 KB)", () => {
      const { bytes: anchored } = largest();
      let plain = 0;
      for (const instance of allInstances(mesh)) {
        const config = sidecarConfig(mesh, instance);
        plain = Math.max(
          plain,
          documents(config).reduce<number>((sum, d) => sum + Buffer.byteLength(toYaml(d)), 0),
        );
      }
      assert.ok(anchored <= 0.7 * plain, `${anchored} bytes with anchors and flow style, ${plain} without`);
      assert.ok(anchored <= 24_300, `${anchored} bytes`);
    });

    // The issue's budget (8 KB + 2 KB x 5 upstreams = 18,432 bytes) is measured and judged by `npm run bench`, which
    // reports it failing (23.0 KB at 1,000 services); bench/README.md breaks down what is left. No pending test
    // stands in for it.
  });
});
