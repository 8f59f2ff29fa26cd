import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { compareRenders } from "../../tools/render-compare/compare";

const PEM = (body: string): string => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;

function folder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-compare-"));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe("tools/render-compare: two renders compared by meaning", () => {
  const plan = (port: number, order: "ab" | "ba"): string => {
    const a = { urn: "urn:a", inputs: { port, caPem: PEM(String(port)) } };
    const b = { urn: "urn:b", inputs: { serial: String(Math.random()) } };
    return JSON.stringify({ resources: order === "ab" ? [a, b] : [b, a] });
  };

  it("ignores key material, serials, YAML layout and resource order", () => {
    const before = folder({
      "plan.json": plan(1, "ab"),
      "envoy/a.yaml": "a: 1\nb: [x, y]\n",
      "pki/ca.pem": PEM("AAAA"),
    });
    const after = folder({
      "plan.json": plan(1, "ba").replace(PEM("1").replace(/\n/g, "\\n"), PEM("9").replace(/\n/g, "\\n")),
      "envoy/a.yaml": "b:\n  - x\n  - y\na: 1\n",
      "pki/ca.pem": PEM("BBBB"),
    });
    assert.deepEqual(compareRenders(before, after), []);
  });

  it("negative: reports a changed value, a missing file and a new one", () => {
    const before = folder({ "plan.json": plan(1, "ab"), "envoy/a.yaml": "a: 1\n", "consul/gone.json": "{}" });
    const after = folder({ "plan.json": plan(2, "ab"), "envoy/a.yaml": "a: 2\n", "kubernetes/new.yaml": "x: 1\n" });
    const problems = compareRenders(before, after);
    assert.ok(problems.includes("consul/gone.json: missing after"), problems.join("\n"));
    assert.ok(problems.includes("kubernetes/new.yaml: new after"), problems.join("\n"));
    assert.ok(problems.includes("envoy/a.yaml.a: 1 -> 2"), problems.join("\n"));
    assert.ok(
      problems.some((p) => p.startsWith("plan.json.resources.urn:a.inputs.port: 1 -> 2")),
      problems.join("\n"),
    );
  });
});
