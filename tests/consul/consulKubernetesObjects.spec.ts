/**
 * The pure builders of Consul's Kubernetes objects (components/platform/consulKubernetesObjects.ts): each object
 * on its own, against Kubernetes' schemas and the policy pack's pod rules, and the tls-copy script run for real
 * under busybox (the Consul image is Alpine, whose sh, cmp, cp, mv and sleep are busybox's).
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Service } from "kubernetes-models/v1/Service";
import {
  aclInitJobSpec,
  apiServiceSpec,
  AUTO_RELOAD_JSON,
  CONFIG_CHECKSUM_ANNOTATION,
  dnsServiceSpec,
  esmDeploymentSpec,
  headlessServiceSpec,
  namespaceSpec,
  peeringServiceSpec,
  restartChecksum,
  serverConfigMapSpec,
  serverStatefulSetSpec,
  tlsCopyContainer,
  tlsCopyScript,
  TLS_COPY_INTERVAL_SECONDS,
  TLS_SOURCE_DIR,
  type ConsulObjectsContext,
} from "../../components/platform/consulKubernetesObjects";
import { consulPaths } from "../../consul/names";
import { checkImagesPinned, imagesPinnedDefaults } from "../../policies/rules/workloads/imagesPinned";
import { checkPodSecurity } from "../../policies/rules/workloads/podSecurity";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- object specs read as JSON

const ctx: ConsulObjectsContext = {
  clusterName: "east",
  namespace: "lucid-mesh",
  image: "hashicorp/consul:1.20.6",
  serverLabels: { "lucid.mesh/role": "consul-server", "lucid.mesh/cluster": "east" },
  esmLabels: { "lucid.mesh/role": "consul-esm", "lucid.mesh/cluster": "east" },
};
const statefulSet = (): Obj =>
  serverStatefulSetSpec(ctx, { replicas: 3, storageGi: 10, checksum: "c0ffee" }) as unknown as Obj;
const podSpec = (): Obj => statefulSet().spec.template.spec;
const ports = (service: unknown): number[] => ((service as Obj).spec.ports as Obj[]).map((p) => p.port as number);

describe("Consul's Kubernetes objects (pure builders)", () => {
  it("a restricted namespace labelled with its cluster", () => {
    const ns = namespaceSpec("east", "lucid-mesh") as Obj;
    assert.equal(ns.metadata.name, "lucid-mesh");
    assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
    assert.equal(ns.metadata.labels["lucid.mesh/cluster"], "east");
  });

  it("services expose only their ports: DNS and API, gRPC TLS for peering, the API for Pulumi", () => {
    assert.deepEqual(ports(dnsServiceSpec(ctx, "10.96.0.10")), [8501, 8600, 8600]);
    assert.deepEqual(ports(peeringServiceSpec(ctx, { loadBalancerIP: "10.0.0.5" })), [8503]);
    assert.deepEqual(ports(apiServiceSpec(ctx, "10.0.0.6", {})), [8501]);
    assert.equal((headlessServiceSpec(ctx) as Obj).spec.publishNotReadyAddresses, true);
    assert.equal((peeringServiceSpec(ctx, {}) as Obj).spec.loadBalancerIP, undefined);
    for (const s of [headlessServiceSpec(ctx), dnsServiceSpec(ctx, "10.96.0.10"), apiServiceSpec(ctx, "10.0.0.6", {})])
      assert.doesNotThrow(() => new Service(s as ConstructorParameters<typeof Service>[0]).validate());
  });

  it("the config map turns auto_reload_config on beside server.json", () => {
    const data = (serverConfigMapSpec(ctx, '{"server":true}') as Obj).data;
    assert.deepEqual(Object.keys(data).sort(), [consulPaths.autoReloadConfig, consulPaths.serverConfig]);
    assert.deepEqual(JSON.parse(AUTO_RELOAD_JSON), { auto_reload_config: true });
  });

  it("the server reads its TLS files from an in-memory emptyDir the tls-copy containers fill from the Secret", () => {
    const spec = podSpec();
    const consul = (spec.containers as Obj[]).find((c) => c.name === "consul")!;
    const tlsMount = (consul.volumeMounts as Obj[]).find((m) => m.mountPath === consulPaths.tlsDir)!;
    assert.equal(tlsMount.readOnly, true);
    const volume = (spec.volumes as Obj[]).find((v) => v.name === tlsMount.name)!;
    assert.deepEqual(volume.emptyDir, { medium: "Memory", sizeLimit: "1Mi" });
    assert.deepEqual(
      (spec.initContainers as Obj[]).map((c) => c.name),
      ["tls-copy-init"],
    );
    assert.deepEqual(
      (spec.containers as Obj[]).map((c) => c.name),
      ["consul", "tls-copy"],
    );
    for (const copier of [...spec.initContainers, spec.containers[1]] as Obj[]) {
      assert.deepEqual(copier.volumeMounts, [
        { name: "tls-source", mountPath: TLS_SOURCE_DIR, readOnly: true },
        { name: tlsMount.name, mountPath: consulPaths.tlsDir },
      ]);
      assert.equal(copier.image, ctx.image);
    }
    assert.deepEqual((spec.volumes as Obj[]).find((v) => v.name === "tls-source")!.secret, {
      secretName: "consul-server-tls",
      defaultMode: 0o440,
    });
    // `once` only for the init container; the one beside Consul follows the Secret until it is stopped.
    assert.equal((tlsCopyContainer(ctx.image, "once").command as string[]).at(-1), "once");
    assert.equal((tlsCopyContainer(ctx.image, "follow").command as string[]).at(-1), "tls-copy");
  });

  it("the pod template carries the checksum it is given, and the checksum no certificate", () => {
    assert.equal(statefulSet().spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION], "c0ffee");
    const json = JSON.stringify({ server: true, log_level: "INFO" });
    assert.equal(restartChecksum(json), restartChecksum(JSON.stringify({ server: true, log_level: "WARN" })));
    assert.notEqual(restartChecksum(json), restartChecksum(JSON.stringify({ server: false, log_level: "INFO" })));
  });

  it("every pod passes Kubernetes' schema and the policy pack's pod-security and pinned-image rules", () => {
    const workloads: Array<[string, Obj, (o: Obj) => { validate(): void }]> = [
      ["kubernetes:apps/v1:StatefulSet", statefulSet(), (o) => new StatefulSet(o)],
      ["kubernetes:apps/v1:Deployment", esmDeploymentSpec(ctx) as Obj, (o) => new Deployment(o)],
      ["kubernetes:batch/v1:Job", aclInitJobSpec(ctx, "sum") as Obj, (o) => new Job(o)],
    ];
    for (const [type, props, model] of workloads) {
      assert.doesNotThrow(() => model(props).validate(), type);
      assert.deepEqual(checkPodSecurity({ type, name: "x", props }, {}), [], type);
      assert.deepEqual(checkImagesPinned({ type, name: "x", props }, imagesPinnedDefaults), [], type);
    }
  });

  it("negative: the pod-security rule refuses a tls-copy container with a writable root", () => {
    const sts = statefulSet();
    sts.spec.template.spec.containers[1].securityContext.readOnlyRootFilesystem = false;
    assert.deepEqual(checkPodSecurity({ type: "kubernetes:apps/v1:StatefulSet", name: "x", props: sts }, {}), [
      "container tls-copy is not hardened; set securityContext.readOnlyRootFilesystem: true.",
    ]);
  });
});

describe("the tls-copy script, run under busybox", function () {
  this.timeout(30_000);
  const busybox = spawnSync("busybox", ["--help"]).status === 0 ? "busybox" : undefined;
  let root: string;
  let env: NodeJS.ProcessEnv;

  before(function () {
    if (!busybox) this.skip();
    root = fs.mkdtempSync(path.join(os.tmpdir(), "tls-copy-"));
    // Only busybox's applets on the PATH, as in the Alpine image.
    const bin = path.join(root, "bin");
    fs.mkdirSync(bin);
    for (const applet of ["sh", "readlink", "cmp", "cp", "mv", "rm", "sleep"])
      fs.symlinkSync(spawnSync("which", ["busybox"]).stdout.toString().trim(), path.join(bin, applet));
    env = { PATH: bin };
  });
  after(() => root && fs.rmSync(root, { recursive: true, force: true }));

  /** The script with its two directories moved under the test's folder. */
  function script(dir: string, interval = TLS_COPY_INTERVAL_SECONDS): string {
    return tlsCopyScript()
      .replace(`src=${TLS_SOURCE_DIR}`, `src=${dir}/source`)
      .replace(`dst=${consulPaths.tlsDir}`, `dst=${dir}/tls`)
      .replace(`sleep ${TLS_COPY_INTERVAL_SECONDS}`, `sleep ${interval}`);
  }

  /** A Secret volume as kubelet writes it: a timestamped directory, `..data` linking to it, a link per key. */
  function kubeletSecret(dir: string, files: Record<string, string>, generation: string): void {
    const source = path.join(dir, "source");
    fs.mkdirSync(source, { recursive: true });
    const data = path.join(source, `..${generation}`);
    fs.mkdirSync(data);
    for (const [name, content] of Object.entries(files)) {
      fs.writeFileSync(path.join(data, name), content, { mode: 0o440 });
      if (!fs.existsSync(path.join(source, name))) fs.symlinkSync(`..data/${name}`, path.join(source, name));
    }
    // The atomic swap: a new link, renamed over `..data`.
    fs.symlinkSync(`..${generation}`, path.join(source, "..data_tmp"));
    fs.renameSync(path.join(source, "..data_tmp"), path.join(source, "..data"));
  }

  const files = (key: string, cert: string) => ({ "server-key.pem": key, "server.pem": cert, "ca.pem": "CA" });
  /** A new folder under the test's root: an empty `tls` for the copies, and the Secret at its first generation. */
  function firstGeneration(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(root, prefix));
    fs.mkdirSync(path.join(dir, "tls"));
    kubeletSecret(dir, files("KEY1", "CERT1"), "gen1");
    return dir;
  }
  const run = (dir: string) =>
    spawnSync(path.join(root, "bin", "sh"), ["-c", script(dir), "tls-copy", "once"], { env, encoding: "utf8" });

  it("copies the Secret's files as regular files the consul user alone can read", () => {
    const dir = firstGeneration("once-");
    assert.ok(fs.lstatSync(path.join(dir, "source", "server.pem")).isSymbolicLink(), "kubelet's file is a link");
    const result = run(dir);
    assert.equal(result.status, 0, result.stderr);
    for (const [name, content] of Object.entries(files("KEY1", "CERT1"))) {
      const stat = fs.lstatSync(path.join(dir, "tls", name));
      assert.ok(stat.isFile() && !stat.isSymbolicLink(), `${name} is a regular file`);
      assert.equal(stat.mode & 0o777, 0o400, name);
      assert.equal(fs.readFileSync(path.join(dir, "tls", name), "utf8"), content);
    }
  });

  it("after kubelet swaps `..data`, renames all three into place, the CA first and the certificate last", () => {
    const dir = firstGeneration("swap-");
    assert.equal(run(dir).status, 0);
    const inode = (name: string) => fs.statSync(path.join(dir, "tls", name)).ino;
    const before = { key: inode("server-key.pem"), cert: inode("server.pem"), ca: inode("ca.pem") };
    kubeletSecret(dir, files("KEY2", "CERT2"), "gen2");
    assert.equal(run(dir).status, 0);
    assert.equal(fs.readFileSync(path.join(dir, "tls", "server.pem"), "utf8"), "CERT2");
    assert.equal(fs.readFileSync(path.join(dir, "tls", "server-key.pem"), "utf8"), "KEY2");
    // A new file (a new inode) where Consul's watcher watched the old one: it sees the rename and reloads.
    assert.notEqual(inode("server.pem"), before.cert);
    assert.notEqual(inode("server-key.pem"), before.key);
    assert.notEqual(inode("ca.pem"), before.ca);
    const mtime = (name: string) => fs.statSync(path.join(dir, "tls", name)).mtimeMs;
    assert.ok(mtime("ca.pem") <= mtime("server-key.pem") && mtime("server-key.pem") <= mtime("server.pem"));
    assert.deepEqual(fs.readdirSync(path.join(dir, "tls")).sort(), ["ca.pem", "server-key.pem", "server.pem"]);
  });

  it("a CA-only change still renames the watched key and certificate, so Consul reloads and reads the new CA", () => {
    // Consul watches only the key and certificate files (hashicorp/consul agent/agent.go New).
    const dir = firstGeneration("ca-only-");
    assert.equal(run(dir).status, 0);
    const inode = (name: string) => fs.statSync(path.join(dir, "tls", name)).ino;
    const before = { key: inode("server-key.pem"), cert: inode("server.pem") };
    kubeletSecret(dir, { ...files("KEY1", "CERT1"), "ca.pem": "CA2" }, "gen2");
    assert.equal(run(dir).status, 0);
    assert.equal(fs.readFileSync(path.join(dir, "tls", "ca.pem"), "utf8"), "CA2");
    assert.notEqual(inode("server-key.pem"), before.key);
    assert.notEqual(inode("server.pem"), before.cert);
  });

  it("rewrites nothing when nothing changed", () => {
    const dir = firstGeneration("same-");
    assert.equal(run(dir).status, 0);
    const inodes = () =>
      ["ca.pem", "server-key.pem", "server.pem"].map((n) => fs.statSync(path.join(dir, "tls", n)).ino);
    const before = inodes();
    assert.equal(run(dir).status, 0);
    assert.deepEqual(inodes(), before);
  });

  it("a temporary file left by a killed run does not stop the next copy", () => {
    const dir = firstGeneration("leftover-");
    fs.writeFileSync(path.join(dir, "tls", ".server-key.pem.tmp"), "half", { mode: 0o400 });
    // As the consul user (uid 100, gid 1000), as in the pod: root would overwrite a 0400 file and hide the failure.
    let result: ReturnType<typeof run>;
    if (process.getuid?.() !== 0) result = run(dir);
    else {
      for (const p of [root, path.join(root, "bin"), dir]) fs.chmodSync(p, 0o755);
      spawnSync("chown", ["-R", "100:1000", dir]);
      result = spawnSync(
        "/usr/bin/setpriv",
        [
          "--reuid=100",
          "--regid=1000",
          "--clear-groups",
          path.join(root, "bin", "sh"),
          "-c",
          script(dir),
          "tls-copy",
          "once",
        ],
        { env, encoding: "utf8" },
      );
    }
    assert.equal(result.status, 0, result.stderr);
    assert.equal(fs.readFileSync(path.join(dir, "tls", "server-key.pem"), "utf8"), "KEY1");
    assert.deepEqual(fs.readdirSync(path.join(dir, "tls")).sort(), ["ca.pem", "server-key.pem", "server.pem"]);
  });

  it("beside Consul, follows a swap on its own and stops at once on SIGTERM", async () => {
    const dir = firstGeneration("follow-");
    const child = spawn(path.join(root, "bin", "sh"), ["-c", script(dir, 1), "tls-copy"], { env });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const cert = () => fs.readFileSync(path.join(dir, "tls", "server.pem"), "utf8");
    const waitFor = async (want: string) => {
      for (let i = 0; i < 50 && !(fs.existsSync(path.join(dir, "tls", "server.pem")) && cert() === want); i++)
        await new Promise((r) => setTimeout(r, 100));
    };
    await waitFor("CERT1");
    assert.equal(cert(), "CERT1");
    kubeletSecret(dir, files("KEY2", "CERT2"), "gen2");
    await waitFor("CERT2");
    assert.equal(cert(), "CERT2");
    const stoppedAt = Date.now();
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    assert.ok(Date.now() - stoppedAt < 900, "the trap ends the wait, not the next tick");
  });
});
