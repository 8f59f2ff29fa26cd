/**
 * The prod stack against the Kubernetes model (simulate/kubernetes/): kubelet's file ownership, the reachability
 * of every address handed to Pulumi or another cluster, consul-k8s catalog sync's per-pod registrations, the
 * Consul servers picking up a renewed certificate, and what `pulumi destroy` deletes. Each rule has a negative
 * test on a copy of the recorded resources changed the way the old code declared them.
 */
import { strict as assert } from "node:assert";
import { X509Certificate } from "node:crypto";
import { catalogSyncPolicy } from "../../consul/catalogSyncAcl";
import { consulPorts } from "../../consul/names";
import { servicesInCluster, type Mesh } from "../../model";
import { runtimeRegistrations } from "../../simulate/catalog";
import {
  CATALOG_SYNC_REGISTRAR,
  catalogServiceId,
  catalogSyncRegistrations,
  READINESS_CHECK_NAME,
} from "../../simulate/kubernetes/catalogSync";
import { destroyPlan, teamWorkloadsDestroyed } from "../../simulate/kubernetes/destroy";
import { referencedVariables, undefinedVariables } from "../../simulate/kubernetes/expansion";
import { canRead, FILE_ACCESS_SOURCE, unreadableFiles } from "../../simulate/kubernetes/fileAccess";
import { unreachableAddresses } from "../../simulate/kubernetes/reachability";
import {
  aclBootstrapAfterChange,
  autoReloadOnSymlinks,
  serversAfterChange,
  tlsFilesNeverWritten,
} from "../../simulate/kubernetes/serverReload";
import { kubernetesSystem } from "../../simulate/kubernetes";
import type { RecordedResource } from "../../simulate/recorder";
import { planFromResources } from "../../cli/render/plan";
import { simulateMesh, simulateStack, type SimulatedStack } from "../../simulate/stack";
import type { Deployment } from "../../simulate/system";
import { PROJECT_DIR, kubernetesSettings, rawMeshConfig, stackMesh } from "../helpers/stacks";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- recorded inputs are untyped JSON

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const PATCH = "kubernetes:apps/v1:DeploymentPatch";
const STATEFUL_SET = "kubernetes:apps/v1:StatefulSet";
const SERVICE = "kubernetes:core/v1:Service";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";

function deploymentOf(stack: SimulatedStack, resources?: RecordedResource[]): Deployment {
  return { resources: resources ?? stack.recorder.resources, outputsOf: (urn) => stack.recorder.outputs.get(urn) };
}

/** A deep copy of the recorded resources with one resource's inputs changed. */
function edited(
  resources: readonly RecordedResource[],
  pick: (r: RecordedResource) => boolean,
  change: (inputs: Obj) => void,
): RecordedResource[] {
  let hit = 0;
  const out = resources.map((r) => {
    if (!pick(r)) return r;
    hit++;
    const inputs = structuredClone(r.inputs) as Obj;
    change(inputs);
    return { ...r, inputs, redactedInputs: inputs };
  });
  assert.ok(hit > 0, "the edit matched no resource");
  return out;
}

const labelOf = (r: RecordedResource, key: string): string | undefined =>
  (r.inputs.metadata as Obj | undefined)?.labels?.[key];
const nameOf = (r: RecordedResource): string => (r.inputs.metadata as Obj).name;

