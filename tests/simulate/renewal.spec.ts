import { strict as assert } from "node:assert";
import { recordedResource } from "../helpers/recorded";
import { systemModels } from "../../simulate/providers";
import type { RecordedResource } from "../../simulate/recorder";
import {
  compareRuns,
  isForbiddenRestart,
  MUST_NOT_RESTART,
  type Restart,
  replayingTlsModels,
  restartOf,
  type RenewalReport,
  type TlsResults,
} from "../../simulate/renewal";
import { simulateMesh, simulateRenewals } from "../../simulate/stack";
import { classifyChange } from "../../simulate/system";
import { tlsModels } from "../../simulate/tls";
import { rawMeshConfig } from "../helpers/stacks";

const resource = recordedResource;

describe("renewals (simulate/renewal.ts)", function () {
  this.timeout(180_000);
  let base: readonly RecordedResource[];
  const tls: TlsResults = new Map();
  let reports: RenewalReport[];

  before(async () => {
    const run = await simulateMesh("dev", rawMeshConfig("dev"), { tlsModels: replayingTlsModels(tlsModels, tls) });
    base = run.recorder.resources;
    reports = await simulateRenewals("dev", rawMeshConfig("dev"), { resources: base, tls });
  });

  it("a run that replays every tls result declares exactly the same inputs (nothing else varies between runs)", async () => {
    const again = await simulateMesh("dev", rawMeshConfig("dev"), {
      tlsModels: replayingTlsModels(tlsModels, new Map(), tls),
    });
    assert.deepEqual(compareRuns(systemModels, base, again.recorder.resources, new Set()).changes, []);
  });

  it("a leaf renewal replaces that certificate only (its key and CSR stay), as the tls provider plans it", () => {
    const leaf = reports.find((r) => r.kind === "leaf")!;
    const certificates = (r: RenewalReport): string[] => r.replaced.filter((x) => x.startsWith("LocallySignedCert "));
    assert.deepEqual(certificates(leaf), [`LocallySignedCert ${leaf.certificate}`]);
    assert.ok(leaf.replaced.length + leaf.updated.length >= 2, "the certificate reaches its workload");
    assert.deepEqual(
      leaf.restarts.filter((r) => MUST_NOT_RESTART.has(r.role)),
      [],
      "and restarts no Envoy or Consul",
    );
  });

  it("an intermediate renewal replaces every leaf it signed (ca_cert_pem requires replacement in the provider)", () => {
    const intermediate = reports.find((r) => r.kind === "intermediate")!;
    const cluster = intermediate.certificate.replace(/-intermediate$/, "");
    const signed = base
      .filter((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert" && r.name.startsWith(`${cluster}-`))
      .map((r) => `LocallySignedCert ${r.name}`)
      .sort();
    assert.deepEqual(
      intermediate.replaced.filter((x) => x.startsWith("LocallySignedCert ")),
      signed,
    );
  });

  it("covers the four kinds: leaf, Consul server, intermediate and root", () => {
    assert.deepEqual(
      reports.map((r) => r.kind),
      ["leaf", "consul-server", "intermediate", "root"],
    );
  });

  describe("which restarts a renewal may cause", () => {
    const restart = (role: string, rolling: boolean): Restart => ({ urn: "u", name: "n", role, why: "", rolling });
    it("never an Envoy, for any renewal", () => {
      for (const kind of ["leaf", "consul-server", "intermediate", "root"] as const) {
        assert.equal(isForbiddenRestart(kind, restart("sidecar", true)), true);
        assert.equal(isForbiddenRestart(kind, restart("gateway", false)), true);
      }
    });
    it("never a Consul server either, not even one at a time; writers and one-shots may go", () => {
      for (const kind of ["leaf", "consul-server", "intermediate", "root"] as const) {
        assert.equal(isForbiddenRestart(kind, restart("consul-server", true)), true, kind);
        assert.equal(isForbiddenRestart(kind, restart("consul-server", false)), true, kind);
        assert.equal(isForbiddenRestart(kind, restart("consul-config", false)), false, kind);
      }
    });
  });

  describe("restarts", () => {
    const container = (inputs: Record<string, unknown>) => resource("docker:index/container:Container", "c", inputs);
    const labels = [{ label: "lucid.mesh/role", value: "sidecar" }];

    it("a replaced container is a restart; an updated one is not", () => {
      const before = container({ labels, uploads: [1] });
      const after = container({ labels, uploads: [2] });
      const replace = classifyChange([{ system: "t", forceNew: { [before.type]: ["uploads"] } }], after, ["uploads"])!;
      assert.deepEqual(restartOf(replace, before, after)?.role, "sidecar");
      const update = classifyChange([], after, ["uploads"])!;
      assert.equal(restartOf(update, before, after), undefined);
    });

    it("a Deployment whose pod template changed rolls its pods; a Secret update restarts nothing", () => {
      const deployment = (v: string) =>
        resource("kubernetes:apps/v1:Deployment", "d", { spec: { template: { metadata: { annotations: { v } } } } });
      const change = classifyChange([], deployment("2"), ["spec"])!;
      assert.match(restartOf(change, deployment("1"), deployment("2"))!.why, /rolling restart/);
      const secret = resource("kubernetes:core/v1:Secret", "s", { stringData: { a: "2" } });
      assert.equal(restartOf(classifyChange([], secret, ["stringData"])!, secret, secret), undefined);
    });
  });
});
