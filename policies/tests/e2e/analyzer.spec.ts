/**
 * Runs the pack as a published pack runs. `pulumi policy publish` runs `npm pack` in policies/; installing a
 * published pack unpacks that tarball's `package/` folder and runs `npm install` in it (pulumi/pulumi
 * pkg/backend/httpstate/policypack.go `Publish` and `installRequiredPolicy`). This does the same into a temporary
 * folder outside the repo, so an import reaching back into the repo cannot resolve, then starts the installed copy's
 * own run-policy-pack shim there as the engine does: it type-checks and loads index.ts with ts-node in a child
 * process, prints the gRPC port, and serves the Analyzer protocol we call here.
 *
 * The install uses policies/npm-shrinkwrap.json, which pins the versions the repo's lockfile pins, with
 * `--prefer-offline`: after the repo's `npm ci` every tarball is in npm's cache, and anything missing comes from
 * the registry.
 */
import * as grpc from "@grpc/grpc-js";
import type { ChildProcess } from "node:child_process";
import { execFileSync, spawn } from "node:child_process";
import { strict as assert } from "node:assert";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import {
  AnalyzeRequest,
  AnalyzeStackRequest,
  AnalyzerResource,
  AnalyzerResourceOptions,
  ConfigureAnalyzerRequest,
  EnforcementLevel,
  PolicyConfig,
} from "@pulumi/pulumi/proto/analyzer_pb";
import type { AnalyzeResponse, AnalyzerInfo } from "@pulumi/pulumi/proto/analyzer_pb";
import { allPolicies } from "../../rules";
import { pkiResources } from "../fixtures/mesh";

const REPO = path.resolve(__dirname, "..", "..", "..");
const PACK_SOURCE = path.join(REPO, "policies");
// ts-node type-checks the whole pack on start: seconds on a laptop, longer on a busy 2-core runner.
const START_TIMEOUT_MS = 90_000;
// npm pack, then npm ci of about 240 packages from npm's cache: seconds, more when the cache is cold.
const INSTALL_TIMEOUT_MS = 180_000;

/** `npm pack` of policies/, unpacked and installed in a new temporary folder; returns the installed pack's folder. */
function installPackedPack(work: string): string {
  // Under `npm test`, npm exports the running script's package (npm_package_*, npm_config_local_prefix): not ours.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^npm_(package_|lifecycle_|config_local_prefix$)/.test(key) && key !== "INIT_CWD",
    ),
  );
  const npm = (args: string[], cwd: string): string =>
    execFileSync("npm", [...args, "--loglevel=error"], {
      cwd,
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  const tarball = npm(["pack", "--pack-destination", work], PACK_SOURCE).trim().split("\n").pop()!;
  execFileSync("tar", ["xzf", path.join(work, tarball)], { cwd: work });
  const installed = path.join(work, "package");
  npm(["ci", "--prefer-offline", "--no-audit", "--no-fund"], installed);
  return installed;
}

function unary<Req, Res>(
  method: (req: Req, callback: (err: grpc.ServiceError | null, res: Res) => void) => unknown,
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => method(request, (err, res) => (err ? reject(err) : resolve(res))));
}

function startPack(packDir: string): Promise<{ child: ChildProcess; port: number }> {
  // The installed copy's own shim, as the engine resolves it from the pack's folder.
  const shim = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
  assert.ok(shim.startsWith(packDir + path.sep), `run-policy-pack resolved outside the installed pack: ${shim}`);
  const child = spawn(process.execPath, [shim, "127.0.0.1:0", "."], {
    cwd: packDir,
    env: { ...process.env, LUCID_MESH_POLICY_ENV: "prod" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(
      () => reject(new Error(`no port after ${START_TIMEOUT_MS} ms; stderr: ${stderr}`)),
      START_TIMEOUT_MS,
    );
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      const port = Number(stdout.slice(0, newline).trim());
      if (Number.isInteger(port) && port > 0) resolve({ child, port });
      else reject(new Error(`first stdout line is not a port: ${stdout}`));
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`policy pack exited with ${String(code)}: ${stderr}`));
    });
  });
}

function analyzeRequest(type: string, name: string, props: Record<string, unknown>): AnalyzeRequest {
  return new AnalyzeRequest()
    .setType(type)
    .setName(name)
    .setUrn(`urn:pulumi:prod::lucid-mesh::${type}::${name}`)
    .setProperties(Struct.fromJavaScript(props as never))
    .setOptions(new AnalyzerResourceOptions());
}

