/**
 * The traffic walk (issue 21 part 1, simulate/traffic/): over the dev and prod stacks every edge with an upstream
 * equals the intentions, failover included; a mutated artifact stops the request at the hop the real system would
 * stop it, with a reason that names it. Hop rules follow envoyproxy/envoy (priority spillover in
 * source/common/upstream/load_balancer_impl.cc, SAN matching in source/common/tls/cert_validator/default_validator.cc,
 * RBAC principals in source/extensions/filters/common/rbac/matchers.cc) and hashicorp/consul (DNS only_passing in
 * agent/dns.go, intention precedence in agent/consul/state/intention.go).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gatePlan, renderStack } from "../../cli/render";
import { driftProblems, renderedFileProblems, trafficProblems } from "../../cli/render/traffic";
import "../../simulate/providers";
import type { RecordedResource } from "../../simulate/recorder";
import { simulateStack } from "../../simulate/stack";
import type { Deployment } from "../../simulate/system";
import { raftQuorum, trafficReport, type PairEntry, type TrafficReport } from "../../simulate/traffic";
import { PROJECT_DIR } from "../helpers/stacks";
import { load } from "js-yaml";
import { systemDnsResolver } from "../../envoy/cluster/dns";
import { toYaml } from "../../model/yaml";

const CONTAINER = "docker:index/container:Container";

async function deploymentOf(stack: string): Promise<Deployment> {
  const { recorder } = await simulateStack(PROJECT_DIR, stack);
  return { resources: recorder.resources, outputsOf: (urn) => recorder.outputs.get(urn) };
}

function labels(r: RecordedResource): Record<string, string> {
  const list = (r.inputs.labels ?? []) as Array<{ label: string; value: string }>;
  return Object.fromEntries(list.map((l) => [l.label, l.value]));
}

/** A copy of the deployment with one file of a Docker Envoy writer (cluster + service, or the gateway) rewritten. */
function withEnvoyFile(
  deployment: Deployment,
  cluster: string,
  workload: string,
  file: string,
  edit: (content: string) => string,
): Deployment {
  let hits = 0;
  const resources = deployment.resources.map((r) => {
    const l = r.type === CONTAINER ? labels(r) : {};
    const role = l["lucid.mesh/role"];
    const isWriter =
      l["lucid.mesh/cluster"] === cluster &&
      (workload === "mesh-gateway"
        ? role === "gateway" && l["lucid.mesh/service"] === undefined
        : role === "envoy-config" && l["lucid.mesh/service"] === workload);
    const uploads = (r.inputs.uploads ?? []) as Array<{ file: string; content: string }>;
    if (!isWriter || !uploads.some((u) => u.file === file)) return r;
    hits++;
    const inputs = structuredClone(r.inputs);
    const upload = (inputs.uploads as Array<{ file: string; content: string }>).find((u) => u.file === file)!;
    const before = upload.content;
    upload.content = edit(before);
    assert.notEqual(upload.content, before, `the edit changed nothing in ${cluster}/${workload} ${file}`);
    return { ...r, inputs, redactedInputs: inputs };
  });
  assert.equal(hits, 1, `expected one writer for ${cluster}/${workload} ${file}`);
  return { resources, outputsOf: deployment.outputsOf };
}

function pair(report: TrafficReport, from: string, to: string): PairEntry {
  const found = report.pairs.find((p) => p.from === from && p.to === to);
  assert.ok(found, `no pair ${from} → ${to}`);
  return found;
}

/** Renders `stack` (no renewals) into a temporary directory before the suite and removes it after. */
function renderedInTemp(stack: "dev" | "prod"): { readonly dir: string } {
  const rendered = { dir: "" };
  before(async () => {
    rendered.dir = fs.mkdtempSync(path.join(os.tmpdir(), `traffic-render-${stack}-`));
    const result = await renderStack({ projectDir: PROJECT_DIR, stack, outDir: rendered.dir, renewals: false });
    assert.equal(result.exitCode, 0, JSON.stringify(result.summary.issues));
  });
  after(() => fs.rmSync(rendered.dir, { recursive: true, force: true }));
  return rendered;
}

