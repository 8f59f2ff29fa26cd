import { strict as assert } from "node:assert";
import { noPlaintextSecrets } from "../../rules/secrets/noPlaintextSecrets";
import {
  PEM_KEY,
  consulContainer,
  consulKubernetes,
  deployment,
  sidecarConfigMap,
  sidecarContainer,
} from "../fixtures/mesh";
import type { ResourceUnderTest } from "../../../simulate/policyRunner";
import { runStackPolicy } from "../../../simulate/policyRunner";

async function messages(resources: ResourceUnderTest[], config?: Record<string, unknown>): Promise<string[]> {
  return (await runStackPolicy(noPlaintextSecrets, resources, config ? { config } : {})).violations.map(
    (v) => v.message,
  );
}

const stack = (outputs: Record<string, unknown>): ResourceUnderTest => ({
  type: "pulumi:pulumi:Stack",
  name: "lucid-mesh-dev",
  props: outputs,
});

describe("lucid-secrets-no-plaintext-secrets", () => {
  it("passes keys under the secret paths, secrets.json, Kubernetes Secrets and harmless outputs", async () => {
    const resources = [
      sidecarContainer(),
      sidecarConfigMap(),
      consulContainer(),
      ...consulKubernetes(),
      deployment(),
      stack({ consulUiUrl: "https://10.10.1.10:8501", tokenAccessorCount: 3 }),
    ];
    assert.deepEqual(await messages(resources), []);
  });

  it("fails a private key uploaded outside the secret paths", async () => {
    const sidecar = sidecarContainer();
    (sidecar.props.uploads as Array<{ file: string; content: string }>).push({
      file: "/etc/envoy/key.pem",
      content: PEM_KEY,
    });
    assert.deepEqual(await messages([sidecar]), [
      "east-api-gateway-1-sidecar: upload /etc/envoy/key.pem holds a PEM private key outside the secret paths; upload it under /etc/envoy-secrets/ or /consul/tls/ or /consul/config/secrets.json.",
    ]);
  });

  it("fails Consul secrets in a ConfigMap", async () => {
    const [configMap] = consulKubernetes();
    (configMap!.props.data as Record<string, string>)["secrets.json"] = JSON.stringify({ encrypt: "abc" });
    assert.deepEqual(await messages([configMap!]), [
      "east-consul-server: ConfigMap key secrets.json holds the Consul gossip key (encrypt); move it to a Secret.",
    ]);
  });

  it("fails tokens in container env, Docker and Kubernetes", async () => {
    const sidecar = sidecarContainer();
    sidecar.props.envs = ["CONSUL_HTTP_TOKEN=8d4c9e1b-1f53-4a2b-9d1e-6f0f8a1b2c3d", "CONSUL_HTTP_TOKEN_FILE=/run/t"];
    const d = deployment();
    const spec = (d.props.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec;
    spec.containers[0]!.env = [
      { name: "API_TOKEN", value: "s3cr3t-v4lue" },
      { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
    ];
    assert.deepEqual(await messages([sidecar, d]), [
      "east-api-gateway-1-sidecar: container env CONSUL_HTTP_TOKEN holds a credential in plain text; read it from a secret (file or secretKeyRef).",
      "east-api-gateway: container app env API_TOKEN holds a credential in plain text; read it from a secret (file or secretKeyRef).",
    ]);
  });

  it("fails stack outputs that export a private key or a token", async () => {
    assert.deepEqual(await messages([stack({ root: { keyPem: PEM_KEY }, bootstrapToken: "8d4c9e1b-1f53" })]), [
      "lucid-mesh-dev: stack output root.keyPem exports a private key; stop exporting it.",
      "lucid-mesh-dev: stack output bootstrapToken looks like a credential; stop exporting it.",
    ]);
  });

  it("lets a configured cross-stack output carry a token, but never a private key, and no other output", async () => {
    const outputs = stack({ consulToken: "8d4c9e1b-1f53-4a2b", consulTokenCopy: "8d4c9e1b-1f53-4a2b" });
    assert.deepEqual(await messages([outputs], { crossStackOutputs: ["consulToken"] }), [
      "lucid-mesh-dev: stack output consulTokenCopy looks like a credential; stop exporting it.",
    ]);
    // Not configured: refused as before.
    assert.equal((await messages([stack({ consulToken: "8d4c9e1b-1f53-4a2b" })])).length, 1);
    assert.deepEqual(
      await messages([stack({ consulToken: { keyPem: PEM_KEY } })], { crossStackOutputs: ["consulToken"] }),
      ["lucid-mesh-dev: stack output consulToken.keyPem exports a private key; stop exporting it."],
    );
  });

  it("uses the configured secret paths", async () => {
    assert.equal((await messages([sidecarContainer()], { secretPaths: ["/run/secrets/"] })).length, 1);
  });
});