describe("kubernetes model: the prod stack", function () {
  let stack: SimulatedStack;
  let mesh: Mesh;

  before(async function () {
    this.timeout(120_000);
    mesh = stackMesh("prod");
    stack = await simulateStack(PROJECT_DIR, "prod");
  });

  it("finds nothing the real systems would refuse in the prod render", () => {
    assert.deepEqual(kubernetesSystem.check?.(deploymentOf(stack)), []);
  });

  describe("kubelet file access (kubernetes/kubernetes pkg/volume/secret/secret.go, pkg/volume/volume_linux.go)", () => {
    it("reads a 0440 root-owned file only as root; fsGroup gives it to the group", () => {
      assert.equal(canRead({ path: "key.pem", mode: 0o440, uid: 0, gid: 0 }, { uid: 101, groups: [101] }), false);
      assert.equal(canRead({ path: "key.pem", mode: 0o440, uid: 0, gid: 101 }, { uid: 101, groups: [101] }), true);
      assert.equal(canRead({ path: "cfg", mode: 0o644, uid: 0, gid: 0 }, { uid: 101, groups: [101] }), true);
    });

    it("every container that mounts a secret can read each of its files, team patches included", () => {
      const workloads = stack.recorder.resources.filter((r) => [DEPLOYMENT, PATCH, STATEFUL_SET].includes(r.type));
      const withSecrets = workloads.filter((w) =>
        ((w.inputs.spec as Obj).template.spec.volumes ?? []).some((v: Obj) => v.secret || v.projected),
      );
      assert.ok(
        withSecrets.some((w) => w.type === PATCH),
        "a patched team Deployment mounts the Envoy secrets",
      );
      assert.deepEqual(unreadableFiles(stack.recorder.resources), []);
      for (const patch of stack.recorder.ofType(PATCH)) {
        assert.equal((patch.inputs.spec as Obj).template.spec.securityContext.fsGroup, 101, patch.name);
      }
    });

    it("refuses the sidecar pods without fsGroup: Envoy (uid 101) cannot open its 0440 certificate and key", () => {
      const old = edited(
        stack.recorder.resources,
        (r) => r.type === PATCH,
        (inputs) => delete inputs.spec.template.spec.securityContext,
      );
      const findings = unreadableFiles(old);
      assert.ok(findings.length > 0);
      assert.ok(findings.every((f) => f.source === FILE_ACCESS_SOURCE));
      const keyFinding = findings.find((f) => f.message.includes("/etc/envoy-secrets/key.pem"));
      assert.ok(keyFinding, findings.map((f) => f.message).join("\n"));
      assert.match(keyFinding.message, /uid 101.*permission denied.*0:0 mode 0440, no fsGroup/);
    });
  });

  describe("addresses handed to Pulumi and to the other cluster", () => {
    const providers = () => stack.recorder.ofType("pulumi:providers:consul");

    it("gives each cluster's consul.Provider its own reserved API address, bound to an API LoadBalancer", () => {
      const addresses = providers().map((p) => p.inputs.address as string);
      assert.deepEqual(
        [...addresses].sort(),
        mesh.clusters.map((c) => `https://${kubernetesSettings(c).consulApiAddress}:${consulPorts.https}`).sort(),
      );
      assert.equal(new Set(addresses).size, addresses.length);
      const apis = stack.recorder.ofType(SERVICE).filter((s) => nameOf(s) === "consul-server-api");
      assert.equal(apis.length, mesh.clusters.length);
      for (const api of apis) {
        const cluster = mesh.clusters.find((c) => c.name === labelOf(api, "lucid.mesh/cluster"))!;
        assert.equal((api.inputs.spec as Obj).type, "LoadBalancer");
        assert.equal((api.inputs.spec as Obj).loadBalancerIP, kubernetesSettings(cluster).consulApiAddress);
        assert.deepEqual(
          (api.inputs.spec as Obj).ports.map((p: Obj) => p.port),
          [consulPorts.https],
        );
        assert.equal((api.inputs.metadata as Obj).annotations["networking.gke.io/load-balancer-type"], "Internal");
      }
    });

    it("puts the API address in each cluster's Consul server certificate (IP SAN)", () => {
      for (const cluster of mesh.clusters) {
        const cert = stack.recorder.resources.find(
          (r) =>
            r.type === "tls:index/locallySignedCert:LocallySignedCert" && r.name === `${cluster.name}-consul-server`,
        );
        const pem = stack.recorder.outputs.get(cert!.urn)?.certPem as string;
        const sans = new X509Certificate(pem).subjectAltName ?? "";
        assert.match(
          sans,
          new RegExp(`IP Address:${kubernetesSettings(cluster).consulApiAddress.replace(/\./g, "\\.")}`),
        );
      }
    });

    it("refuses the old in-cluster provider address: one name for both clusters, resolvable only inside one", () => {
      const old = edited(
        stack.recorder.resources,
        (r) => r.type === "pulumi:providers:consul",
        (inputs) => (inputs.address = "https://consul-server.lucid-mesh.svc:8501"),
      );
      const rules = unreachableAddresses(deploymentOf(stack, old)).map((f) => `${f.rule}: ${f.message}`);
      assert.ok(
        rules.some(
          (r) => r.startsWith("kubernetes/reachability/consul-provider:") && r.includes("only inside a cluster"),
        ),
      );
      assert.ok(rules.some((r) => r.startsWith("kubernetes/reachability/consul-provider-distinct")));
      assert.ok(
        rules.some(
          (r) => r.includes("x509: certificate is valid for") && r.includes("not consul-server.lucid-mesh.svc"),
        ),
      );
    });

    it("refuses an API address missing from the server certificate", () => {
      const old = edited(
        stack.recorder.resources,
        (r) => r.type === "tls:index/certRequest:CertRequest" && r.name === "east-consul-server-csr",
        (inputs) => (inputs.ipAddresses = ["127.0.0.1"]),
      );
      const findings = unreachableAddresses(deploymentOf(stack, old));
      assert.deepEqual(
        findings.map((f) => f.rule),
        ["kubernetes/reachability/consul-provider-san"],
      );
      assert.match(findings[0]!.message, /not 10\.10\.0\.50/);
    });

    it("binds the peering and gateway LoadBalancers to the reserved addresses the other cluster dials", () => {
      for (const cluster of mesh.clusters) {
        const lb = (name: string) =>
          stack.recorder
            .ofType(SERVICE)
            .find((s) => nameOf(s) === name && labelOf(s, "lucid.mesh/cluster") === cluster.name)!;
        assert.equal((lb("consul-server-peering").inputs.spec as Obj).loadBalancerIP, cluster.consul.peeringAddress);
        assert.equal((lb("mesh-gateway").inputs.spec as Obj).loadBalancerIP, cluster.gateway.wanAddress);
      }
      const tokens = stack.recorder.ofType("consul:index/peeringToken:PeeringToken");
      assert.ok(tokens.length > 0);
      // Each provider (and so each token it issues) waits for its cluster's API and peering LoadBalancers, which
      // pulumi-kubernetes creates only once the cloud has given them their address.
      for (const p of providers()) {
        const cluster = p.name.replace(/-consul-provider$/, "");
        for (const lb of ["consul-server-api", "consul-server-peering"]) {
          const service = stack.recorder
            .ofType(SERVICE)
            .find((s) => nameOf(s) === lb && labelOf(s, "lucid.mesh/cluster") === cluster)!;
          assert.ok(p.dependencies.includes(service.urn), `${p.name} waits for ${lb}`);
        }
      }
    });

    it("refuses peering and gateway LoadBalancers that nothing binds to the address handed out", () => {
      const old = edited(
        stack.recorder.resources,
        (r) => r.type === SERVICE && ["consul-server-peering", "mesh-gateway"].includes(nameOf(r)),
        (inputs) => delete inputs.spec.loadBalancerIP,
      );
      // The awaited (cloud-picked) address differs from the configured one, as the old code's unbound LB would.
      const outputsOf = (urn: string) => {
        const r = old.find((x) => x.urn === urn);
        if (r?.type === SERVICE && ["consul-server-peering", "mesh-gateway"].includes(nameOf(r))) {
          return { status: { loadBalancer: { ingress: [{ ip: "203.0.113.9" }] } } };
        }
        return stack.recorder.outputs.get(urn);
      };
      const rules = unreachableAddresses({ resources: old, outputsOf }).map((f) => f.rule);
      assert.ok(rules.includes("kubernetes/reachability/peering-address"), rules.join(", "));
      assert.ok(rules.includes("kubernetes/reachability/gateway-wan-address"), rules.join(", "));
    });

    it("refuses a peering token naming a host no LoadBalancer holds (the old DNS-name config)", () => {
      const old = edited(
        stack.recorder.resources,
        (r) => r.type === "consul:index/peeringToken:PeeringToken",
        (inputs) => (inputs.serverExternalAddresses = ["consul-peering.east.lucid.example.com:8503"]),
      );
      const findings = unreachableAddresses(deploymentOf(stack, old));
      assert.ok(findings.some((f) => f.rule === "kubernetes/reachability/peering-address"));
    });
  });

  describe("consul-k8s catalog sync (hashicorp/consul-k8s control-plane/catalog/to-consul/resource.go)", () => {
    it("runs a pinned control-plane image of 1.7 or later, read-only against Kubernetes", () => {
      const sync = stack.recorder
        .ofType(DEPLOYMENT)
        .filter((d) => labelOf(d, "lucid.mesh/role") === "consul-catalog-sync");
      assert.equal(sync.length, mesh.clusters.length);
      for (const d of sync) {
        const container = (d.inputs.spec as Obj).template.spec.containers[0];
        const [, version] = /:(\d+\.\d+)\.\d+$/.exec(container.image as string) ?? [];
        assert.ok(Number(version) >= 1.7, container.image);
        assert.ok(container.command.includes("-to-k8s=false"));
        assert.ok(container.command.includes("-k8s-default-sync=false"));
      }
      for (const role of stack.recorder.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")) {
        for (const rule of role.inputs.rules as Obj[]) {
          assert.deepEqual(
            (rule.verbs as string[]).filter((v) => !["get", "list", "watch"].includes(v)),
            [],
          );
        }
      }
    });

    it("registers each pod at the sidecar port with a Kubernetes Readiness Check it owns", () => {
      const registrations = catalogSyncRegistrations(deploymentOf(stack));
      for (const cluster of mesh.clusters) {
        for (const service of servicesInCluster(mesh, cluster.name)) {
          const mine = registrations.filter(
            (r) => r.datacenter === cluster.datacenter && r.serviceName === service.name,
          );
          assert.equal(mine.length, service.instances, `${cluster.name}/${service.name}`);
          assert.equal(new Set(mine.map((r) => r.address)).size, service.instances, "one address per pod");
          for (const r of mine) {
            assert.equal(r.port, mesh.sidecar.proxyPort);
            assert.equal(r.node, "k8s-sync");
            assert.equal(r.serviceId, catalogServiceId(service.name, r.address));
            assert.deepEqual(r.tags, ["k8s", ...service.tags]);
            assert.equal(r.meta["lucid-mesh-cluster"], cluster.name);
            assert.equal(r.meta["external-source"], "kubernetes");
            assert.deepEqual(
              r.checks.map((c) => [c.name, c.status, c.owner]),
              [[READINESS_CHECK_NAME, "passing", r.registrar]],
            );
            assert.ok(r.checks[0]!.checkId.endsWith(`/${r.serviceId}`));
          }
        }
      }
      // The Consul model reads them through the contract in simulate/catalog.ts.
      assert.deepEqual(
        runtimeRegistrations(deploymentOf(stack)).filter((r) => r.registrar === CATALOG_SYNC_REGISTRAR),
        registrations,
      );
    });

    it("leaves no Pulumi registration per instance on Kubernetes: only the gateway's", () => {
      const services = stack.recorder.ofType("consul:index/service:Service").map((s) => s.inputs.name);
      assert.deepEqual([...new Set(services)], ["mesh-gateway"]);
    });

    it("registers nothing for a Service without the sync annotation (-k8s-default-sync=false)", () => {
      const old = edited(
        stack.recorder.resources,
        (r) => r.type === SERVICE && nameOf(r) === "session-api-mesh",
        (inputs) => delete inputs.metadata.annotations["consul.hashicorp.com/service-sync"],
      );
      const names = catalogSyncRegistrations(deploymentOf(stack, old)).map((r) => r.serviceName);
      assert.ok(!names.includes("session-api"));
      assert.ok(names.includes("api-gateway"));
    });

    it("gives catalog sync its own token: its node and the mesh's services, nothing wider", () => {
      const rules = catalogSyncPolicy(mesh, mesh.clusters[0]!).rules;
      assert.match(rules, /node "k8s-sync" \{\n {2}policy = "write"/);
      assert.doesNotMatch(rules, /service_prefix/);
      for (const service of servicesInCluster(mesh, "east")) assert.ok(rules.includes(`service "${service.name}"`));
    });
  });

  describe("Consul servers", () => {
    const servers = () => stack.recorder.ofType(STATEFUL_SET);

    it("advertise the pod IP from the downward API, as consul-k8s does", () => {
      for (const s of servers()) {
        const container = (s.inputs.spec as Obj).template.spec.containers[0];
        assert.ok(container.command.includes("-advertise=$(POD_IP)"));
        assert.deepEqual(container.env, [{ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }]);
      }
    });

    it("refuses $(POD_IP) without a POD_IP env var: kubelet passes an undefined reference on literally", () => {
      assert.deepEqual(referencedVariables("-advertise=$(POD_IP) $$(ESCAPED) $$$(X)"), ["POD_IP", "X"]);
      assert.deepEqual(undefinedVariables(stack.recorder.resources), []);
      const old = edited(
        stack.recorder.resources,
        (r) => r.type === STATEFUL_SET,
        (inputs) => delete inputs.spec.template.spec.containers[0].env,
      );
      const findings = undefinedVariables(old);
      assert.equal(findings.length, mesh.clusters.length);
      assert.match(findings[0]!.message, /\$\(POD_IP\) in "-advertise=\$\(POD_IP\)" is not defined/);
    });

    const consulContainer = (inputs: Obj): Obj =>
      inputs.spec.template.spec.containers.find((c: Obj) => c.name === "consul");

    it("watches regular files: auto_reload_config is on and the TLS files come from an emptyDir, not the Secret", () => {
      assert.deepEqual(autoReloadOnSymlinks(stack.recorder.resources), []);
      assert.deepEqual(tlsFilesNeverWritten(stack.recorder.resources), []);
      for (const s of stack.recorder.ofType(STATEFUL_SET)) {
        const spec = (s.inputs.spec as Obj).template.spec;
        const tls = consulContainer(s.inputs).volumeMounts.find((m: Obj) => m.mountPath === "/consul/tls");
        assert.deepEqual(spec.volumes.find((v: Obj) => v.name === tls.name).emptyDir, {
          medium: "Memory",
          sizeLimit: "1Mi",
        });
        assert.deepEqual(
          spec.initContainers.map((c: Obj) => c.name),
          ["tls-copy-init"],
        );
      }
      const config = stack.recorder.ofType(CONFIG_MAP).filter((r) => nameOf(r) === "consul-server-config");
      assert.equal(config.length, mesh.clusters.length);
      for (const c of config)
        assert.deepEqual(JSON.parse((c.inputs.data as Obj)["auto-reload.json"]), { auto_reload_config: true });
    });

    it("refuses auto_reload_config on the Secret's own files: Consul's watcher rejects kubelet's symlinks", () => {
      // The old pod: Consul mounts the TLS Secret itself at /consul/tls.
      const old = edited(
        stack.recorder.resources,
        (r) => r.type === STATEFUL_SET,
        (inputs) => {
          const tls = consulContainer(inputs).volumeMounts.find((m: Obj) => m.mountPath === "/consul/tls");
          tls.name = "tls-source";
        },
      );
      const findings = autoReloadOnSymlinks(old);
      assert.deepEqual(findings.map((f) => f.message).sort(), [
        "symbolic link are not supported /consul/tls/server-key.pem",
        "symbolic link are not supported /consul/tls/server-key.pem",
        "symbolic link are not supported /consul/tls/server.pem",
        "symbolic link are not supported /consul/tls/server.pem",
      ]);
      assert.ok(findings.every((f) => f.source.includes("agent/config/file_watcher.go")));
    });

    it("accepts the config directory mounted whole: the mount point is a directory, not one of kubelet's links", () => {
      const command = consulContainer(stack.recorder.ofType(STATEFUL_SET)[0]!.inputs).command as string[];
      assert.ok(command.includes("-config-dir=/consul/config"));
      // The same directory given as a file below a projected volume is a symlink, and refused.
      const old = edited(
        stack.recorder.resources,
        (r) => r.type === STATEFUL_SET,
        (inputs) => {
          const c = consulContainer(inputs);
          c.command = [...c.command, "-config-file=/consul/config/server.json"];
        },
      );
      assert.ok(
        autoReloadOnSymlinks(old).some(
          (f) => f.message === "symbolic link are not supported /consul/config/server.json",
        ),
      );
    });

    it("refuses an emptyDir no init container fills: Consul cannot open its certificate at start", () => {
      const old = edited(
        stack.recorder.resources,
        (r) => r.type === STATEFUL_SET,
        (inputs) => delete inputs.spec.template.spec.initContainers,
      );
      const findings = tlsFilesNeverWritten(old);
      assert.equal(findings.length, 2 * mesh.clusters.length);
      assert.match(findings[0]!.message, /^open \/consul\/tls\/server-key\.pem: no such file or directory/);
    });

    it("pick up a renewed server certificate by reloading, with no pod restarted", async function () {
      this.timeout(120_000);
      // A second run issues new keys and certificates, as a renewal does.
      const renewed = await simulateStack(PROJECT_DIR, "prod");
      assert.deepEqual(serversAfterChange(stack.recorder.resources, renewed.recorder.resources), {
        east: "reload",
        west: "reload",
      });
      for (const s of renewed.recorder.ofType(STATEFUL_SET)) {
        const before = stack.recorder.resources.find((r) => r.urn === s.urn)!;
        assert.deepEqual((s.inputs.spec as Obj).template, (before.inputs.spec as Obj).template, "same pod template");
      }
      // Without the copier beside Consul the init container's copies never change: stale.
      const noFollower = (rs: readonly RecordedResource[]) =>
        edited(
          rs,
          (r) => r.type === STATEFUL_SET,
          (inputs) => {
            const spec = inputs.spec.template.spec;
            spec.containers = spec.containers.filter((c: Obj) => c.name !== "tls-copy");
          },
        );
      assert.deepEqual(
        serversAfterChange(noFollower(stack.recorder.resources), noFollower(renewed.recorder.resources)),
        {
          east: "stale",
          west: "stale",
        },
      );
      // A template that still carries the certificate (the old checksum) rolls the servers: a restart.
      const withCertificate = (rs: readonly RecordedResource[], pem: string) =>
        edited(
          rs,
          (r) => r.type === STATEFUL_SET,
          (inputs) => (inputs.spec.template.metadata.annotations["lucid.mesh/config-checksum"] = pem),
        );
      assert.deepEqual(
        serversAfterChange(
          withCertificate(stack.recorder.resources, "old"),
          withCertificate(renewed.recorder.resources, "new"),
        ),
        { east: "rolling-restart", west: "rolling-restart" },
      );
    });

    it("reloads a log_level change; a start-only change under an unchanged template is stale", () => {
      const changeConfig = (change: (config: Obj) => void) =>
        edited(
          stack.recorder.resources,
          (r) =>
            r.type === CONFIG_MAP &&
            nameOf(r) === "consul-server-config" &&
            labelOf(r, "lucid.mesh/cluster") === "east",
          (inputs) => {
            const config = JSON.parse(inputs.data["server.json"]);
            change(config);
            inputs.data["server.json"] = JSON.stringify(config);
          },
        );
      const debug = changeConfig((c) => (c.log_level = "DEBUG"));
      assert.deepEqual(serversAfterChange(stack.recorder.resources, debug), { east: "reload", west: "unchanged" });
      // A start-only key with the template unchanged: nothing applies it.
      const bootstrap = changeConfig((c) => (c.bootstrap_expect = 5));
      assert.deepEqual(serversAfterChange(stack.recorder.resources, bootstrap), { east: "stale", west: "unchanged" });
    });
  });

  describe("ACL policies reach Consul", () => {
    it("reruns the ACL bootstrap when a policy changes: the Job's template carries the files' checksum", async function () {
      this.timeout(120_000);
      // One more service in east changes catalog sync's policy there, and nothing in west.
      const raw = rawMeshConfig("prod") as Obj;
      raw.services.push({ name: "ledger", port: 8090, clusters: ["east"], image: "ghcr.io/lucid/ledger:1.0.0" });
      raw.intentions.push({ source: "api-gateway", destination: "ledger", action: "allow" });
      const changed = await simulateMesh("prod", raw);
      const outcome = aclBootstrapAfterChange(stack.recorder.resources, changed.recorder.resources);
      assert.deepEqual(outcome, { east: "rerun", west: "unchanged" });
      // The old Job template (no checksum): the ConfigMap changes, the completed Job never runs again.
      const strip = (rs: readonly RecordedResource[]) =>
        edited(
          rs,
          (r) => r.type === "kubernetes:batch/v1:Job",
          (inputs) => delete inputs.spec.template.metadata.annotations,
        );
      assert.deepEqual(aclBootstrapAfterChange(strip(stack.recorder.resources), strip(changed.recorder.resources)), {
        east: "stale",
        west: "unchanged",
      });
    });
  });

  describe("team workloads (pulumi/pulumi-kubernetes provider/pkg/await/await.go Deletion)", () => {
    it("patches team Deployments in their own namespaces and names the mesh Service apart from the team's", () => {
      for (const service of mesh.services.filter((s) => !s.image)) {
        const patches = stack.recorder.ofType(PATCH).filter((p) => nameOf(p) === service.deployment);
        assert.ok(patches.length > 0);
        for (const p of patches) assert.equal((p.inputs.metadata as Obj).namespace, service.kubernetesNamespace);
      }
      // The edge's public `<service>-edge` Service (issue 18) also selects sidecars; it is not registered in Consul.
      const meshServices = stack.recorder
        .ofType(SERVICE)
        .filter((s) => labelOf(s, "lucid.mesh/role") === "sidecar" && !nameOf(s).endsWith("-edge"));
      for (const s of meshServices) assert.match(nameOf(s), /-mesh$/);
    });

    it("destroying the mesh deletes only its own namespace and gives the patched fields back (from plan.json)", () => {
      const rendered = planFromResources(stack.recorder.resources, {
        project: "lucid-mesh",
        stack: "prod",
        environment: "prod",
      });
      const plan = destroyPlan(rendered.resources);
      assert.deepEqual([...new Set(plan.namespaces)], ["lucid-mesh"]);
      for (const service of mesh.services.filter((s) => !s.image)) {
        const team = `Deployment ${service.kubernetesNamespace}/${service.deployment}`;
        assert.ok(plan.relinquished.includes(team), team);
        assert.ok(!plan.deleted.includes(team), team);
      }
      assert.deepEqual(teamWorkloadsDestroyed(stack.recorder.resources), []);
    });

    it("refuses a team Deployment patched in the mesh's namespace (the old layout)", () => {
      const old = edited(
        stack.recorder.resources,
        (r) => r.type === PATCH,
        (inputs) => (inputs.metadata.namespace = "lucid-mesh"),
      );
      const findings = teamWorkloadsDestroyed(old);
      assert.ok(findings.length > 0);
      assert.match(findings[0]!.message, /pulumi destroy deletes namespace lucid-mesh/);
      assert.ok(destroyPlan(old).deleted.some((d) => d.startsWith("Deployment lucid-mesh/blockchain-core")));
    });
  });
});
