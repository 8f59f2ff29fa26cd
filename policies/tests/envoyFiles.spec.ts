import { strict as assert } from "node:assert";
import { envoyFileSets } from "../../artifacts/envoy";
import type { RecordedResource } from "../../simulate/recorder";
import { recordedResource as recorded } from "../../tests/helpers/recorded";
import { envoyDocuments, envoyFilesOf, sdsDocuments } from "../lib/envoyArtifacts";
import { types } from "../lib/types";

const base64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

// The one reader of the resource contract's Envoy files (docs/ARCHITECTURE.md, "Envoy files").
describe("policy pack: envoyFilesOf reads the resource contract", () => {
  it("Docker: uploads under /etc/envoy and /etc/envoy-secrets, content or contentBase64, nothing else", () => {
    const files = envoyFilesOf({
      type: types.dockerContainer,
      props: {
        uploads: [
          { file: "/etc/envoy/bootstrap.yaml", content: "admin: {}" },
          { file: "/etc/envoy-secrets/certificate.yaml", contentBase64: base64("SDS") },
          { file: "/consul/config/server.json", content: "{}" },
          { file: "/etc/envoyish/listener.yaml", content: "x" },
          { file: "/etc/envoy/no-content.yaml" },
        ],
      },
    });
    assert.deepEqual(
      [...files],
      [
        ["/etc/envoy/bootstrap.yaml", "admin: {}"],
        ["/etc/envoy-secrets/certificate.yaml", "SDS"],
      ],
    );
  });

  it("Kubernetes: a ConfigMap's data at /etc/envoy, a Secret's values at /etc/envoy-secrets (stringData first)", () => {
    const configMap = envoyFilesOf({
      type: types.configMap,
      props: { data: { "listener.yaml": "resources: []", ignored: 7 } },
    });
    assert.deepEqual([...configMap], [["/etc/envoy/listener.yaml", "resources: []"]]);
    const secret = envoyFilesOf({
      type: types.secret,
      props: {
        stringData: { "certificate.yaml": "plain" },
        data: { "certificate.yaml": base64("encoded"), "trust-bundle.yaml": base64("root") },
      },
    });
    assert.deepEqual(
      [...secret],
      [
        ["/etc/envoy-secrets/certificate.yaml", "plain"],
        ["/etc/envoy-secrets/trust-bundle.yaml", "root"],
      ],
    );
    assert.equal(envoyFilesOf({ type: types.k8sService, props: { data: { "listener.yaml": "x" } } }).size, 0);
  });

  it("the rules' Envoy and SDS documents are those files, by name", () => {
    const input = {
      type: types.dockerContainer,
      name: "east-api-1-envoy-files",
      props: {
        uploads: [
          { file: "/etc/envoy/cluster.yaml", content: "resources: []" },
          { file: "/etc/envoy/edge-certificate.yaml", content: "resources: []" },
          { file: "/etc/envoy-secrets/certificate.yaml", content: "resources: []" },
          { file: "/etc/envoy-secrets/key.pem", content: "KEY" },
        ],
      },
    };
    assert.deepEqual([...envoyDocuments(input).keys()], ["cluster.yaml"]);
    assert.deepEqual([...sdsDocuments(input).keys()], ["certificate.yaml"]);
  });

  it("the render's file sets (artifacts/envoy.ts) hold exactly what envoyFilesOf reads", () => {
    const labels = (role: string, service?: string): Record<string, string> => ({
      "lucid.mesh/role": role,
      "lucid.mesh/cluster": "east",
      ...(service ? { "lucid.mesh/service": service } : {}),
    });
    const writer = recorded(types.dockerContainer, "east-api-1-envoy-files", {
      name: "east-api-1-envoy-files",
      labels: Object.entries(labels("envoy-config", "api")).map(([label, value]) => ({ label, value })),
      uploads: [
        { file: "/etc/envoy/bootstrap.yaml", content: "b" },
        { file: "/etc/envoy-secrets/key.pem", contentBase64: base64("KEY") },
        { file: "/usr/local/bin/move-files", content: "#!/bin/sh" },
      ],
    });
    const configMap = recorded(types.configMap, "api-envoy", {
      metadata: { name: "api-envoy", labels: labels("envoy-config", "api") },
      data: { "listener.yaml": "l" },
    });
    const secret = recorded(types.secret, "api-envoy-secrets", {
      metadata: { name: "api-envoy-secrets", labels: labels("sidecar", "api") },
      data: { "trust-bundle.yaml": base64("TRUST") },
    });
    const sets = envoyFileSets([writer, configMap, secret]);
    const of = (r: RecordedResource): Record<string, string> =>
      Object.fromEntries(envoyFilesOf({ type: r.type, props: r.inputs }));
    assert.deepEqual(
      sets.map((s) => s.files),
      [{ ...of(configMap), ...of(secret) }, of(writer)],
    );
    assert.deepEqual(sets[1]?.files, { "/etc/envoy/bootstrap.yaml": "b", "/etc/envoy-secrets/key.pem": "KEY" });
  });
});
