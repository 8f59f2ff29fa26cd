/**
 * The review summary (`npm run render -- --format markdown`): docs/review-summary.md is the dev render's summary
 * exactly as printed, and each section says what the render found.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderCommand } from "../../cli/commands/render";
import { formatRenderMarkdown, trafficMatrix } from "../../cli/render/markdown";
import type { PolicyReport, RenderSummary } from "../../cli/render/types";
import { captureIo, PROJECT_DIR, tempDir } from "./helpers";

const DOC = path.join(PROJECT_DIR, "docs", "review-summary.md");
const REGENERATE = "npm run -s render -- --stack dev --out /tmp/dev --format markdown > docs/review-summary.md";

function summary(overrides: Partial<RenderSummary> = {}): RenderSummary {
  return {
    project: "lucid-mesh",
    stack: "prod",
    environment: "prod",
    resources: { total: 3, byType: { "tls:index/privateKey:PrivateKey": 2, "consul:index/service:Service": 1 } },
    envoy: { configSets: 1, files: 4, errors: 0, warnings: 1 },
    kubernetes: { objects: 5, errors: 2 },
    systems: { findings: 1, bySystem: { consul: 1 } },
    secondUp: { updates: 0, replacements: 0 },
    renewals: [],
    policy: { total: 2, mandatory: 1, byRule: {} },
    issues: [],
    files: 10,
    timingsMs: { simulate: 1, write: 1, validate: 1, policy: 1, total: 4 },
    ...overrides,
  };
}

const REPORT: PolicyReport = {
  policyConfig: "policies/config/prod.json",
  total: 2,
  byLevel: { mandatory: 1, advisory: 1 },
  byRule: {},
  violations: [
    { policy: "pinned-images", level: "mandatory", name: "ledger", message: "image is not pinned by digest" },
    { policy: "rate-limits", level: "advisory", name: "api", message: "no | limit" },
  ],
};

describe("review summary in Markdown", function () {
  this.timeout(300_000);

  it("docs/review-summary.md is the dev render's summary exactly as `render --format markdown` prints it", async () => {
    const io = captureIo();
    const code = await renderCommand.run(
      ["--stack", "dev", "--out", path.join(tempDir("markdown"), "dev"), "--format", "markdown"],
      io,
    );
    assert.equal(code, 0, io.stderr());
    const printed = io.stdout();
    assert.match(printed, /^## lucid-mesh render: stack `dev` \(environment dev\)\n/);
    assert.ok(printed.includes("\n```mermaid\nflowchart LR\n"), "topology as a Mermaid block");
    assert.ok(printed.includes("| Real systems' models | Consul, Docker, Kubernetes, tls | 0 refusals |"));
    // The render writes traffic.json (simulate/traffic/): its matrix, failure scenarios and verdict are drawn.
    assert.ok(printed.includes("### Traffic matrix\n"), "traffic.json is drawn");
    assert.ok(printed.includes("| east/api-gateway | · | · | ✅ |"), "a reachable edge and edges without an upstream");
    assert.ok(
      printed.includes(
        "| instance-down east/blockchain-core: 1 of 1 down (east-blockchain-core-1) | east/api-gateway → blockchain-core served by west/blockchain-core/west-blockchain-core-1 via the gateways",
      ),
    );
    assert.ok(printed.includes("Traffic equals the intentions, failover included."));
    assert.equal(fs.readFileSync(DOC, "utf8"), printed, `docs/review-summary.md is stale: ${REGENERATE}`);
  });

  it("counts violations by level and lists them; validation counts and resources by package", () => {
    const text = formatRenderMarkdown(summary(), 1, REPORT);
    assert.ok(text.includes("**Result:** FAILED"));
    assert.ok(text.includes("### Policy violations: 2 (`policies/config/prod.json`)"));
    assert.ok(text.includes("| mandatory | 1 |\n| advisory | 1 |"));
    assert.ok(text.includes("- **mandatory** `pinned-images` ledger: image is not pinned by digest"));
    assert.ok(text.includes("| Kubernetes objects | 5 objects | 2 errors |"));
    assert.ok(text.includes("| Real systems' models | Consul, Docker, Kubernetes, tls | 1 refusals (1 consul) |"));
    assert.ok(text.includes("consul 1 · tls 2"));
    assert.ok(!text.includes("### Topology"), "no topology given: no section");
  });

  it("draws the traffic matrix when traffic.json exists, in either shape, and says so when it cannot", () => {
    const walks = [
      { from: "api", to: "ledger", allowed: true },
      { from: "ledger", to: "api", allowed: false },
    ];
    assert.deepEqual(trafficMatrix(walks), { api: { ledger: "✅" }, ledger: { api: "❌" } });
    assert.deepEqual(trafficMatrix({ matrix: { api: { ledger: true } } }), { api: { ledger: "✅" } });
    // traffic.json v2: edges grouped per caller; a callee missing from a row has no route.
    assert.deepEqual(
      trafficMatrix({
        callees: ["api", "db", "ledger"],
        callers: { "east/api": { ledger: { verdict: "reachable" }, db: { verdict: "blocked" } }, "east/db": {} },
      }),
      { "east/api": { api: "·", db: "❌", ledger: "✅" }, "east/db": { api: "·", db: "·", ledger: "·" } },
    );
    // The walk's own verdicts (traffic.json written by the render).
    assert.deepEqual(
      trafficMatrix({ matrix: { "east/api": { ledger: "reachable", db: "blocked", api: "no route" } } }),
      {
        "east/api": { ledger: "✅", db: "❌", api: "·" },
      },
    );
    const text = formatRenderMarkdown(summary(), 0, REPORT, { traffic: walks, topology: "flowchart LR\n" });
    assert.ok(
      text.includes(
        "### Traffic matrix\n\n| from \\ to | api | ledger |\n| --- | --- | --- |\n| api |  | ✅ |\n| ledger | ❌ |  |",
      ),
      text,
    );
    assert.ok(text.endsWith("### Topology\n\n```mermaid\nflowchart LR\n```\n"));
    assert.match(
      formatRenderMarkdown(summary(), 0, REPORT, { traffic: { other: 1 } }),
      /its shape is not one this summary reads/,
    );
  });
});
