/**
 * The simulated Consul (simulate/consul/) over the dev and prod stacks: what it must show (issue 15), and each
 * rule refusing what Consul refuses, shown by changing one thing in a recorded deployment.
 */
import { strict as assert } from "node:assert";
import type { ApplierPayload, CatalogRegistrationBody, ConfigEntryBody } from "../../consul/applier";
import type { JsonValue } from "../../consul/agentConfig";
import { runtimeRegistrars, type RuntimeRegistrar } from "../../simulate/catalog";
import { consulSystem } from "../../simulate/consul";
import { dnsLookup, registeredCatalog, runChecks } from "../../simulate/consul/catalog";
import { consulView } from "../../simulate/consul/deployed";
import { consulNamesEnvoyResolves } from "../../simulate/consul/envoyDns";
import type { RecordedResource } from "../../simulate/recorder";
import { simulateMesh, simulateStack } from "../../simulate/stack";
import { checkSystems, secondUp, type Deployment, type SystemFinding } from "../../simulate/system";
import { PROJECT_DIR } from "../helpers/stacks";
import { rawStackConfig } from "./fixtures";

const CONTAINER = "docker:index/container:Container";
const PAYLOAD_FILE = "/lucid-applier/payload.json";

async function deploymentOf(
  run: Promise<{ recorder: { resources: RecordedResource[]; outputs: Map<string, Record<string, unknown>> } }>,
): Promise<Deployment> {
  const { recorder } = await run;
  return { resources: recorder.resources, outputsOf: (urn) => recorder.outputs.get(urn) };
}

/** A copy of the deployment with the resources `pick` selects given new inputs. */
function changed(
  deployment: Deployment,
  pick: (r: RecordedResource) => boolean,
  edit: (inputs: Record<string, unknown>) => Record<string, unknown>,
): Deployment {
  let hits = 0;
  const resources = deployment.resources.map((r) => {
    if (!pick(r)) return r;
    hits++;
    const inputs = edit(structuredClone(r.inputs));
    return { ...r, inputs, redactedInputs: inputs };
  });
  assert.ok(hits > 0, "the change selected no resource");
  return { resources, outputsOf: deployment.outputsOf };
}

/** Replaces the content of one uploaded file of a Docker container. */
function withUpload(
  deployment: Deployment,
  container: string,
  file: string,
  content: (old: string) => string,
): Deployment {
  return changed(
    deployment,
    (r) => r.type === CONTAINER && r.name === container,
    (inputs) => {
      const uploads = inputs.uploads as Array<{ file: string; content: string }>;
      const upload = uploads.find((u) => u.file === file);
      assert.ok(upload, `${container} has no ${file}`);
      upload.content = content(upload.content);
      return inputs;
    },
  );
}

/** Edits the payload of a cluster's Consul applier (Docker: its writer's upload), as a changed program would. */
function withPayload(
  deployment: Deployment,
  cluster: string,
  edit: (payload: ApplierPayload) => ApplierPayload,
): Deployment {
  return withUpload(deployment, `${cluster}-consul-applier-files`, PAYLOAD_FILE, (text) =>
    JSON.stringify(edit(JSON.parse(text) as ApplierPayload)),
  );
}

/** The payload with each config entry replaced by what `edit` returns for it. */
function withConfigEntries(
  deployment: Deployment,
  cluster: string,
  edit: (entry: ConfigEntryBody) => ConfigEntryBody,
): Deployment {
  return withPayload(deployment, cluster, (payload) => ({
    ...payload,
    configEntries: payload.configEntries.map(edit),
  }));
}

/** The payload with one registration changed. */
function withRegistration(
  deployment: Deployment,
  cluster: string,
  serviceId: string,
  edit: (r: CatalogRegistrationBody) => CatalogRegistrationBody,
): Deployment {
  return withPayload(deployment, cluster, (payload) => {
    assert.ok(
      payload.registrations.some((r) => r.Service.ID === serviceId),
      `no registration ${serviceId}`,
    );
    return {
      ...payload,
      registrations: payload.registrations.map((r) => (r.Service.ID === serviceId ? edit(r) : r)),
    };
  });
}

function consulFindings(deployment: Deployment): SystemFinding[] {
  return checkSystems([consulSystem], deployment);
}

function rules(findings: readonly SystemFinding[]): string[] {
  return [...new Set(findings.map((f) => f.rule))].sort();
}

