/**
 * The applier's real script (sh, curl, jq, as in the Consul image) against a small stand-in for Consul's HTTP API
 * over TLS: the routes the script calls, stored as Consul stores them (Precedence/Type added to intentions,
 * indexes added, durations as Go prints them). This runs the script itself, not the model; it checks what the
 * script sends and how it reacts, not Consul's behaviour (simulate/consul/ models that).
 */
import { strict as assert } from "node:assert";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import {
  APPLIER_MANAGED_KEY,
  APPLIER_MANAGED_VALUE,
  applierPayload,
  applierPaths,
  applierScript,
  applierTokenHeader,
  renderPayload,
  type ApplierPayload,
} from "../../consul/applier";
import { stackMesh } from "../helpers/stacks";

const TOKEN = "3f1d9d2e-applier-token";

interface FakeConsul {
  readonly entries: Map<string, Record<string, unknown>>;
  readonly services: Map<string, Record<string, unknown>>;
  readonly checks: Map<string, Record<string, unknown>>;
  readonly calls: string[];
  /** `METHOD path` → [status, body]: Consul's refusal for that call. */
  readonly refuse: Map<string, [number, string]>;
}

function fakeConsul(): FakeConsul {
  return { entries: new Map(), services: new Map(), checks: new Map(), calls: [], refuse: new Map() };
}

function handle(consul: FakeConsul, method: string, url: string, body: string): [number, unknown] {
  consul.calls.push(`${method} ${url}`);
  const refused = consul.refuse.get(`${method} ${url}`);
  if (refused) return refused;
  let m: RegExpExecArray | null;
  if (method === "GET" && (m = /^\/v1\/config\/([^/]+)\/(.+)$/.exec(url))) {
    const e = consul.entries.get(`${m[1]}/${decodeURIComponent(m[2]!)}`);
    return e ? [200, e] : [404, "Config entry not found"];
  }
  if (method === "GET" && (m = /^\/v1\/config\/([^/]+)$/.exec(url))) {
    return [200, [...consul.entries.values()].filter((e) => e.Kind === m![1])];
  }
  if (method === "PUT" && url === "/v1/config") {
    const e = JSON.parse(body) as Record<string, unknown> & { Sources?: Array<Record<string, unknown>> };
    const stored = { ...e, CreateIndex: 10, ModifyIndex: 11 };
    consul.entries.set(`${String(e.Kind)}/${String(e.Name)}`, stored);
    return [200, true];
  }
  if (method === "DELETE" && (m = /^\/v1\/config\/([^/]+)\/(.+)$/.exec(url))) {
    consul.entries.delete(`${m[1]}/${decodeURIComponent(m[2]!)}`);
    return [200, true];
  }
  if (method === "GET" && url.startsWith("/v1/catalog/node-services/")) {
    return [200, { Node: { Node: url.split("/").pop() }, Services: [...consul.services.values()] }];
  }
  if (method === "GET" && url.startsWith("/v1/health/node/")) return [200, [...consul.checks.values()]];
  if (method === "PUT" && url === "/v1/catalog/register") {
    const r = JSON.parse(body) as {
      Service: Record<string, unknown> & { ID: string };
      Checks: Array<Record<string, unknown> & { CheckID: string }>;
    };
    consul.services.set(r.Service.ID, { ...r.Service, CreateIndex: 5 });
    for (const c of r.Checks)
      consul.checks.set(c.CheckID, { ...c, Status: "critical", ServiceName: r.Service.Service });
    return [200, true];
  }
  if (method === "PUT" && url === "/v1/catalog/deregister") {
    const d = JSON.parse(body) as { ServiceID: string };
    consul.services.delete(d.ServiceID);
    return [200, true];
  }
  return [404, `no route ${method} ${url}`];
}

