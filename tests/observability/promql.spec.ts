import { strict as assert } from "node:assert";
import { parser } from "@prometheus-io/lezer-promql";
import type { Mesh } from "../../model";
import { METRIC_NAMES, METRICS, alertRules } from "../../observability";
import { stackMesh } from "./helpers";

/** Positions of error nodes in a PromQL parse (the grammar recovers, marking what it skipped). */
function syntaxErrors(expr: string): number[] {
  const errors: number[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errors.push(node.from);
    },
  });
  return errors;
}

/** Metric names an expression selects: each VectorSelector's identifier, or its `__name__="..."` matcher. */
function metricNames(expr: string): string[] {
  const names: string[] = [];
  const tree = parser.parse(expr);
  tree.iterate({
    enter(node) {
      if (node.name !== "VectorSelector") return;
      const selector = node.node;
      const identifier = selector.getChild("Identifier");
      if (identifier) names.push(expr.slice(identifier.from, identifier.to));
      const matchers = selector.getChild("LabelMatchers");
      for (const matcher of matchers?.getChildren("UnquotedLabelMatcher") ?? []) {
        const label = matcher.getChild("LabelName");
        const value = matcher.getChild("StringLiteral");
        if (label && value && expr.slice(label.from, label.to) === "__name__") {
          names.push(JSON.parse(expr.slice(value.from, value.to)) as string);
        }
      }
    },
  });
  return names;
}

function expressions(mesh: Mesh): Array<{ alert: string; expr: string }> {
  return alertRules(mesh).groups.flatMap((g) => g.rules.map((r) => ({ alert: r.alert, expr: r.expr })));
}

describe("observability: PromQL", () => {
  for (const stack of ["dev", "prod"] as const) {
    const mesh = stackMesh(stack);

    it(`${stack}: every expression parses with the PromQL grammar`, () => {
      for (const { alert, expr } of expressions(mesh)) {
        assert.deepEqual(syntaxErrors(expr), [], `${alert}: ${expr}`);
      }
    });

    it(`${stack}: every metric an expression uses is listed, with a source, in metrics.ts`, () => {
      const used = new Set<string>();
      for (const { alert, expr } of expressions(mesh)) {
        const names = metricNames(expr);
        assert.ok(names.length > 0, `${alert} selects no metric`);
        for (const name of names) {
          assert.ok(METRIC_NAMES.has(name), `${alert} uses ${name}, which metrics.ts does not list`);
          used.add(name);
        }
      }
      // And the list holds nothing the rules do not use, so it stays an honest inventory.
      assert.deepEqual([...METRIC_NAMES].sort(), [...used].sort());
    });
  }

  it("metrics.ts names a documentation URL for every metric", () => {
    for (const metric of METRICS) assert.match(metric.source, /^https:\/\/\S+$/, metric.name);
  });

  it("negative: the checks catch a syntax error and an unlisted metric", () => {
    assert.notDeepEqual(syntaxErrors("sum(rate(envoy_cluster_update_failure[5m]) >"), []);
    assert.notDeepEqual(syntaxErrors("up{job=}"), []);
    assert.deepEqual(metricNames('rate(envoy_made_up_total{job="x"}[5m]) / on() {__name__="other"}'), [
      "envoy_made_up_total",
      "other",
    ]);
    assert.ok(!METRIC_NAMES.has("envoy_made_up_total"));
  });
});