describe("traffic walk (issue 21: traffic.json)", function () {
  this.timeout(300_000);
  let dev: Deployment;
  let devReport: TrafficReport;
  let prodReport: TrafficReport;

  before(async () => {
    dev = await deploymentOf("dev");
    devReport = trafficReport(dev);
    prodReport = trafficReport(await deploymentOf("prod"));
  });

  for (const stack of ["dev", "prod"] as const) {
    describe(stack, () => {
      const report = (): TrafficReport => (stack === "dev" ? devReport : prodReport);

      it("every edge with an upstream is reachable exactly when the intentions allow it", () => {
        const withUpstream = report().pairs.filter((p) => p.verdict !== "no route");
        assert.ok(withUpstream.length >= 10, `only ${withUpstream.length} edges with an upstream`);
        for (const p of withUpstream) {
          assert.equal(p.verdict === "reachable", p.intention === "allow", `${p.from} → ${p.to}: ${p.reason ?? ""}`);
        }
        assert.deepEqual(report().violations, []);
      });

      it("crosses the gateways for a callee served only in the other cluster, and walks every hop", () => {
        const p = pair(report(), "east/blockchain-core", "blockchain-anchor");
        assert.equal(p.verdict, "reachable");
        assert.equal(p.servedBy, "west/blockchain-anchor");
        assert.equal(p.via, "gateways");
        for (const hop of [
          "outbound-listener",
          "route",
          "local-gateway",
          "remote-gateway",
          "tls-san",
          "tls-chain",
          "rbac",
          "app",
        ]) {
          assert.ok(
            p.hops.some((h) => h.startsWith(`${hop}:`)),
            `no ${hop} hop in ${p.hops.join(" | ")}`,
          );
        }
      });

      it("walks only the callees a caller has an outbound listener for; the rest count as 'no route'", () => {
        const r = report();
        assert.ok(!r.pairs.some((p) => p.from === "east/session-recorder"), "no walk kept without an upstream");
        assert.equal(r.counts.pairs, r.callers.length * r.callees.length);
        assert.equal(r.counts.noRoute, r.counts.pairs - r.pairs.length);
      });

      it("takes one local instance down at a time: the others serve first, then the gateways (priority 1)", () => {
        const steps = report().scenarios.filter(
          (s) => s.kind === "instance-down" && s.service === "east/blockchain-core",
        );
        const instances = steps.at(-1)?.down ?? [];
        assert.equal(steps.length, instances.length, "one step per local instance");
        assert.equal(steps.length, stack === "prod" ? 2 : 1);
        steps.forEach((step, k) => {
          assert.equal(step.down.length, k + 1, "cumulative: the first k instances are down");
          const edge = step.failover.find((f) => f.from === "east/api-gateway" && f.to === "blockchain-core");
          assert.equal(edge?.verdict, "reachable", JSON.stringify(edge));
          if (k + 1 < steps.length) {
            // Another local instance is left: it serves, directly, and it is not one of the down ones.
            assert.equal(edge?.servedBy, "east/blockchain-core");
            assert.equal(edge?.via, "direct");
            assert.ok(edge?.instance && !step.down.includes(edge.instance), `${edge?.instance} is down`);
          } else {
            assert.equal(edge?.servedBy, "west/blockchain-core");
            assert.equal(edge?.via, "gateways");
          }
        });
      });

      it("a gateway down stops cross-cluster edges", () => {
        const gateway = report().scenarios.find((s) => s.kind === "gateway-down" && s.down[0] === "west/mesh-gateway");
        const cut = gateway?.changed.find((c) => c.from === "east/blockchain-core" && c.to === "blockchain-anchor");
        assert.equal(cut?.verdict, "blocked");
        assert.match(cut?.reason ?? "", /is down/);
        assert.ok(report().scenarios.some((s) => s.kind === "consul-server-down"));
      });
    });
  }

  it("prod: one Consul server of three down keeps quorum (raft voters/2+1) and DNS", () => {
    const s = prodReport.scenarios.find((x) => x.kind === "consul-server-down");
    assert.match(s?.notes.join(" ") ?? "", /2 of 3 servers keep quorum \(2, hashicorp\/raft quorumSize\)/);
    assert.deepEqual(s?.changed, []);
    assert.equal(raftQuorum(3), 2);
    assert.equal(raftQuorum(2), 2, "two servers: losing one loses quorum (raft.go quorumSize)");
    assert.equal(raftQuorum(5), 3);
  });

  it("dev: the only Consul server down stops its cluster's DNS; Envoy keeps its last answer", () => {
    const s = devReport.scenarios.find((x) => x.kind === "consul-server-down" && x.down[0]?.startsWith("east/"));
    assert.match(s?.notes.join(" ") ?? "", /the only server is down/);
    assert.match(s?.notes.join(" ") ?? "", /Envoy keeps the hosts of its last answer/);
  });

  it("a registration whose address is a host name: Consul answers a CNAME, not 'none passing'", () => {
    // The registration as the Consul applier is given it (its payload, in its Docker writer's uploads).
    let hits = 0;
    const resources = dev.resources.map((r) => {
      const uploads = r.inputs.uploads as Array<{ file: string; content?: string }> | undefined;
      const payload = uploads?.find(
        (u) => u.file.endsWith("/payload.json") && u.content?.includes('"session-recorder"'),
      );
      if (r.type !== "docker:index/container:Container" || !payload?.content) return r;
      const parsed = JSON.parse(payload.content) as {
        registrations: Array<{ Address: string; Service: { Service: string; Address: string } }>;
      };
      for (const reg of parsed.registrations) {
        if (reg.Service.Service !== "session-recorder") continue;
        hits++;
        reg.Service.Address = "recorder.example.internal";
        reg.Address = "recorder.example.internal";
      }
      const content = JSON.stringify(parsed);
      const inputs = { ...r.inputs, uploads: uploads!.map((u) => (u === payload ? { ...u, content } : u)) };
      return { ...r, inputs, redactedInputs: inputs };
    });
    assert.equal(hits, 1);
    const p = pair(trafficReport({ resources, outputsOf: dev.outputsOf }), "east/session-api", "session-recorder");
    assert.equal(p.blockedAt, "dns");
    assert.match(
      p.reason ?? "",
      /answers session-recorder\.service\.east\.consul with CNAME recorder\.example\.internal/,
    );
    assert.match(
      p.reason ?? "",
      /no A record \(no recursors configured\); Envoy takes hosts only from A\/AAAA records/,
    );
    assert.doesNotMatch(p.reason ?? "", /none passing/);
  });

  describe("mutated artifacts stop at the right hop (dev)", () => {
    it("a SAN matcher naming the wrong service: blocked at tls-san, and the gate's violation", () => {
      const mutated = withEnvoyFile(dev, "east", "api-gateway", "/etc/envoy/cluster.yaml", (c) =>
        c.replace(
          "exact: spiffe://lucid.mesh/ns/lucid/dc/east/svc/blockchain-core",
          "exact: spiffe://lucid.mesh/ns/lucid/dc/east/svc/session-api",
        ),
      );
      const report = trafficReport(mutated);
      const p = pair(report, "east/api-gateway", "blockchain-core");
      assert.equal(p.blockedAt, "tls-san");
      assert.match(p.reason ?? "", /accepts only exact spiffe:\/\/lucid\.mesh\/ns\/lucid\/dc\/east\/svc\/session-api/);
      assert.match(p.reason ?? "", /presents spiffe:\/\/lucid\.mesh\/ns\/lucid\/dc\/east\/svc\/blockchain-core/);
      assert.ok(report.violations.some((v) => v.kind === "allowed-unreachable" && v.to === "blockchain-core"));
    });

    it("an RBAC policy missing the caller's principal: blocked at rbac", () => {
      const mutated = withEnvoyFile(dev, "west", "blockchain-anchor", "/etc/envoy/listener.yaml", (c) =>
        c.replace(
          /\s+- authenticated:\n\s+principal_name:\n\s+exact: spiffe:\/\/lucid\.mesh\/ns\/lucid\/dc\/west\/svc\/blockchain-core/,
          "",
        ),
      );
      const report = trafficReport(mutated);
      const p = pair(report, "west/blockchain-core", "blockchain-anchor");
      assert.equal(p.blockedAt, "rbac");
      assert.match(
        p.reason ?? "",
        /admits no principal spiffe:\/\/lucid\.mesh\/ns\/lucid\/dc\/west\/svc\/blockchain-core/,
      );
      // The east caller's principal is still there.
      assert.equal(pair(report, "east/blockchain-core", "blockchain-anchor").verdict, "reachable");
    });

    it("a wrong endpoint port: blocked at the listener, naming the port and the listeners there", () => {
      const mutated = withEnvoyFile(dev, "east", "session-api", "/etc/envoy/cluster.yaml", (c) =>
        c.replace(/(address: session-recorder\.service\.east\.consul\n\s+port_value:) 15001/, "$1 15002"),
      );
      const p = pair(trafficReport(mutated), "east/session-api", "session-recorder");
      assert.equal(p.blockedAt, "listener");
      assert.match(p.reason ?? "", /has no listener on port 15002 \(listeners: .*inbound:15001/);
    });

    it("an unregistered name: blocked at dns with Consul's NXDOMAIN", () => {
      const mutated = withEnvoyFile(dev, "east", "session-api", "/etc/envoy/cluster.yaml", (c) =>
        c.replace("address: session-recorder.service.east.consul", "address: session-recordr.service.east.consul"),
      );
      const p = pair(trafficReport(mutated), "east/session-api", "session-recorder");
      assert.equal(p.blockedAt, "dns");
      assert.match(
        p.reason ?? "",
        /NXDOMAIN for session-recordr\.service\.east\.consul: no "session-recordr" is registered in east/,
      );
    });

    it("a bootstrap without Consul's resolver: upstreams fall to resolv.conf, which answers no Consul name (dns)", () => {
      // Envoy: a cluster without its own resolver uses the server's, and the server's is c-ares on resolv.conf
      // when the bootstrap names none (cluster_factory_impl.cc selectDnsResolver, dns_factory_util.h).
      const mutated = withEnvoyFile(dev, "east", "session-api", "/etc/envoy/bootstrap.yaml", (c) => {
        const bootstrap = load(c) as Record<string, unknown>;
        delete bootstrap.typed_dns_resolver_config;
        return toYaml(bootstrap);
      });
      const p = pair(trafficReport(mutated), "east/session-api", "session-recorder");
      assert.equal(p.blockedAt, "dns");
      assert.match(
        p.reason ?? "",
        /session-recorder\.service\.east\.consul is resolved through the system resolver \(\/etc\/resolv\.conf: neither the cluster nor the bootstrap sets typed_dns_resolver_config\), which does not answer Consul names/,
      );
      // Another caller, whose bootstrap still names Consul DNS, still gets there.
      assert.equal(pair(trafficReport(mutated), "east/api-gateway", "blockchain-core").verdict, "reachable");
    });

    it("an upstream given the system resolver of its own: blocked at dns, though the bootstrap names Consul", () => {
      const mutated = withEnvoyFile(dev, "east", "session-api", "/etc/envoy/cluster.yaml", (c) => {
        const doc = load(c) as { resources: Array<Record<string, unknown>> };
        for (const cluster of doc.resources) cluster.typed_dns_resolver_config = systemDnsResolver();
        return toYaml(doc);
      });
      const p = pair(trafficReport(mutated), "east/session-api", "session-recorder");
      assert.equal(p.blockedAt, "dns");
      assert.match(
        p.reason ?? "",
        /system resolver \(\/etc\/resolv\.conf: the cluster's own typed_dns_resolver_config/,
      );
    });

    it("local_app pointing at another port than the app listens on: blocked at app", () => {
      const mutated = withEnvoyFile(dev, "east", "session-recorder", "/etc/envoy/bootstrap.yaml", (c) =>
        c.replace(
          /(cluster_name: local_app\n[\s\S]*?port_value:) (\d+)/,
          (_m, head: string, port: string) => `${head} ${Number(port) + 1}`,
        ),
      );
      const p = pair(trafficReport(mutated), "east/session-api", "session-recorder");
      assert.equal(p.blockedAt, "app");
      assert.match(p.reason ?? "", /but the app listens on \d+/);
    });

    it("a remote gateway without the SNI route: the promised failover does not happen (a violation)", () => {
      const mutated = withEnvoyFile(dev, "west", "mesh-gateway", "/etc/envoy/listener.yaml", (c) =>
        c.replace("- blockchain-core.lucid.west.internal.lucid.mesh", "- nothing.lucid.west.internal.lucid.mesh"),
      );
      const report = trafficReport(mutated);
      const v = report.violations.find((x) => x.kind === "failover-missing" && x.from === "east/api-gateway");
      assert.ok(v, JSON.stringify(report.violations));
      assert.match(
        v.message,
        /remote-gateway: .*no filter chain for SNI blockchain-core\.lucid\.west\.internal\.lucid\.mesh/,
      );
    });

    it("an intention that denies an edge the artifacts still open: denied-reachable", () => {
      let hits = 0;
      // The east Consul applier's payload (its writer's upload) denies every caller of session-recorder.
      const resources = dev.resources.map((r) => {
        if (r.name !== "east-consul-applier-files") return r;
        const uploads = (r.inputs.uploads as Array<{ file: string; content: string }>).map((u) => {
          if (!u.file.endsWith("/payload.json")) return u;
          hits++;
          const lines = u.content
            .split("\n")
            .map((l) =>
              l.includes('"Name":"session-recorder"') ? l.replace(/"Action":"allow"/g, '"Action":"deny"') : l,
            );
          return { ...u, content: lines.join("\n") };
        });
        const inputs = { ...r.inputs, uploads };
        return { ...r, inputs, redactedInputs: inputs };
      });
      assert.equal(hits, 1);
      const report = trafficReport({ resources, outputsOf: dev.outputsOf });
      assert.equal(pair(report, "east/session-api", "session-recorder").intention, "deny");
      assert.ok(report.violations.some((v) => v.kind === "denied-reachable" && v.from === "east/session-api"));
    });
  });

  describe("the gate's reading of traffic.json and drift.json", () => {
    it("refuses an allowed edge blocked, a denied edge reachable, a missing failover, and drift", () => {
      const traffic = {
        callers: {
          "a/x": {
            y: { verdict: "blocked", intention: "allow", blockedAt: "rbac", reason: "403" },
            z: { verdict: "reachable", intention: "deny", servedBy: "a/z" },
          },
        },
        violations: [{ kind: "failover-missing", message: "with a/y down, a/x → y is blocked" }],
      };
      assert.deepEqual(trafficProblems(traffic), [
        "intentions allow a/x → y but it is blocked at rbac: 403",
        "intentions deny a/x → z but it is reachable (served by a/z)",
        "with a/y down, a/x → y is blocked",
      ]);
      const drift = {
        secondUp: [{ urn: "urn:x", action: "update", properties: ["envs"] }],
        renewals: [
          { kind: "leaf", certificate: "c", restarts: [{ urn: "urn:e", name: "e", role: "sidecar", why: "uploads" }] },
          { kind: "consul-server", certificate: "s", restarts: [], stale: ["consul-server east"] },
        ],
      };
      assert.deepEqual(driftProblems(drift), [
        "a second up would update urn:x: envs",
        "a leaf renewal (c) restarts urn:e (sidecar): uploads",
        "a consul-server renewal (s) leaves consul-server east on the old certificate: its Secret changes and nothing reloads it",
      ]);
      assert.deepEqual(driftProblems({ secondUp: [], renewals: [] }), []);
    });

    it("reads both files beside the plan", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "traffic-gate-"));
      try {
        const plan = path.join(dir, "plan.json");
        fs.writeFileSync(path.join(dir, "traffic.json"), JSON.stringify({ callers: {}, violations: [] }));
        fs.writeFileSync(path.join(dir, "drift.json"), JSON.stringify({ secondUp: [], renewals: [] }));
        assert.deepEqual(await renderedFileProblems(plan), []);
        fs.writeFileSync(path.join(dir, "drift.json"), "{");
        assert.match((await renderedFileProblems(plan))[0]?.message ?? "", /drift\.json: not valid JSON/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("the gate over a dev render (cli/render/gate.ts)", () => {
    const rendered = renderedInTemp("dev");

    const gate = (): ReturnType<typeof gatePlan> =>
      gatePlan({ planFile: path.join(rendered.dir, "plan.json"), projectDir: PROJECT_DIR });

    it("passes the render as written", async () => {
      const result = await gate();
      assert.deepEqual(result.rendered, []);
      assert.equal(result.exitCode, 0);
    });

    /** Edits plan.json, runs the gate, restores the plan; returns the gate's traffic messages. */
    async function gateEdited(edit: (plan: string) => string): Promise<string[]> {
      const planFile = path.join(rendered.dir, "plan.json");
      const original = fs.readFileSync(planFile, "utf8");
      try {
        const edited = edit(original);
        assert.notEqual(edited, original, "the edit changed nothing");
        fs.writeFileSync(planFile, edited);
        const result = await gate();
        assert.equal(result.exitCode, 1);
        return (result.rendered ?? []).map((p) => p.message);
      } finally {
        fs.writeFileSync(planFile, original);
      }
    }

    it("re-walks a plan whose SAN matcher names the wrong service: fails at tls-san", async () => {
      const messages = await gateEdited((plan) =>
        plan.replace(
          "exact: spiffe://lucid.mesh/ns/lucid/dc/east/svc/blockchain-core",
          "exact: spiffe://lucid.mesh/ns/lucid/dc/east/svc/session-api",
        ),
      );
      assert.ok(
        messages.some((m) =>
          /a walk of this plan: intentions allow east\/api-gateway → blockchain-core but it is blocked at tls-san: the caller accepts only exact spiffe:\/\/lucid\.mesh\/ns\/lucid\/dc\/east\/svc\/session-api/.test(
            m,
          ),
        ),
        messages.join("\n"),
      );
      assert.ok(
        messages.some((m) =>
          /traffic\.json says east\/api-gateway → blockchain-core is reachable; a walk of this plan finds it blocked \(at tls-san/.test(
            m,
          ),
        ),
      );
    });

    it("re-walks a plan whose RBAC lost the caller's principal: fails at rbac", async () => {
      const messages = await gateEdited((plan) =>
        plan.replace(
          /\\n\s+- authenticated:\\n\s+principal_name:\\n\s+exact: spiffe:\/\/lucid\.mesh\/ns\/lucid\/dc\/west\/svc\/blockchain-core/,
          "",
        ),
      );
      assert.ok(
        messages.some((m) =>
          /west\/blockchain-core → blockchain-anchor but it is blocked at rbac: RBAC admits no principal/.test(m),
        ),
        messages.join("\n"),
      );
    });

    it("re-walks a plan with a wrong endpoint port: fails at the listener", async () => {
      const messages = await gateEdited((plan) =>
        plan.replace(/(address: session-recorder\.service\.east\.consul\\n\s+port_value:) 15001/, "$1 15002"),
      );
      assert.ok(
        messages.some((m) =>
          /east\/session-api → session-recorder but it is blocked at listener: .* has no listener on port 15002/.test(
            m,
          ),
        ),
        messages.join("\n"),
      );
    });

    it("re-walks a plan with an unregistered name: fails at dns (NXDOMAIN)", async () => {
      const messages = await gateEdited((plan) =>
        plan.replace("address: session-recorder.service.east.consul", "address: session-recordr.service.east.consul"),
      );
      assert.ok(
        messages.some((m) =>
          /blocked at dns: Consul DNS answers NXDOMAIN for session-recordr\.service\.east\.consul/.test(m),
        ),
        messages.join("\n"),
      );
    });

    it("fails when traffic.json shows an allowed edge blocked", async () => {
      const file = path.join(rendered.dir, "traffic.json");
      const original = fs.readFileSync(file, "utf8");
      try {
        const traffic = JSON.parse(original) as { callers: Record<string, Record<string, Record<string, unknown>>> };
        const edge = Object.values(traffic.callers)
          .flatMap((row) => Object.values(row))
          .find((p) => p.verdict === "reachable");
        assert.ok(edge);
        Object.assign(edge, { verdict: "blocked", blockedAt: "rbac", reason: "403" });
        fs.writeFileSync(file, JSON.stringify(traffic));
        const result = await gate();
        assert.equal(result.exitCode, 1);
        assert.match(
          result.rendered?.[0]?.message ?? "",
          /traffic\.json says .* is blocked; a walk of this plan finds it reachable/,
        );
      } finally {
        fs.writeFileSync(file, original);
      }
    });
  });

  describe("the gate over a prod render (Kubernetes: certificates from the written files)", () => {
    const rendered = renderedInTemp("prod");

    it("re-walks the plan (whose Secrets are redacted) to the same edges as traffic.json", async () => {
      const result = await gatePlan({ planFile: path.join(rendered.dir, "plan.json"), projectDir: PROJECT_DIR });
      assert.deepEqual(result.rendered, []);
      assert.equal(result.exitCode, 0);
    });

    it("without the written certificates the re-walk cannot verify a chain, and says so", async () => {
      const secrets = path.join(rendered.dir, "envoy", "east", "api-gateway", "envoy-secrets");
      const moved = `${secrets}.moved`;
      fs.renameSync(secrets, moved);
      try {
        const result = await gatePlan({ planFile: path.join(rendered.dir, "plan.json"), projectDir: PROJECT_DIR });
        assert.equal(result.exitCode, 1);
        assert.ok(
          result.rendered?.some((p) => /east\/api-gateway → .* blocked at tls-chain/.test(p.message)),
          JSON.stringify(result.rendered),
        );
      } finally {
        fs.renameSync(moved, secrets);
      }
    });
  });
});
