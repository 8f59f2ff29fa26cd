import { strict as assert } from "node:assert";
import { load } from "js-yaml";
import { alertRules, alertRulesYaml, observabilityFiles } from "../../observability";
import { stackMesh } from "./helpers";

const RULE_KEYS = ["alert", "annotations", "expr", "for", "labels"];
const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

/** Problems with a value as a Prometheus alerting-rule file, checked independently of the generator's types. */
function ruleFileProblems(file: unknown): string[] {
  const problems: string[] = [];
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  const nonEmpty = (v: unknown): boolean => typeof v === "string" && v.trim().length > 0;
  if (!isObject(file) || !Array.isArray(file.groups) || file.groups.length === 0) return ["no groups list"];
  if (Object.keys(file).join() !== "groups") problems.push("unexpected top-level keys");
  const groupNames = new Set<string>();
  file.groups.forEach((group: unknown, g) => {
    if (!isObject(group) || !nonEmpty(group.name) || !Array.isArray(group.rules) || group.rules.length === 0) {
      problems.push(`groups[${g}]: needs a name and rules`);
      return;
    }
    if (groupNames.has(String(group.name))) problems.push(`groups[${g}]: duplicate name`);
    groupNames.add(String(group.name));
    group.rules.forEach((rule: unknown, r) => {
      const at = `groups[${g}].rules[${r}]`;
      if (!isObject(rule)) return void problems.push(`${at}: not a mapping`);
      if (Object.keys(rule).sort().join() !== RULE_KEYS.join())
        problems.push(`${at}: keys ${Object.keys(rule).join()}`);
      if (!nonEmpty(rule.alert) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(rule.alert))) problems.push(`${at}: alert`);
      if (!nonEmpty(rule.expr)) problems.push(`${at}: expr`);
      if (typeof rule.for !== "string" || !DURATION.test(rule.for)) problems.push(`${at}: for`);
      const labels = rule.labels;
      if (!isObject(labels) || !["warning", "critical"].includes(String(labels.severity))) {
        problems.push(`${at}: labels.severity`);
      }
      const annotations = rule.annotations;
      if (!isObject(annotations) || !nonEmpty(annotations.summary) || !nonEmpty(annotations.description)) {
        problems.push(`${at}: annotations summary/description`);
      } else if (!nonEmpty(annotations.action) && !nonEmpty(annotations.runbook_url)) {
        problems.push(`${at}: annotations must tell the operator what to do`);
      }
    });
  });
  return problems;
}

function exprOf(alert: string, mesh = stackMesh("dev")): string {
  const rule = alertRules(mesh)
    .groups.flatMap((g) => g.rules)
    .find((r) => r.alert === alert);
  if (!rule) throw new Error(`no rule ${alert}`);
  return rule.expr;
}

describe("observability: alert rules", () => {
  for (const stack of ["dev", "prod"] as const) {
    it(`${stack}: alerts.yml has Prometheus's rule-file shape`, () => {
      const parsed = load(observabilityFiles(stackMesh(stack))["alerts.yml"]!);
      assert.deepEqual(ruleFileProblems(parsed), []);
    });
  }

  it("covers the seed's alerts and the mesh's own", () => {
    const alerts = alertRules(stackMesh("dev")).groups.flatMap((g) => g.rules.map((r) => r.alert));
    for (const name of [
      "MeshCertificateExpiringSoon",
      "MeshCertificateExpiryCritical",
      "MeshUpstreamWithoutHealthyInstances",
      "MeshServiceHighErrorRatio",
      "MeshUpstreamDiscoveryFailing",
      "MeshDnsResolutionFailing",
      "MeshRateLimitedSurge",
      "MeshSidecarDown",
      "MeshGatewayDown",
    ]) {
      assert.ok(alerts.includes(name), name);
    }
    assert.equal(new Set(alerts).size, alerts.length, "alert names are unique");
  });

  it("negative: the shape check rejects broken rule files", () => {
    const good = structuredClone(alertRules(stackMesh("dev"))) as unknown as {
      groups: Array<{ rules: Array<Record<string, unknown>> }>;
    };
    const broken = (edit: (rule: Record<string, unknown>) => void): string[] => {
      const copy = structuredClone(good);
      edit(copy.groups[0]!.rules[0]!);
      return ruleFileProblems(copy);
    };
    assert.notDeepEqual(
      broken((r) => delete r.for),
      [],
    );
    assert.notDeepEqual(
      broken((r) => (r.for = "five minutes")),
      [],
    );
    assert.notDeepEqual(
      broken((r) => (r.labels = { severity: "page-me" })),
      [],
    );
    assert.notDeepEqual(
      broken((r) => (r.annotations = { summary: "s", description: "d" })),
      [],
    );
    assert.notDeepEqual(
      broken((r) => (r.record = "x")),
      [],
    );
    assert.notDeepEqual(ruleFileProblems({ rules: [] }), []);
    assert.notDeepEqual(ruleFileProblems({ groups: [{ name: "g", rules: [] }] }), []);
  });

  it("thresholds come from stack config", () => {
    const defaults = stackMesh("dev");
    assert.match(exprOf("MeshCertificateExpiringSoon", defaults), /< 30 >= 7$/);
    assert.match(exprOf("MeshCertificateExpiryCritical", defaults), /< 7$/);
    assert.match(exprOf("MeshServiceHighErrorRatio", defaults), /> 0\.05$/);
    assert.match(exprOf("MeshRateLimitedSurge", defaults), /> 10$/);

    const tuned = stackMesh("dev", (raw) => {
      raw.observability = {
        alerts: {
          certExpiryWarningDays: 21,
          certExpiryCriticalDays: 3,
          errorRatioThreshold: 0.2,
          rateLimitedPerSecondThreshold: 250,
        },
      };
    });
    assert.match(exprOf("MeshCertificateExpiringSoon", tuned), /< 21 >= 3$/);
    assert.match(exprOf("MeshCertificateExpiryCritical", tuned), /< 3$/);
    assert.match(exprOf("MeshServiceHighErrorRatio", tuned), /> 0\.2$/);
    assert.match(exprOf("MeshRateLimitedSurge", tuned), /> 250$/);
    assert.notEqual(alertRulesYaml(tuned), alertRulesYaml(defaults));
  });

  it("negative: a critical window that is not inside the warning window is refused", () => {
    const mesh = stackMesh("dev", (raw) => {
      raw.observability = { alerts: { certExpiryWarningDays: 7, certExpiryCriticalDays: 7 } };
    });
    assert.throws(() => alertRules(mesh), /certExpiryCriticalDays/);
  });

  it("is deterministic", () => {
    assert.equal(alertRulesYaml(stackMesh("prod")), alertRulesYaml(stackMesh("prod")));
  });
});