describe("the applier's script against a stand-in Consul API (sh, curl, jq)", function () {
  this.timeout(120_000);
  const mesh = stackMesh("dev");
  const east = mesh.clusters.find((c) => c.name === "east")!;
  let dir: string;
  let server: https.Server;
  let consul: FakeConsul;
  let script: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "applier-script-"));
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
      "-subj", "/CN=server.east.consul", "-addext", "subjectAltName=DNS:server.east.consul",
      "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, applierPaths.caFile),
    ], { stdio: "ignore" }); // prettier-ignore
    server = https.createServer(
      { key: readFileSync(path.join(dir, "key.pem")), cert: readFileSync(path.join(dir, applierPaths.caFile)) },
      (req, res) => {
        let body = "";
        req.on("data", (chunk: Buffer) => (body += chunk.toString()));
        req.on("end", () => {
          if (req.headers["x-consul-token"] !== TOKEN) {
            res.writeHead(403).end("ACL not found");
            return;
          }
          const [status, out] = handle(consul, req.method ?? "", req.url ?? "", body);
          res.writeHead(status).end(typeof out === "string" ? out : JSON.stringify(out));
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    // The script as deployed, pointed at this directory and this server.
    script = applierScript(east)
      .split("/tmp/lucid-")
      .join(`${dir}/tmp-`)
      .split(applierPaths.dir)
      .join(dir)
      .replace("server.east.consul:8501:10.10.1.10:8501", `server.east.consul:8501:127.0.0.1:${port}`);
    writeFileSync(path.join(dir, applierPaths.script), script);
    writeFileSync(path.join(dir, applierPaths.tokenHeader), applierTokenHeader(TOKEN));
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    consul = fakeConsul();
  });

  function writePayload(payload: ApplierPayload): void {
    writeFileSync(path.join(dir, applierPaths.payload), renderPayload(payload));
  }

  function pass(): Promise<{ code: number; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        "sh",
        [path.join(dir, applierPaths.script)],
        { env: { ...process.env, LUCID_APPLIER_ONCE: "1" } },
        (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
      );
    });
  }

  const payload = (): ApplierPayload => applierPayload(mesh, east, { registersInstances: true });
  const writes = (): string[] => consul.calls.filter((c) => !c.startsWith("GET "));

  it("writes every entry and registration, then nothing on a second pass", async () => {
    writePayload(payload());
    assert.deepEqual(await pass(), { code: 0, stderr: "" });
    assert.equal(consul.entries.size, payload().configEntries.length);
    assert.equal(consul.services.size, payload().registrations.length);
    assert.equal(consul.entries.get("service-intentions/*")!.Meta?.constructor, Object);
    consul.calls.length = 0;
    assert.equal((await pass()).code, 0);
    assert.deepEqual(writes(), []);
  });

  it("reverts drift and prunes what it owns but no longer declares, leaving the rest alone", async () => {
    writePayload(payload());
    await pass();
    const managed = { [APPLIER_MANAGED_KEY]: APPLIER_MANAGED_VALUE };
    consul.entries.set("service-intentions/retired", { Kind: "service-intentions", Name: "retired", Meta: managed });
    consul.entries.set("service-intentions/operator", { Kind: "service-intentions", Name: "operator" });
    consul.services.set("retired-1", { ID: "retired-1", Service: "retired", Meta: managed });
    consul.services.set("by-hand-1", { ID: "by-hand-1", Service: "by-hand", Meta: {} });
    consul.services.set("api-gateway-1", { ...consul.services.get("api-gateway-1")!, Port: 9999 });
    consul.calls.length = 0;
    assert.equal((await pass()).code, 0);
    assert.deepEqual(writes().sort(), [
      "DELETE /v1/config/service-intentions/retired",
      "PUT /v1/catalog/deregister",
      "PUT /v1/catalog/register",
    ]);
    assert.equal(consul.services.get("api-gateway-1")!.Port, 15001);
    assert.ok(consul.entries.has("service-intentions/operator"));
    assert.ok(consul.services.has("by-hand-1"));
    assert.ok(!consul.services.has("retired-1"));
  });

  it("fails with Consul's own message when Consul refuses, and leaves the rest for the next pass", async () => {
    writePayload(payload());
    const denial =
      "Permission denied: token with AccessorID 'a1b2' lacks permission 'intention:write' on \"blockchain-core\"";
    consul.refuse.set("GET /v1/config/service-intentions/blockchain-core", [403, denial]);
    const { code, stderr } = await pass();
    assert.equal(code, 1);
    assert.match(
      stderr,
      /consul-applier: GET \/v1\/config\/service-intentions\/blockchain-core: Consul refused \(403\): Permission denied: token with AccessorID 'a1b2' lacks permission 'intention:write'/,
    );
    assert.equal(readFileSync(path.join(dir, "tmp-applier-error"), "utf8").trim(), stderr.trim());
    assert.equal(consul.services.size, 0);
  });
});
