import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { PROMETHEUS_IMAGE, Prometheus } from "../../components/platform/prometheus";
import { alertRulesYaml, prometheusConfigYaml } from "../../observability";
import {
  settle,
  startSimulation,
  valueOf,
  type RecordedResource,
  type ResourceRecorder,
} from "../../simulate/recorder";
import { stackMesh } from "./helpers";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const TOKENS = { east: "token-east-6c1f", west: "token-west-9a2b" };
const withPrometheus = (raw: Record<string, unknown>): void => {
  raw.observability = { ...(raw.observability as object), prometheus: true };
};

describe("observability: Prometheus component (mocks)", () => {
  let recorder: ResourceRecorder;
  let dockerUrl: string;
  let k8sUrls: Record<string, string>;
  const dev = stackMesh("dev", withPrometheus);
  const prod = stackMesh("prod", withPrometheus);

  before(async () => {
    recorder = await startSimulation({ stack: "test" });
    const docker = new Prometheus("dev-prometheus", {
      mesh: dev,
      // One token marked secret, one plain: both must end up secret.
      consulMetricsTokens: { east: pulumi.secret(TOKENS.east), west: TOKENS.west },
      caCertificatePem: CA,
      dockerNetworks: { east: "lucid-mesh-east", west: "lucid-mesh-west" },
    });
    const k8s = new Prometheus("prod-prometheus", {
      mesh: prod,
      consulMetricsTokens: { east: pulumi.secret(TOKENS.east), west: pulumi.secret(TOKENS.west) },
      caCertificatePem: CA,
    });
    await settle();
    dockerUrl = await valueOf(docker.url);
    k8sUrls = await valueOf(k8s.urls);
  });

  const container = (): RecordedResource => {
    const found = recorder.ofType("docker:index/container:Container").filter((r) => r.name === "dev-prometheus");
    assert.equal(found.length, 1);
    return found[0]!;
  };
  const k8sObjects = (type: string): RecordedResource[] =>
    recorder.ofType(type).filter((r) => r.name.startsWith("prod-prometheus"));

  it("refuses to run when observability.prometheus is off", () => {
    assert.throws(
      () => new Prometheus("off", { mesh: stackMesh("dev"), consulMetricsTokens: {}, caCertificatePem: CA }),
      /observability\.prometheus is false/,
    );
  });

  it("Docker: uploads exactly the generated files, the CA and one token per cluster", () => {
    const uploads = container().inputs.uploads as Array<{ file: string; content: string; permissions: string }>;
    const byFile = Object.fromEntries(uploads.map((u) => [u.file, u]));
    assert.deepEqual(Object.keys(byFile).sort(), [
      "/etc/prometheus/config/alerts.yml",
      "/etc/prometheus/config/mesh-ca.pem",
      "/etc/prometheus/config/prometheus.yml",
      "/etc/prometheus/secrets/consul-east.token",
      "/etc/prometheus/secrets/consul-west.token",
    ]);
    assert.equal(byFile["/etc/prometheus/config/prometheus.yml"]!.content, prometheusConfigYaml(dev));
    assert.equal(byFile["/etc/prometheus/config/alerts.yml"]!.content, alertRulesYaml(dev));
    assert.equal(byFile["/etc/prometheus/secrets/consul-east.token"]!.content, TOKENS.east);
    assert.equal(byFile["/etc/prometheus/secrets/consul-west.token"]!.permissions, "0400");
  });

  it("Docker: the uploads carrying tokens are secret", () => {
    assert.ok(container().secretInputs.includes("uploads"));
  });

  it("Docker: pinned image, every cluster network, the prometheus role label, hardened", () => {
    const images = recorder
      .ofType("docker:index/remoteImage:RemoteImage")
      .filter((r) => r.name === "dev-prometheus-image");
    assert.equal(images[0]?.inputs.name, PROMETHEUS_IMAGE);
    assert.match(PROMETHEUS_IMAGE, /^prom\/prometheus:v3\.\d+\.\d+$/);
    const inputs = container().inputs;
    assert.equal(inputs.image, PROMETHEUS_IMAGE);
    assert.deepEqual(
      (inputs.networksAdvanced as Array<{ name: string }>).map((n) => n.name),
      ["lucid-mesh-east", "lucid-mesh-west"],
    );
    assert.deepEqual(
      (inputs.labels as Array<{ label: string; value: string }>).find((l) => l.label === "lucid.mesh/role")?.value,
      "prometheus",
    );
    assert.equal(inputs.readOnly, true);
    assert.deepEqual(inputs.capabilities, { drops: ["ALL"] });
    assert.match(dockerUrl, /^http:\/\/lucid-mesh-prometheus:9090$/);
  });

  it("Kubernetes: one Prometheus per cluster, with a URL each", () => {
    assert.deepEqual(Object.keys(k8sUrls).sort(), ["east", "west"]);
    assert.equal(k8sUrls.east, "http://lucid-mesh-prometheus.lucid-mesh.svc:9090");
    assert.equal(k8sObjects("kubernetes:apps/v1:Deployment").length, 2);
  });

  it("Kubernetes: the ConfigMap holds the generated files and no token; the Secret holds the token", () => {
    for (const cluster of ["east", "west"] as const) {
      const configMap = k8sObjects("kubernetes:core/v1:ConfigMap").find(
        (r) => r.name === `prod-prometheus-${cluster}-config`,
      )!;
      const data = configMap.inputs.data as Record<string, string>;
      assert.deepEqual(Object.keys(data).sort(), ["alerts.yml", "mesh-ca.pem", "prometheus.yml"]);
      assert.equal(data["prometheus.yml"], prometheusConfigYaml(prod, cluster));
      assert.equal(data["alerts.yml"], alertRulesYaml(prod));
      const text = JSON.stringify(configMap.inputs);
      for (const token of Object.values(TOKENS)) assert.ok(!text.includes(token), "token in a ConfigMap");
      assert.deepEqual(configMap.secretInputs, []);

      const secret = k8sObjects("kubernetes:core/v1:Secret").find(
        (r) => r.name === `prod-prometheus-${cluster}-tokens`,
      )!;
      assert.deepEqual(secret.inputs.stringData, { [`consul-${cluster}.token`]: TOKENS[cluster] });
      assert.ok(secret.secretInputs.includes("stringData"));
    }
  });

  it("negative: the token check would see a token put in a ConfigMap", () => {
    const leaked = JSON.stringify({ data: { "prometheus.yml": `credentials: ${TOKENS.east}` } });
    assert.ok(Object.values(TOKENS).some((t) => leaked.includes(t)));
  });

  it("Kubernetes: every object validates against the Kubernetes schema", () => {
    const validators: Record<string, (o: Record<string, unknown>) => void> = {
      "kubernetes:apps/v1:Deployment": (o) => new Deployment(o as never).validate(),
      "kubernetes:core/v1:ConfigMap": (o) => new ConfigMap(o as never).validate(),
      "kubernetes:core/v1:Secret": (o) => new Secret(o as never).validate(),
      "kubernetes:core/v1:Service": (o) => new Service(o as never).validate(),
      "kubernetes:core/v1:ServiceAccount": (o) => new ServiceAccount(o as never).validate(),
      "kubernetes:rbac.authorization.k8s.io/v1:Role": (o) => new Role(o as never).validate(),
      "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": (o) => new RoleBinding(o as never).validate(),
    };
    let checked = 0;
    for (const [type, validate] of Object.entries(validators)) {
      const objects = k8sObjects(type);
      assert.equal(objects.length, 2, type);
      for (const object of objects) {
        validate(object.inputs);
        checked++;
      }
    }
    assert.equal(checked, 14);
    assert.throws(() => new Deployment({ metadata: { name: "x" }, spec: { replicas: "one" } } as never).validate());
  });

  it("Kubernetes: the pod runs under the restricted profile with limits", () => {
    for (const deployment of k8sObjects("kubernetes:apps/v1:Deployment")) {
      const pod = new Deployment(deployment.inputs as never).spec!.template.spec!;
      assert.equal(pod.securityContext?.runAsNonRoot, true);
      assert.equal(pod.securityContext?.seccompProfile?.type, "RuntimeDefault");
      for (const c of pod.containers) {
        assert.equal(c.image, PROMETHEUS_IMAGE);
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
        assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
        assert.deepEqual(c.securityContext?.capabilities?.drop, ["ALL"]);
        assert.ok(c.resources?.limits?.cpu && c.resources.limits.memory);
      }
      assert.equal(
        (deployment.inputs.metadata as { labels: Record<string, string> }).labels["lucid.mesh/role"],
        "prometheus",
      );
    }
  });
});
