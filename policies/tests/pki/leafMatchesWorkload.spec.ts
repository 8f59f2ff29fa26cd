/** Leaves are real X.509 from the simulated dev and prod stacks (simulate/ issues them with the tls model). */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { toStackResource } from "../../../simulate/policyRunner";
import { checkLeafMatchesWorkload } from "../../rules/pki/leafMatchesWorkload";
import { simulateStack } from "../../../simulate/stack";
import type { ResourceUnderTest } from "../../../simulate/policyRunner";
import { fromRecorded } from "../../../simulate/policyRunner";

const PROJECT_DIR = path.resolve(__dirname, "..", "..", "..");

function label(r: ResourceUnderTest, key: string): string | undefined {
  const docker = (r.props.labels as Array<{ label: string; value: string }> | undefined)?.find((l) => l.label === key);
  return docker?.value ?? (r.props.metadata as { labels?: Record<string, string> } | undefined)?.labels?.[key];
}

const check = (resources: ResourceUnderTest[]): string[] =>
  checkLeafMatchesWorkload(resources.map(toStackResource), {}).map((v) => v.message);

describe("lucid-pki-leaf-matches-workload", function () {
  this.timeout(120_000);
  let dev: ResourceUnderTest[] = [];
  let prod: ResourceUnderTest[] = [];
  before(async () => {
    dev = (await simulateStack(PROJECT_DIR, "dev")).recorder.resources.map(fromRecorded);
    prod = (await simulateStack(PROJECT_DIR, "prod")).recorder.resources.map(fromRecorded);
  });

  it("passes the simulated stacks, where each sidecar holds its own leaf", () => {
    assert.deepEqual(check(dev), []);
    assert.deepEqual(check(prod), []);
  });

  it("fails a Docker sidecar whose certificate.yaml (delivered by its writer) serves another service's leaf", () => {
    const resources = structuredClone(dev);
    const sidecar = (service: string) =>
      resources.find(
        (r) =>
          r.type === "docker:index/container:Container" &&
          label(r, "lucid.mesh/role") === "envoy-config" &&
          label(r, "lucid.mesh/service") === service &&
          label(r, "lucid.mesh/cluster") === "east",
      )!;
    const uploads = (service: string) => sidecar(service).props.uploads as Array<{ file: string; content: string }>;
    const sds = "/etc/envoy-secrets/certificate.yaml";
    const foreign = uploads("blockchain-core").find((u) => u.file === sds)!.content;
    uploads("api-gateway").find((u) => u.file === sds)!.content = foreign;
    assert.deepEqual(check(resources), [
      'east-api-gateway-1-files: certificate.yaml (mesh_certificate) names spiffe://lucid.mesh/ns/lucid/dc/east/svc/blockchain-core, but the workload runs "api-gateway"; mount the leaf issued to api-gateway.',
    ]);
  });

  it("fails a Kubernetes Deployment that mounts a Secret holding another service's leaf", () => {
    const resources = structuredClone(prod);
    const certs = (service: string) =>
      resources.find(
        (r) =>
          r.type === "kubernetes:core/v1:Secret" &&
          label(r, "lucid.mesh/role") === "sidecar" &&
          label(r, "lucid.mesh/service") === service &&
          label(r, "lucid.mesh/cluster") === "east",
      )!.props.stringData as Record<string, string>;
    certs("api-gateway")["certificate.yaml"] = certs("blockchain-core")["certificate.yaml"]!;
    const messages = check(resources);
    assert.equal(messages.length, 2, messages.join("\n"));
    assert.match(
      messages[0] ?? "",
      /^east-api-gateway-certs: certificate\.yaml \(mesh_certificate\) names spiffe:\/\/lucid\.mesh\/ns\/lucid\/dc\/east\/svc\/blockchain-core, but the workload runs "api-gateway"/,
    );
    assert.match(
      messages[1] ?? "",
      /\(secret api-gateway-envoy-certs\): certificate\.yaml \(mesh_certificate\) names .*svc\/blockchain-core, but the workload runs "api-gateway"/,
    );
  });
});
