/**
 * The mesh diff over pairs of real renders with one known change each: a small stack (one Docker cluster, three
 * services) rendered in-process into temp dirs, then changed one way per pair. Each test asserts the exact lines.
 * Renders run one at a time in before(): Pulumi's mocks are process-global.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { dump } from "js-yaml";
import { diffCommand } from "../../cli/commands/diff";
import { meshDiffMarkdown } from "../../cli/diff/format";
import { diffLines, meshDiff, type MeshDiff } from "../../cli/diff/meshDiff";
import { readRenderFolder, RenderFolderError } from "../../cli/diff/read";
import { renderStack } from "../../cli/render";
import { systemModels } from "../../simulate/providers";
import type { SystemModel } from "../../simulate/system";
import { captureIo, PROJECT_DIR, tempDir } from "./helpers";

type MeshConfig = Record<string, unknown> & { services: Record<string, unknown>[]; intentions: unknown[] };

function baseConfig(): MeshConfig {
  const app = (name: string, port: number, upstreams: { service: string; localPort: number }[] = []) => ({
    name,
    port,
    clusters: ["east"],
    image: "hashicorp/http-echo:1.0.0",
    args: [`-listen=127.0.0.1:${port}`, `-text=${name}`],
    upstreams,
  });
  return {
    environment: "dev",
    clusters: [
      {
        name: "east",
        platform: "docker",
        docker: { subnet: "10.10.1.0/24" },
        consul: { servers: 1, publishApiPort: 8501 },
      },
    ],
    observability: { tracing: { enabled: false } },
    services: [
      app("api-gateway", 8080, [{ service: "ledger", localPort: 9101 }]),
      app("ledger", 8084, [{ service: "audit", localPort: 9201 }]),
      app("audit", 8087),
    ],
    intentions: [
      { source: "api-gateway", destination: "ledger", action: "allow" },
      { source: "ledger", destination: "audit", action: "allow" },
    ],
  };
}

/** Renders a stack config (the shape of Pulumi.dev.yaml) as stack `dev` into a fresh temp dir. */
async function render(name: string, mesh: MeshConfig): Promise<string> {
  const dir = tempDir(`diff-${name}`);
  const configFile = path.join(dir, "Pulumi.dev.yaml");
  fs.writeFileSync(configFile, dump({ config: { "lucid-mesh:mesh": mesh } }));
  const outDir = path.join(dir, "out");
  const result = await renderStack({ projectDir: PROJECT_DIR, stack: "dev", configFile, outDir, renewals: false });
  assert.equal(result.error, undefined, result.error);
  return outDir;
}

function diff(base: string, head: string): MeshDiff {
  return meshDiff(systemModels, readRenderFolder(base), readRenderFolder(head));
}

const SETS = (service: string): string[] =>
  [
    "envoy-secrets/certificate.yaml",
    "envoy-secrets/trust-bundle.yaml",
    "envoy/bootstrap.yaml",
    "envoy/cluster.yaml",
    "envoy/listener.yaml",
  ].map((f) => `envoy/east/${service}/${f}`);