describe("simulated Consul over the stacks (issue 15)", () => {
  let dev: Deployment;
  let prod: Deployment;
  before(async function () {
    this.timeout(300_000);
    dev = await deploymentOf(simulateStack(PROJECT_DIR, "dev"));
    prod = await deploymentOf(simulateStack(PROJECT_DIR, "prod"));
  });

  for (const stack of ["dev", "prod"] as const) {
    describe(stack, () => {
      const of = (): Deployment => (stack === "dev" ? dev : prod);

      it("refuses nothing: every entry accepted, every actor's call allowed", () => {
        assert.deepEqual(consulFindings(of()), []);
      });

      it("the consul-esm token can update every check consul-esm runs, and they all turn passing", () => {
        const view = consulView(of());
        const registered = registeredCatalog(of(), view);
        const esmChecks = registered.flatMap((i) => i.checks).filter((c) => c.owner === "consul-esm");
        assert.ok(esmChecks.length > 0);
        // Consul stores a check registered without a status as critical.
        assert.ok(esmChecks.every((c) => c.status === "critical"));
        const { catalog, refused } = runChecks(registered, view);
        assert.deepEqual(refused, []);
        assert.ok(catalog.flatMap((i) => i.checks).every((c) => c.status === "passing"));
      });

      it("once checks pass, every name an Envoy cluster resolves gets a non-empty answer on the port Envoy dials", () => {
        const view = consulView(of());
        const { catalog } = runChecks(registeredCatalog(of(), view), view);
        const names = consulNamesEnvoyResolves(of().resources);
        assert.ok(names.length > 10);
        for (const name of names) {
          const answers = dnsLookup(catalog, view.byDatacenter(name.datacenter)!, name.service);
          assert.ok(answers.length > 0 && answers.every((a) => a.ipv4 !== undefined), `${name.envoy}: ${name.name}`);
          assert.deepEqual(
            answers.map((a) => a.instance.port),
            answers.map(() => name.port),
            `${name.envoy}: ${name.name}`,
          );
        }
      });

      it("a second up changes nothing: every Consul resource reads back as declared", () => {
        assert.deepEqual(secondUp([consulSystem], of()), []);
      });
    });
  }

  describe("refusals, one change at a time (dev)", () => {
    it("consul-esm without service:write: CheckCAS denied, checks stay critical, DNS answers nothing", () => {
      // The policy consul-esm had before issue 15: write only on its own service (agent/consul/txn_endpoint.go).
      const broken = withUpload(dev, "east-consul-acl-init", "/acl-init/config/lucid-consul-esm.hcl", (rules) =>
        rules.replace(/service "(?!consul-esm)[^"]+" \{\n {2}policy = "write"\n\}\n/g, ""),
      );
      const findings = consulFindings(broken);
      assert.deepEqual(rules(findings), ["consul/acl/consul-esm-check-update-denied", "consul/dns/no-answer"]);
      const denied = findings.find((f) => f.rule === "consul/acl/consul-esm-check-update-denied")!;
      assert.match(
        denied.message,
        /Permission denied: token with AccessorID '.*' lacks permission 'service:write' on "/,
      );
      assert.ok(findings.some((f) => /none passing \(checks critical/.test(f.message)));
    });

    it("a DNS token that cannot read services: DNS answers nothing (acl_filter)", () => {
      const broken = withUpload(dev, "east-consul-acl-init", "/acl-init/config/lucid-dns.hcl", (r) =>
        r.replace('service_prefix "" {\n  policy = "read"\n}\n', ""),
      );
      const findings = consulFindings(broken).filter((f) => f.rule === "consul/dns/no-answer");
      assert.ok(findings.length > 0);
      assert.ok(findings.every((f) => f.subject.startsWith("east/")));
      assert.match(findings[0]!.message, /none readable with the DNS token/);
    });

    it("an agent token whose node rule misses the server's node name: anti-entropy cannot register the node", () => {
      const broken = withUpload(dev, "east-consul-acl-init", "/acl-init/config/lucid-consul-agent.hcl", (r) =>
        r.replace('node_prefix "east-consul-"', 'node_prefix "consul-server-"'),
      );
      const findings = consulFindings(broken);
      assert.deepEqual(rules(findings), ["consul/acl/agent-denied"]);
      assert.match(findings[0]!.message, /lacks permission 'node:write' on "east-consul-0"/);
    });

    it("a check on a node consul-esm does not watch stays critical forever", () => {
      const broken = changed(
        dev,
        (r) => r.type === "consul:index/node:Node" && r.inputs.name === "west-external",
        (inputs) => ({ ...inputs, meta: { "external-probe": "false" } }),
      );
      assert.deepEqual(rules(consulFindings(broken)), ["consul/check/no-owner", "consul/dns/no-answer"]);
    });

    it("reaping on (deregister_critical_service_after 60s): consul-esm would deregister a slow starter; 60s comes back 1m0s, so the applier rewrites it on every pass", () => {
      const broken = withRegistration(dev, "east", "session-recorder-1", (r) => ({
        ...r,
        Checks: r.Checks.map((c) => ({ ...c, Definition: { ...c.Definition, DeregisterCriticalServiceAfter: "60s" } })),
      }));
      const findings = consulFindings(broken);
      assert.deepEqual(rules(findings), [
        "consul/applier/not-converged",
        "consul/consul-esm/reaps-declared-registration",
      ]);
      assert.match(
        findings.find((f) => f.rule === "consul/applier/not-converged")!.message,
        /a second pass writes again \(register session-recorder-1\)/,
      );
    });

    it("the app port in the catalog: Envoy dials the sidecar port, the registration says another", () => {
      const broken = withRegistration(dev, "west", "blockchain-anchor-1", (r) => ({
        ...r,
        Service: { ...r.Service, Port: 8084 },
      }));
      const findings = consulFindings(broken);
      assert.deepEqual(rules(findings), ["consul/dns/port-mismatch"]);
      assert.match(findings[0]!.message, /registered on port 8084, but Envoy dials port 15001/);
    });

    it("a registration under a host name: Consul answers a CNAME it cannot resolve", () => {
      const broken = withRegistration(dev, "west", "blockchain-anchor-1", (r) => ({
        ...r,
        Service: { ...r.Service, Address: "west-blockchain-anchor-1" },
      }));
      const findings = consulFindings(broken);
      assert.deepEqual(rules(findings), ["consul/dns/no-answer"]);
      assert.match(findings[0]!.message, /host names \(west-blockchain-anchor-1\)/);
    });

    it("a payload entry Consul refuses fails the render with Consul's message: a service-resolver redirecting to a peer without a service (config_entry_discoverychain.go)", () => {
      const broken = withConfigEntries(dev, "east", (e) =>
        e.Kind === "exported-services"
          ? {
              Kind: "service-resolver",
              Name: "session-processor",
              ConnectTimeout: "0.25s",
              Redirect: { Peer: "west" },
            }
          : e,
      );
      const findings = consulFindings(broken);
      // The pass stops at the refusal, so east's registrations wait for the next pass: DNS answers nothing there.
      assert.deepEqual(rules(findings), ["consul/dns/no-answer", "consul/service-resolver/validate"]);
      assert.match(
        findings.find((f) => f.rule === "consul/service-resolver/validate")!.message,
        /consul-applier: Consul refused: .*Redirect\.Peer defined without Redirect\.Service/,
      );
    });

    it("intentions not in Consul's order never match what Consul returns: the applier rewrites them on every pass (normalize sorts by precedence)", () => {
      const unsorted = withConfigEntries(dev, "east", (e) =>
        e.Kind === "service-intentions" && e.Name === "session-recorder"
          ? {
              ...e,
              Sources: [{ Name: "*", Action: "deny", Precedence: 8, Type: "consul" }, ...(e.Sources as JsonValue[])],
            }
          : e,
      );
      const findings = consulFindings(unsorted);
      assert.deepEqual(rules(findings), ["consul/applier/not-converged"]);
      assert.match(findings[0]!.message, /PUT \/v1\/config service-intentions\/session-recorder/);
    });

    it("what Consul adds (Precedence, Type) does not make the applier write again: it compares only what it declares", () => {
      const bare = withConfigEntries(dev, "east", (e) =>
        e.Kind === "service-intentions"
          ? {
              ...e,
              Sources: (e.Sources as Array<Record<string, JsonValue>>).map(({ Precedence, Type, ...rest }) => {
                void Precedence;
                void Type;
                return rest;
              }),
            }
          : e,
      );
      assert.deepEqual(consulFindings(bare), []);
    });

    it("a provider token that is not the management token cannot write the gateway's registration or ACLs", () => {
      const dnsToken = (
        JSON.parse(
          (
            dev.resources.find((r) => r.type === CONTAINER && r.name === "east-consul-server-0-files")!.inputs
              .uploads as Array<{
              file: string;
              content: string;
            }>
          ).find((u) => u.file === "/consul/config/secrets.json")!.content,
        ) as { acl: { tokens: { dns: string } } }
      ).acl.tokens.dns;
      const broken = changed(
        dev,
        (r) => r.type === "pulumi:providers:consul" && r.inputs.datacenter === "east",
        (inputs) => ({ ...inputs, token: dnsToken }),
      );
      const findings = consulFindings(broken);
      assert.deepEqual(rules(findings), ["consul/acl/provider-denied"]);
      assert.ok(findings.some((f) => /lacks permission 'service:write' on "mesh-gateway"/.test(f.message)));
      assert.ok(findings.some((f) => /lacks permission 'acl:write'/.test(f.message)));
    });
  });

  describe("run-time registrations (simulate/catalog.ts) are in the catalog, with their own check owner", () => {
    const registrar: RuntimeRegistrar = () => [
      {
        datacenter: "east",
        node: "k8s-sync",
        nodeAddress: "127.0.0.1",
        serviceId: "session-recorder-pod-a",
        serviceName: "session-recorder",
        address: "10.1.0.7",
        port: 15001,
        tags: [],
        meta: {},
        checks: [
          { checkId: "ready", name: "Kubernetes Readiness Check", status: "passing", owner: "consul-k8s catalog sync" },
        ],
        registrar: "consul-k8s catalog sync (test)",
      },
      {
        datacenter: "east",
        node: "k8s-sync",
        nodeAddress: "127.0.0.1",
        serviceId: "session-recorder-pod-b",
        serviceName: "session-recorder",
        address: "10.1.0.8",
        port: 15001,
        tags: [],
        meta: {},
        checks: [
          {
            checkId: "ready",
            name: "Kubernetes Readiness Check",
            status: "critical",
            owner: "consul-k8s catalog sync",
          },
        ],
        registrar: "consul-k8s catalog sync (test)",
      },
    ];
    before(() => runtimeRegistrars.push(registrar));
    after(() => runtimeRegistrars.splice(runtimeRegistrars.indexOf(registrar), 1));

    it("answers the ready pod, never the unready one, and consul-esm does not touch their checks", () => {
      const view = consulView(dev);
      const { catalog, refused } = runChecks(registeredCatalog(dev, view), view);
      assert.deepEqual(refused, []);
      const answers = dnsLookup(catalog, view.byDatacenter("east")!, "session-recorder").map(
        (a) => a.instance.serviceId,
      );
      assert.deepEqual(answers.sort(), ["session-recorder-1", "session-recorder-pod-a"]);
      const podB = catalog.find((i) => i.serviceId === "session-recorder-pod-b")!;
      assert.equal(podB.checks[0]!.status, "critical");
    });
  });

  describe("Prometheus' metrics token (dev with Prometheus)", () => {
    let withPrometheus: Deployment;
    before(async function () {
      this.timeout(300_000);
      const raw = rawStackConfig("dev");
      raw["observability"] = { ...(raw["observability"] as object), prometheus: true };
      withPrometheus = await deploymentOf(simulateMesh("dev", raw));
    });

    it("may read every server's /v1/agent/metrics", () => {
      const view = consulView(withPrometheus);
      assert.deepEqual([...view.prometheusToken.keys()].sort(), ["east", "west"]);
      assert.deepEqual(consulFindings(withPrometheus), []);
    });

    it("is denied when its policy does not cover the server node names (agent:read)", () => {
      const broken = changed(
        withPrometheus,
        (r) =>
          r.type === "consul:index/aclPolicy:AclPolicy" &&
          r.inputs.name === "lucid-prometheus" &&
          r.urn.includes("east"),
        (inputs) => ({ ...inputs, rules: 'agent_prefix "consul-" {\n  policy = "read"\n}\n' }),
      );
      const findings = consulFindings(broken);
      assert.deepEqual(rules(findings), ["consul/acl/prometheus-denied"]);
      assert.match(findings[0]!.message, /lacks permission 'agent:read' on "east-consul-0"/);
    });
  });
});