function diagnostics(
  response: AnalyzeResponse,
): Array<{ policy: string; level: EnforcementLevel; message: string; urn: string }> {
  return response.getDiagnosticsList().map((d) => ({
    policy: d.getPolicyname(),
    level: d.getEnforcementlevel(),
    message: d.getMessage(),
    urn: d.getUrn(),
  }));
}

describe("policy pack end to end: packed, installed, run-policy-pack + Analyzer gRPC", function () {
  this.timeout(INSTALL_TIMEOUT_MS + START_TIMEOUT_MS + 30_000);
  let work: string | undefined;
  let child: ChildProcess | undefined;
  let client: AnalyzerClient;

  before(async () => {
    work = realpathSync(mkdtempSync(path.join(tmpdir(), "lucid-mesh-packed-")));
    const packDir = installPackedPack(work);
    assert.ok(!packDir.startsWith(REPO + path.sep), "the installed pack must live outside the repo");
    const started = await startPack(packDir);
    child = started.child;
    client = new AnalyzerClient(`127.0.0.1:${started.port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    child?.removeAllListeners("exit");
    child?.kill();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("serves every policy with its config schema, prod levels and initial config", async () => {
    const info = await unary<Empty, AnalyzerInfo>(client.getAnalyzerInfo.bind(client), new Empty());
    assert.equal(info.getName(), "lucid-mesh-policies");
    assert.equal(info.getVersion(), "0.1.0");
    const names = info.getPoliciesList().map((p) => p.getName());
    assert.deepEqual(
      names,
      allPolicies.map((p) => p.name),
    );
    const rate = info.getPoliciesList().find((p) => p.getName() === "lucid-envoy-rate-limits-set");
    const schema = rate?.getConfigschema()?.getProperties()?.toJavaScript() as Record<string, { default?: unknown }>;
    assert.equal(schema.maxRequestsPerSecond?.default, 5000);
    // Each policy reports the pack's level: mandatory for prod.
    assert.ok(info.getPoliciesList().every((p) => p.getEnforcementlevel() === EnforcementLevel.MANDATORY));
    const initial = info.getInitialconfigMap().get("lucid-consul-hardening");
    assert.equal(initial?.getEnforcementlevel(), EnforcementLevel.MANDATORY);
  });

  it("applies Configure, then reports a violating resource with the policy's name and level", async () => {
    const configure = new ConfigureAnalyzerRequest();
    configure
      .getPolicyconfigMap()
      .set(
        "lucid-workloads-images-pinned",
        new PolicyConfig()
          .setEnforcementlevel(EnforcementLevel.ADVISORY)
          .setProperties(Struct.fromJavaScript({ requireDigest: false })),
      )
      .set(
        "lucid-pki-cert-lifetimes",
        new PolicyConfig()
          .setEnforcementlevel(EnforcementLevel.MANDATORY)
          .setProperties(Struct.fromJavaScript({ maxLeafValidityHours: 720 })),
      );
    await unary(client.configure.bind(client), configure);

    const request = analyzeRequest("docker:index/container:Container", "east-api-gateway-1-sidecar", {
      image: "envoyproxy/envoy:v1.28-latest",
    });
    const found = diagnostics(await unary<AnalyzeRequest, AnalyzeResponse>(client.analyze.bind(client), request));
    assert.deepEqual(found, [
      {
        policy: "lucid-workloads-images-pinned",
        level: EnforcementLevel.ADVISORY,
        message:
          'Require every container image to be pinned to a version tag or digest, never latest.\nimage: image envoyproxy/envoy:v1.28-latest uses a moving "latest" tag; pin a version tag or @sha256 digest.',
        urn: "",
      },
    ]);
  });

  it("analyzes a small stack with the configured threshold", async () => {
    const resources = pkiResources().map((r) =>
      new AnalyzerResource()
        .setType(r.type)
        .setName(r.name)
        .setUrn(r.urn ?? "")
        .setProperties(Struct.fromJavaScript(r.props as never))
        .setOptions(new AnalyzerResourceOptions()),
    );
    const request = new AnalyzeStackRequest().setResourcesList(resources);
    const found = diagnostics(
      await unary<AnalyzeStackRequest, AnalyzeResponse>(client.analyzeStack.bind(client), request),
    );
    const leaf = pkiResources().find((r) => r.name === "east-api-gateway-leaf");
    assert.deepEqual(found, [
      {
        policy: "lucid-pki-cert-lifetimes",
        level: EnforcementLevel.MANDATORY,
        message:
          "Keep certificate lifetimes nested (root ≥ intermediate ≥ 3 × leaf) with short, early-renewed leaves.\neast-api-gateway-leaf: leaf validity 2160 h exceeds 720 h; shorten validityPeriodHours.",
        urn: leaf?.urn ?? "",
      },
    ]);
  });
});