describe("mesh diff (npm run diff -- <base> <head>) over pairs of renders", function () {
  this.timeout(300_000);
  const dirs: Record<string, string> = {};

  before(async () => {
    dirs.base = await render("base", baseConfig());
    dirs.again = await render("again", baseConfig());

    const added = baseConfig();
    added.services.push({
      name: "billing",
      port: 8090,
      clusters: ["east"],
      image: "hashicorp/http-echo:1.0.0",
      args: ["-listen=127.0.0.1:8090", "-text=billing"],
    });
    dirs.added = await render("added", added);

    const withoutIntention = baseConfig();
    // Validation refuses an upstream no intention allows, so the call goes too.
    withoutIntention.intentions = withoutIntention.intentions.slice(0, 1);
    withoutIntention.services[1]!.upstreams = [];
    dirs.intention = await render("intention", withoutIntention);

    const rateLimit = baseConfig();
    rateLimit.defaults = { rateLimit: { requestsPerSecond: 500, burst: 1000 } };
    dirs.rateLimit = await render("rate-limit", rateLimit);

    const validity = baseConfig();
    validity.security = { certValidityDays: 60 };
    dirs.validity = await render("validity", validity);
  });

  it("two renders of the same config differ in nothing (fresh certificates are masked)", () => {
    assert.deepEqual(diffLines(diff(dirs.base!, dirs.again!)), []);
    assert.match(meshDiffMarkdown(diff(dirs.base!, dirs.again!)), /No change to the mesh/);
  });

  it("an added service: the service, its instance and its Envoy files; the ACL bootstrap and the Consul applier rerun", () => {
    assert.deepEqual(diffLines(diff(dirs.base!, dirs.added!)), [
      "+ service east/billing",
      "+ instance east/billing-1",
      ...SETS("billing").map((f) => `+ envoy ${f}`),
      // consul-esm's policy now names billing (it runs billing's check), so the one-shot bootstrap runs again.
      "~ restart east-consul-acl-init (consul-acl-init): replaced: uploads",
      // The applier's payload now holds billing's registration: its writer and (by digest) the applier rerun.
      "~ restart east-consul-applier (consul-applier): replaced: labels",
      "~ restart east-consul-applier-files (consul-applier): replaced: uploads",
    ]);
  });

  it("an intention removed (with the call it allowed): the edge goes from the intentions and from audit's RBAC", () => {
    const found = diff(dirs.base!, dirs.intention!);
    assert.deepEqual(diffLines(found), [
      "- edge east/ledger -> east/audit (intention)",
      "- edge east/ledger -> east/audit (rbac)",
      "~ envoy envoy/east/audit/envoy/listener.yaml",
      "~ envoy envoy/east/ledger/envoy/cluster.yaml",
      "~ envoy envoy/east/ledger/envoy/listener.yaml",
      // The files reach the read-only sidecars through their writers; only the writers are replaced.
      "~ restart east-audit-1-files (envoy-config): replaced: uploads",
      // The intention leaves the Consul applier's payload.
      "~ restart east-consul-applier (consul-applier): replaced: labels",
      "~ restart east-consul-applier-files (consul-applier): replaced: uploads",
      "~ restart east-ledger-1-files (envoy-config): replaced: uploads",
    ]);
    const rbac = found.envoyFiles.changed.find((f) => f.path === "envoy/east/audit/envoy/listener.yaml")?.patch ?? "";
    assert.ok(rbac.includes("-                        exact: spiffe://lucid.mesh/ns/lucid/dc/east/svc/ledger\n"), rbac);
  });

  it("a rate limit changed: the listeners change, shown as unified diffs, and no sidecar restarts", () => {
    const found = diff(dirs.base!, dirs.rateLimit!);
    // defaults.rateLimit applies to every inbound listener.
    assert.deepEqual(diffLines(found), [
      "~ envoy envoy/east/api-gateway/envoy/listener.yaml",
      "~ envoy envoy/east/audit/envoy/listener.yaml",
      "~ envoy envoy/east/ledger/envoy/listener.yaml",
      "~ restart east-api-gateway-1-files (envoy-config): replaced: uploads",
      "~ restart east-audit-1-files (envoy-config): replaced: uploads",
      "~ restart east-ledger-1-files (envoy-config): replaced: uploads",
    ]);
    assert.equal(
      found.envoyFiles.changed[0]?.patch
        .split("\n")
        .filter((l) => /^[-+] /.test(l))
        .join("\n"),
      [
        "-              max_tokens: 2000",
        "-              tokens_per_fill: 1000",
        "+              max_tokens: 1000",
        "+              tokens_per_fill: 500",
      ].join("\n"),
    );
  });

  it("a certificate validity changed: every leaf is reissued (validityPeriodHours is RequiresReplace), not the CAs", () => {
    const found = diff(dirs.base!, dirs.validity!);
    // simulate/tls/system.ts: validity_period_hours is RequiresReplace in terraform-provider-tls; the new PEMs reach
    // the sidecars and the Consul server through their writers, which alone are replaced.
    assert.deepEqual(diffLines(found), [
      "~ certificate east-api-gateway-leaf reissued: earlyRenewalHours, validityPeriodHours",
      "~ certificate east-audit-leaf reissued: earlyRenewalHours, validityPeriodHours",
      "~ certificate east-consul-server reissued: earlyRenewalHours, validityPeriodHours",
      "~ certificate east-ledger-leaf reissued: earlyRenewalHours, validityPeriodHours",
      "~ restart east-api-gateway-1-files (envoy-config): replaced: uploads",
      "~ restart east-audit-1-files (envoy-config): replaced: uploads",
      "~ restart east-consul-server-0-files (consul-config): replaced: uploads",
      "~ restart east-ledger-1-files (envoy-config): replaced: uploads",
    ]);
  });

  it("restarts follow the providers' ForceNew: a stand-in model that forces uploads restarts what holds the files", () => {
    const uploadsForceNew: SystemModel = {
      system: "docker-with-uploads-force-new",
      forceNew: { "docker:index/container:Container": ["uploads"] },
    };
    const withStandIn = meshDiff(
      [...systemModels, uploadsForceNew],
      readRenderFolder(dirs.base!),
      readRenderFolder(dirs.validity!),
    );
    const withRealModels = meshDiff(systemModels, readRenderFolder(dirs.base!), readRenderFolder(dirs.validity!));
    const restarts = (d: typeof withStandIn): string[] => diffLines(d).filter((l) => l.startsWith("~ restart"));
    // The real Docker model already forces a replacement on uploads (kreuzwerker's schema), so both agree: only the
    // writers that hold a reissued leaf restart; acl-init and esm only hold the unchanged root.
    assert.deepEqual(restarts(withStandIn), restarts(withRealModels));
    assert.deepEqual(
      restarts(withRealModels).filter((l) => / \((sidecar|gateway|consul-server)\)/.test(l)),
      [],
    );
  });

  it("the diff command prints Markdown and JSON, and refuses a folder that is not a render", async () => {
    const io = captureIo();
    assert.equal(await diffCommand.run([dirs.base!, dirs.intention!], io), 0);
    assert.match(io.stdout(), /^### Mesh diff\n/);
    assert.ok(io.stdout().includes("- edge east/ledger -> east/audit (intention)\n"));
    const json = captureIo();
    assert.equal(await diffCommand.run([dirs.base!, dirs.intention!, "--format", "json"], json), 0);
    const parsed = JSON.parse(json.stdout()) as MeshDiff;
    assert.deepEqual(parsed.edges.removed, [
      { from: "east/ledger", to: "east/audit", via: "intention" },
      { from: "east/ledger", to: "east/audit", via: "rbac" },
    ]);
    const bad = captureIo();
    assert.equal(await diffCommand.run([dirs.base!, tempDir("diff-empty")], bad), 2);
    assert.match(bad.stderr(), /no manifest\.json/);
    assert.throws(() => readRenderFolder(path.join(dirs.base!, "nope")), RenderFolderError);
  });
});
