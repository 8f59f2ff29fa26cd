import { strict as assert } from "node:assert";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { readOnly, runPack, runResourcePolicy } from "../../simulate/policyRunner";
import { allPolicies } from "../../policies/rules";

describe("policy runner: props are shared read-only, not cloned per policy", () => {
  const resource = () => ({
    type: "docker:index/container:Container",
    name: "c",
    props: { uploads: [{ file: "/etc/envoy/bootstrap.yaml", content: "x" }], labels: { a: "b" } },
  });

  it("a policy reads every value, and arrays stay arrays", async () => {
    const seen: unknown[] = [];
    const policy: ResourceValidationPolicy = {
      name: "reader",
      description: "reads",
      validateResource: (args) => {
        const uploads = args.props.uploads as Array<{ file: string }>;
        seen.push(
          Array.isArray(uploads),
          uploads.length,
          uploads[0]!.file,
          Object.keys(args.props),
          JSON.stringify(args.props),
        );
      },
    };
    await runResourcePolicy(policy, resource());
    assert.deepEqual(seen, [
      true,
      1,
      "/etc/envoy/bootstrap.yaml",
      ["uploads", "labels"],
      JSON.stringify(resource().props),
    ]);
  });

  it("a policy that writes to its props fails loudly and changes nothing", async () => {
    const r = resource();
    for (const write of [
      (p: Record<string, unknown>) => (p.labels = {}),
      (p: Record<string, unknown>) => ((p.uploads as unknown[]).length = 0),
      (p: Record<string, unknown>) => delete (p.labels as Record<string, unknown>).a,
    ]) {
      const policy: ResourceValidationPolicy = {
        name: "writer",
        description: "writes",
        validateResource: (args) => void write(args.props),
      };
      await assert.rejects(runResourcePolicy(policy, r), TypeError);
    }
    assert.deepEqual(r.props, resource().props);
  });

  it("the same object always reads as the same view, and frozen values read through", () => {
    const inner = Object.freeze({ x: Object.freeze([1]) });
    const props = { inner, list: [{ a: 1 }] };
    const view = readOnly(props);
    assert.equal(view.list, view.list);
    assert.deepEqual(view.inner.x, [1]);
  });
});

describe("policy runner: runPack", () => {
  const container = (name: string) => ({
    type: "docker:index/container:Container",
    name,
    urn: `urn:pulumi:test::lucid-mesh::docker:index/container:Container::${name}`,
    props: {
      image: "envoyproxy/envoy:latest",
      envs: ["CONSUL_HTTP_TOKEN=0f6b3c1e-8d2a-4c55-9a1e-2b7d4c9e1f00"],
    },
  });

  it("reports violations in pack order, then resource order, though it runs resource by resource", async () => {
    const violations = await runPack([container("a"), container("b")]);
    const order = allPolicies.map((p) => p.name);
    const seen = violations.map((v) => [v.policy, v.urn?.split("::").pop()]);
    const policies = [...new Set(seen.map(([policy]) => policy))];
    assert.ok(policies.length >= 2, `expected two rules to fire: ${JSON.stringify(seen)}`);
    assert.deepEqual(
      policies,
      order.filter((p) => policies.includes(p)),
      "grouped by rule, in the pack's order",
    );
    for (const policy of policies) {
      assert.deepEqual(
        seen.filter(([p]) => p === policy).map(([, name]) => name),
        ["a", "b"],
        `${String(policy)}: resources in input order`,
      );
    }
  });
});
