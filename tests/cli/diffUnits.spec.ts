/**
 * The mesh diff's rules on hand-made render folders (no render): policy violations new and resolved, Kubernetes
 * workloads that roll when their pod template changes (simulate/renewal.ts restartOf), and secret updates that do
 * not restart anything.
 */
import { strict as assert } from "node:assert";
import { diffLines, meshDiff } from "../../cli/diff/meshDiff";
import type { RenderFolder } from "../../cli/diff/read";
import type { PlanResource, PolicyViolationRecord } from "../../cli/render/types";
import { systemModels } from "../../simulate/providers";

function folder(
  label: string,
  resources: PlanResource[],
  violations: PolicyViolationRecord[] = [],
  texts: Record<string, string> = {},
): RenderFolder {
  return {
    label,
    plan: { schemaVersion: 1, project: "lucid-mesh", stack: "prod", environment: "prod", outputs: {}, resources },
    manifest: { schemaVersion: 1, files: [], omitted: [] },
    policy: {
      policyConfig: "policies/config/prod.json",
      total: violations.length,
      byLevel: {},
      byRule: {},
      violations,
    },
    files: Object.keys(texts).sort(),
    read: (file) => {
      const text = texts[file];
      if (text === undefined) throw new Error(`no ${file}`);
      return text;
    },
  };
}

const urn = (type: string, name: string): string => `urn:pulumi:prod::lucid-mesh::${type}::${name}`;

function resource(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  dependencies: string[] = [],
): PlanResource {
  return { urn: urn(type, name), type, name, custom: true, dependencies, inputs };
}

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SECRET = "kubernetes:core/v1:Secret";
const LEAF = "tls:index/locallySignedCert:LocallySignedCert";

function deployment(image: string): PlanResource {
  return resource(DEPLOYMENT, "east-ledger", {
    metadata: { name: "ledger", labels: { "lucid.mesh/role": "app" } },
    spec: { replicas: 2, template: { spec: { containers: [{ name: "ledger", image }] } } },
  });
}

const INTENTIONS = "consul/west/config-entries/service-intentions/ledger.json";
const BOOTSTRAP = "envoy/west/ledger/envoy/bootstrap.yaml";
const LISTENER = "envoy/west/ledger/envoy/listener.yaml";

function listener(action: string, principals: string): string {
  return [
    "resources:",
    "- filter_chains:",
    "  - filters:",
    "    - typed_config:",
    "        http_filters:",
    "        - name: envoy.filters.http.rbac",
    "          typed_config:",
    "            '@type': type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC",
    "            rules:",
    `              action: ${action}`,
    "              policies:",
    "                allowed_sources:",
    "                  permissions:",
    "                  - any: true",
    "                  principals:",
    principals,
    "",
  ].join("\n");
}

const SPIFFE = (dc: string, svc: string): string =>
  `                  - authenticated:\n                      principal_name:\n                        exact: spiffe://lucid.mesh/ns/lucid/dc/${dc}/svc/${svc}`;

describe("mesh diff rules (hand-made folders)", () => {
  it("edges: allow and L7 intentions count, deny does not; only an ALLOW RBAC filter's principals count", () => {
    const intentions = JSON.stringify({
      Sources: [
        { Name: "api", Peer: "east", Action: "allow" },
        { Name: "batch", Action: "deny" },
        { Name: "reports", Permissions: [{ Action: "allow", HTTP: { PathPrefix: "/read" } }] },
      ],
    });
    const bootstrap = "node:\n  cluster: ledger\n  id: west-ledger-1\n  metadata:\n    cluster: west\n";
    const empty = folder("base", []);
    const head = folder("head", [], [], {
      [INTENTIONS]: intentions,
      [BOOTSTRAP]: bootstrap,
      [LISTENER]: listener("ALLOW", SPIFFE("east", "api")),
    });
    assert.deepEqual(diffLines(meshDiff(systemModels, empty, head)), [
      "+ service west/ledger",
      "+ edge east/api -> west/ledger (intention)",
      "+ edge east/api -> west/ledger (rbac)",
      "+ edge west/reports -> west/ledger (intention)",
      `+ envoy ${BOOTSTRAP}`,
      `+ envoy ${LISTENER}`,
    ]);
    const denying = folder("head", [], [], {
      [BOOTSTRAP]: bootstrap,
      [LISTENER]: listener("DENY", SPIFFE("east", "api")),
    });
    assert.deepEqual(
      diffLines(meshDiff(systemModels, empty, denying)).filter((l) => l.startsWith("+ edge")),
      [],
    );
  });

  it("reports policy violations new and resolved", () => {
    const old: PolicyViolationRecord = {
      policy: "pinned-images",
      level: "mandatory",
      name: "ledger",
      message: "not pinned",
    };
    const now: PolicyViolationRecord = { policy: "rate-limits", level: "advisory", name: "api", message: "no limit" };
    const lines = diffLines(meshDiff(systemModels, folder("base", [], [old]), folder("head", [], [now])));
    assert.deepEqual(lines, [
      "+ violation [advisory] rate-limits api: no limit",
      "- violation [mandatory] pinned-images ledger: not pinned",
    ]);
  });

  it("a Deployment whose pod template changed rolls its pods; a replicas change alone does not", () => {
    const base = folder("base", [deployment("ledger:1")]);
    assert.deepEqual(diffLines(meshDiff(systemModels, base, folder("head", [deployment("ledger:2")]))), [
      "~ restart east-ledger (app): pod template changed: a rolling restart",
    ]);
    const scaled = deployment("ledger:1");
    const replicas = {
      ...scaled,
      inputs: { ...scaled.inputs, spec: { ...(scaled.inputs.spec as object), replicas: 3 } },
    };
    assert.deepEqual(diffLines(meshDiff(systemModels, base, folder("head", [replicas]))), []);
  });

  it("Kubernetes pods are instances of their workload: a replica change is one instance line out and one in", () => {
    const workload = (replicas: number): PlanResource =>
      resource(DEPLOYMENT, "east-api", {
        metadata: {
          name: "api",
          labels: { "lucid.mesh/service": "api", "lucid.mesh/cluster": "east", "lucid.mesh/role": "sidecar" },
        },
        spec: { replicas, template: { spec: { containers: [{ name: "api", image: "api:1" }] } } },
      });
    assert.deepEqual(diffLines(meshDiff(systemModels, folder("base", [workload(2)]), folder("head", [workload(3)]))), [
      "+ instance east/api: Deployment east-api x3",
      "- instance east/api: Deployment east-api x2",
    ]);
    assert.deepEqual(diffLines(meshDiff(systemModels, folder("base", []), folder("head", [workload(2)]))), [
      "+ service east/api",
      "+ instance east/api: Deployment east-api x2",
    ]);
  });

  it("a reissued certificate updates the Secret that holds it, and restarts nothing", () => {
    const leaf = (hours: number): PlanResource =>
      resource(LEAF, "east-ledger-leaf", {
        validityPeriodHours: hours,
        certRequestPem: "-----BEGIN CERTIFICATE REQUEST-----\nA\n-----END CERTIFICATE REQUEST-----\n",
      });
    const secret = resource(SECRET, "east-ledger-certs", { stringData: { "certificate.yaml": "[secret]" } }, [
      urn(LEAF, "east-ledger-leaf"),
    ]);
    const found = meshDiff(systemModels, folder("base", [leaf(2160), secret]), folder("head", [leaf(1440), secret]));
    assert.deepEqual(diffLines(found), ["~ certificate east-ledger-leaf reissued: validityPeriodHours"]);
    assert.deepEqual(found.restarts, []);
  });
});
