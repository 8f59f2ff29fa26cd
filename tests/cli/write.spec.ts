/** plan.json in pieces, and the writer's streamed files: the same bytes and manifest entries as whole texts. */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { planJsonPieces, type Plan, type PlanResource } from "../../cli/render";
import { writeFiles } from "../../cli/render/write";
import { tempDir } from "./helpers";

const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

function resource(n: number, inputs: Record<string, unknown>): PlanResource {
  return {
    urn: `urn:pulumi:dev::lucid-mesh::docker:index/container:Container::c${n}`,
    type: "docker:index/container:Container",
    name: `c${n}`,
    dependencies: [],
    custom: true,
    inputs,
  };
}

function plan(resources: readonly PlanResource[], outputs: Record<string, unknown> = {}): Plan {
  return { schemaVersion: 1, project: "lucid-mesh", stack: "dev", environment: "dev", outputs, resources };
}

const whole = (p: Plan): string => `${JSON.stringify(p, null, 2)}\n`;

describe("plan.json in pieces", () => {
  const cases: Record<string, Plan> = {
    "no resources": plan([]),
    "one resource": plan([resource(1, { image: "envoy" })]),
    "nested inputs, multi-line and quoted strings, unicode, empty collections": plan(
      [
        resource(1, {
          uploads: [{ file: "/etc/envoy/bootstrap.yaml", content: 'admin:\n  address: "127.0.0.1"\n' }],
          labels: [],
          env: {},
          note: "ünïcode → ok",
        }),
        resource(2, { nested: { deeper: [[1, 2], { x: null, y: true }] }, cert: CERT }),
        resource(3, {}),
      ],
      { trustBundle: CERT, counts: { sidecars: 2 } },
    ),
  };
  for (const [name, p] of Object.entries(cases)) {
    it(`joins to JSON.stringify(plan, null, 2): ${name}`, () => {
      assert.equal([...planJsonPieces(p)].join(""), whole(p));
    });
  }

  it("gives one piece per resource between the head and the closing brackets", () => {
    const p = plan([resource(1, {}), resource(2, {}), resource(3, {})]);
    assert.equal([...planJsonPieces(p)].length, 3 + 2);
  });

  it("falls back to one piece when resources is not the last key", () => {
    const { resources, ...head } = plan([resource(1, {})]);
    const reordered = { resources, ...head } as Plan;
    const pieces = [...planJsonPieces(reordered)];
    assert.deepEqual(pieces, [whole(reordered)]);
  });
});

describe("writeFiles with a streamed file", () => {
  const dirs: string[] = [];
  const dir = (): string => {
    const made = tempDir("write");
    dirs.push(made);
    return made;
  };
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it("writes the same bytes and the same manifest entry as the whole text", () => {
    const pieces = ['{\n  "a": "x",\n', `  "cert": ${JSON.stringify(CERT)},\n`, '  "serial": "01ab"\n}\n'];
    const text = pieces.join("");
    const streamedDir = dir();
    const wholeDir = dir();
    const streamed = writeFiles(streamedDir, [{ path: "plan.json", pieces: () => pieces }], []);
    const asText = writeFiles(wholeDir, [{ path: "plan.json", content: text, certificateMaterial: true }], []);
    assert.equal(fs.readFileSync(path.join(streamedDir, "plan.json"), "utf8"), text);
    assert.deepEqual(streamed.files, asText.files);
    assert.ok(streamed.files[0]!.sha256WithoutCertificates, "a PEM in a piece marks the file as certificate material");
  });

  it("gives plan.json in pieces the entry of the whole text, with certificates and issuance fields in several resources", () => {
    const p = plan(
      [1, 2, 3].map((n) => resource(n, { certPem: CERT, serial: `0${n}`, validityEndTime: "2030-01-01T00:00:00Z" })),
      { trustBundlePem: CERT },
    );
    const streamed = writeFiles(dir(), [{ path: "plan.json", pieces: () => planJsonPieces(p) }], []);
    const asText = writeFiles(dir(), [{ path: "plan.json", content: whole(p), certificateMaterial: true }], []);
    assert.deepEqual(streamed.files, asText.files);
  });

  it("marks a streamed file without PEMs as no certificate material", () => {
    const manifest = writeFiles(dir(), [{ path: "plan.json", pieces: () => ["{}", "\n"] }], []);
    assert.deepEqual(manifest.files[0], {
      path: "plan.json",
      bytes: 3,
      sha256: "ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356",
      certificateMaterial: false,
    });
  });
});
