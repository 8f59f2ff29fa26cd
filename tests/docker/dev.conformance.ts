/**
 * `npm run test:docker`: the dev render's networks, volumes and containers applied to a real dockerd the way the
 * Docker provider applies them (engine.ts), then read back with inspect and compared with the Docker model
 * (simulate/docker). Needs DOCKER_HOST naming a dockerd (tests/docker/dockerd.sh); not part of `npm test`.
 */
import { applierPaths } from "../../consul/applier";
import { certificateSecret } from "../../envoy/sds";
import { envoyFiles } from "../../model/names";
import { toYaml } from "../../model/yaml";
import { strict as assert } from "node:assert";
import { statSync, watch } from "node:fs";
import { containerFindings, nanoToDecimalString, readBackContainer, type DockerHost } from "../../simulate/docker";
import { stableId, type RecordedResource } from "../../simulate/recorder";
import { simulateStack } from "../../simulate/stack";
import type { Deployment } from "../../simulate/system";
import { PROJECT_DIR } from "../helpers/stacks";
import {
  api,
  containerInputs,
  createLikeTheProvider,
  docker,
  inspect,
  removeContainers,
  removeNetworks,
  removeVolumes,
  type ContainerInputs,
  type ContainerState,
} from "./engine";

const CONTAINER = "docker:index/container:Container";
const NETWORK = "docker:index/network:Network";
const VOLUME = "docker:index/volume:Volume";
const APP_PORT = 18080;
/** The SDS file whose inline chain a leaf renewal changes (envoy/sds.ts). */
const CERTIFICATE_SDS = `${envoyFiles.secretsDirectory}/${envoyFiles.certificateSds}`;

const label = (c: ContainerInputs, key: string) => c.labels?.find((l) => l.label === key)?.value;

type Kind = "holder" | "app" | "envoy" | "writer" | "consul" | "acl-init" | "esm" | "applier";

function kindOf(c: ContainerInputs): Kind {
  const entry = c.entrypoints?.[0];
  if (label(c, "lucid.mesh/netns")) return "holder";
  // The Consul applier (its writer has uploads; the applier reads them from the volume).
  if (label(c, "lucid.mesh/role") === "consul-applier" && (c.uploads ?? []).length === 0) return "applier";
  if (entry === "/usr/local/bin/envoy") return "envoy";
  if (entry === "consul") return "consul";
  if (entry === "/bin/sh" && c.command?.length === 1 && c.attach !== true) return "writer";
  if (c.attach === true) return "acl-init";
  if (label(c, "lucid.mesh/role") === "consul-esm") return "esm";
  return "app";
}

const idle = { entrypoint: ["/bin/sh", "-c"], command: ["trap 'exit 0' TERM; while :; do sleep 1; done"] };

/** What stands in for each image's program; writers run their real script. */
function standInFor(kind: Kind): { entrypoint: string[]; command: string[] } | undefined {
  switch (kind) {
    case "writer":
      return undefined;
    case "app":
      return {
        entrypoint: ["/bin/sh", "-c"],
        command: [
          `mkdir -p /tmp/www && echo app-ok > /tmp/www/index.html && exec httpd -f -p 127.0.0.1:${APP_PORT} -h /tmp/www`,
        ],
      };
    case "acl-init":
      return { entrypoint: ["/bin/sh", "-c"], command: ["exit 0"] };
    case "applier":
      // No Consul runs here to accept a pass: the stand-in writes the marker an accepted pass writes (on the
      // container's /tmp tmpfs, under its read-only root and user), and the real health check must then pass.
      return {
        entrypoint: ["/bin/sh", "-c"],
        command: [`touch ${applierPaths.appliedMarker} && trap 'exit 0' TERM; while :; do sleep 1; done`],
      };
    default:
      return idle;
  }
}

/** Go's time.Duration.String() for whole seconds and milliseconds: what the provider reads healthchecks with. */
function goDuration(nanos: number): string {
  if (nanos === 0) return "0s";
  if (nanos < 1e9) return `${nanos / 1e6}ms`;
  const s = nanos / 1e9;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${m}m${sec}s` : m > 0 ? `${m}m${sec}s` : `${sec}s`;
}

/** resourceDockerContainerRead for the keys the model reads back (resource_docker_container_funcs.go). */
function providerRead(
  state: ContainerState,
  declared: ContainerInputs & { mustRun?: boolean },
): Record<string, unknown> {
  const h = state.HostConfig;
  const out: Record<string, unknown> = {
    networkMode: h.NetworkMode,
    memory: h.Memory / 1024 / 1024,
    memorySwap: h.MemorySwap > 0 ? h.MemorySwap / 1024 / 1024 : h.MemorySwap,
  };
  if (h.NanoCpus > 0) out.cpus = nanoToDecimalString(BigInt(h.NanoCpus));
  const hc = state.Config.Healthcheck;
  if (hc)
    out.healthcheck = {
      tests: hc.Test,
      interval: goDuration(hc.Interval ?? 0),
      timeout: goDuration(hc.Timeout ?? 0),
      startPeriod: goDuration(hc.StartPeriod ?? 0),
      startInterval: "0s",
      retries: hc.Retries,
    };
  // must_run is never read from dockerd; a stopped container is read with must_run false when it was true.
  if (!state.State.Running && declared.mustRun !== false) out.mustRun = false;
  return out;
}

/** Null config is the zero value to terraform-plugin-sdk (helper/schema diffString): "0s", 0, "bridge", true. */
const ZERO: Record<string, unknown> = { memory: 0, memorySwap: 0, networkMode: "bridge", mustRun: true };
const HEALTH_ZERO: Record<string, unknown> = {
  interval: "0s",
  timeout: "0s",
  startPeriod: "0s",
  startInterval: "0s",
  retries: 0,
};

function order(resources: readonly RecordedResource[]): RecordedResource[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const done = new Set<string>();
  const out: RecordedResource[] = [];
  const visit = (r: RecordedResource) => {
    if (done.has(r.urn)) return;
    done.add(r.urn);
    for (const d of r.dependencies) {
      const dep = byUrn.get(d);
      if (dep) visit(dep);
    }
    out.push(r);
  };
  resources.forEach(visit);
  return out;
}

async function exec(container: string, script: string): Promise<string> {
  return docker("exec", container, "sh", "-c", script);
}

describe("Docker conformance: the dev render on a real dockerd", function () {
  this.timeout(600_000);
  let resources: RecordedResource[];
  let containers: RecordedResource[];
  let deployment: Deployment;
  let host: DockerHost;
  /** Real container ID by the model's ID (the mocks' stableId), and back. */
  const realId = new Map<string, string>();
  const modelId = new Map<string, string>();
  const created: string[] = [];
  const failures: string[] = [];

  const byName = (name: string): RecordedResource => {
    const r = containers.find((c) => containerInputs(c).name === name);
    assert.ok(r, `no container ${name}`);
    return r;
  };
  const toReal = (mode: string) =>
    mode.startsWith("container:") ? `container:${realId.get(mode.slice(10)) ?? mode.slice(10)}` : mode;

  before(async function () {
    const stack = await simulateStack(PROJECT_DIR, "dev");
    resources = [...stack.recorder.resources];
    containers = order(resources.filter((r) => r.type === CONTAINER));
    deployment = { resources, outputsOf: () => undefined };
    const info = await api<{ SwapLimit: boolean }>("GET", "/info");
    host = { swapLimit: info.SwapLimit };

    const networks = resources.filter((r) => r.type === NETWORK);
    const volumes = resources.filter((r) => r.type === VOLUME);
    const names = (rs: RecordedResource[]) => rs.map((r) => String(r.inputs.name));
    await removeContainers([
      ...names(containers),
      "conformance-readonly-upload",
      "conformance-by-name",
      "conformance-app",
      "conformance-broken-writer",
    ]);
    await removeNetworks(names(networks));
    await removeVolumes(names(volumes));

    for (const n of networks) {
      const ipam = (n.inputs.ipamConfigs ?? []) as Array<{ subnet: string; ipRange?: string }>;
      await api("POST", "/networks/create", {
        Name: n.inputs.name,
        Driver: n.inputs.driver ?? "bridge",
        IPAM: { Config: ipam.map((c) => ({ Subnet: c.subnet, ...(c.ipRange ? { IPRange: c.ipRange } : {}) })) },
      });
    }
    for (const v of volumes) await api("POST", "/volumes/create", { Name: v.inputs.name });

    for (const r of containers) {
      const c = containerInputs(r);
      try {
        const id = await createLikeTheProvider(c, toReal(c.networkMode ?? "bridge"), standInFor(kindOf(c)));
        realId.set(stableId(CONTAINER, r.name), id);
        modelId.set(id, stableId(CONTAINER, r.name));
        created.push(c.name);
      } catch (e) {
        failures.push(`${c.name}: ${(e as Error).message}`);
      }
    }
  });

  after(async function () {
    if (process.env.LUCID_KEEP_CONTAINERS) return;
    await removeContainers([...created].reverse());
    await removeNetworks(resources.filter((r) => r.type === NETWORK).map((r) => String(r.inputs.name)));
    await removeVolumes(resources.filter((r) => r.type === VOLUME).map((r) => String(r.inputs.name)));
  });

  describe("the first up", () => {
    it("creates and starts every dev container, as the model's 0 refusals say", async () => {
      assert.deepEqual(containerFindings(deployment), []);
      assert.deepEqual(failures, []);
      assert.equal(created.length, containers.length);
      for (const r of containers) {
        const c = containerInputs(r);
        const state = await inspect(c.name);
        if (c.attach) assert.equal(state.State.ExitCode, 0, c.name);
        else assert.ok(state.State.Running, `${c.name} is ${state.State.Status}`);
      }
    });

    it("puts every file a writer was given where its Envoy or Consul container reads it, owned by that user", async () => {
      const missing: string[] = [];
      for (const r of containers) {
        const c = containerInputs(r);
        const kind = kindOf(c);
        if (kind !== "envoy" && kind !== "consul") continue;
        const writer = containerInputs(
          byName(kind === "consul" ? `${c.name}-files` : `${c.name.replace(/-sidecar$/, "")}-envoy-files`),
        );
        for (const u of writer.uploads ?? []) {
          const content = await exec(c.name, `cat '${u.file}'`).catch((e: Error) => e.message);
          if (content !== u.content) missing.push(`${c.name}: ${u.file}`);
        }
        const owner = (await exec(c.name, `stat -c %u '${writer.uploads![0]!.file}'`)).trim();
        assert.equal(owner, c.user!.split(":")[0], `${c.name} does not own its files`);
      }
      assert.deepEqual(missing, []);
    });

    it("gives each sidecar one volume for its config and secrets, mounted read-only at both directories", async () => {
      const sidecars = containers
        .map(containerInputs)
        .filter((c) => kindOf(c) === "envoy" && c.name.endsWith("-sidecar"));
      assert.ok(sidecars.length > 0);
      for (const c of sidecars) {
        const instance = c.name.replace(/-sidecar$/, "");
        const mounts = (await inspect(c.name)).Mounts.filter((m) => m.Destination.startsWith("/etc/envoy"));
        assert.deepEqual(
          mounts.map((m) => [m.Destination, m.Type, m.Name, m.RW]).sort(),
          [
            ["/etc/envoy", "volume", `${instance}-envoy-files`, false],
            ["/etc/envoy-secrets", "volume", `${instance}-envoy-files`, false],
          ],
          c.name,
        );
        // One directory behind both paths: the key is the envoy user's alone, and nothing in the sidecar writes.
        const [config, secrets] = (await exec(c.name, "stat -c %i /etc/envoy /etc/envoy-secrets")).trim().split("\n");
        assert.equal(config, secrets, c.name);
        assert.match(await exec(c.name, "stat -c '%u %a' /etc/envoy-secrets/key.pem"), /^101 400/);
        assert.match(await exec(c.name, "touch /etc/envoy-secrets/x 2>&1 || true"), /Read-only file system/);
      }
    });

    it("refuses an upload into a read-only rootfs with the model's message (moby daemon/archive_unix.go)", async () => {
      const sidecar = containerInputs(containers.find((r) => kindOf(containerInputs(r)) === "envoy")!);
      const bad = {
        ...sidecar,
        name: "conformance-readonly-upload",
        networkMode: "bridge",
        volumes: [],
        uploads: [{ file: "/etc/envoy/bootstrap.yaml", content: "x", permissions: "0444" }],
      };
      const model = containerFindings({
        resources: [
          { ...containers[0]!, name: bad.name, urn: "urn:bad", inputs: bad as unknown as Record<string, unknown> },
        ],
        outputsOf: () => undefined,
      });
      assert.deepEqual(
        model.map((f) => f.rule),
        ["docker/container/upload-read-only-rootfs"],
      );
      await assert.rejects(createLikeTheProvider(bad, "bridge", idle), (e: Error) => {
        assert.equal(e.message, model[0]!.message);
        return true;
      });
      await removeContainers([bad.name]);
    });

    it("stores container:<name> as container:<id>, as the model reads it back", async () => {
      const holder = containers.find((r) => kindOf(containerInputs(r)) === "holder")!;
      const joined = {
        name: "conformance-by-name",
        image: "x",
        networkMode: `container:${containerInputs(holder).name}`,
      };
      await createLikeTheProvider(joined, joined.networkMode, idle);
      const state = await inspect(joined.name);
      const model = readBackContainer(
        { ...holder, name: "by-name", urn: "urn:by-name", inputs: joined as unknown as Record<string, unknown> },
        deployment,
        host,
      );
      assert.equal(state.HostConfig.NetworkMode, `container:${realId.get(stableId(CONTAINER, holder.name))}`);
      assert.equal(model.networkMode, `container:${stableId(CONTAINER, holder.name)}`);
      await removeContainers([joined.name]);
    });

    it("reads back, for every container, exactly what the model says the provider stores", async () => {
      const mismatches: string[] = [];
      for (const r of containers) {
        const c = containerInputs(r);
        const real = providerRead(await inspect(c.name), c as ContainerInputs & { mustRun?: boolean });
        const mode = String(real.networkMode);
        if (mode.startsWith("container:")) real.networkMode = `container:${modelId.get(mode.slice(10)) ?? "?"}`;
        const model = readBackContainer(r, deployment, host);
        for (const key of new Set([...Object.keys(model), ...Object.keys(real)])) {
          if (key === "healthcheck") {
            const m = (model.healthcheck ?? {}) as Record<string, unknown>;
            const h = (real.healthcheck ?? {}) as Record<string, unknown>;
            for (const k of new Set([...Object.keys(m), ...Object.keys(h)]))
              if (JSON.stringify(m[k] ?? HEALTH_ZERO[k]) !== JSON.stringify(h[k] ?? HEALTH_ZERO[k]))
                mismatches.push(
                  `${c.name} healthcheck.${k}: model ${JSON.stringify(m[k])}, dockerd ${JSON.stringify(h[k])}`,
                );
          } else if (JSON.stringify(model[key] ?? ZERO[key]) !== JSON.stringify(real[key] ?? ZERO[key]))
            mismatches.push(
              `${c.name} ${key}: model ${JSON.stringify(model[key])}, dockerd ${JSON.stringify(real[key])}`,
            );
        }
      }
      assert.deepEqual(mismatches, []);
    });

    it("stores the other inputs the provider reads back exactly as declared (resourceDockerContainerRead)", async () => {
      const drift: string[] = [];
      for (const r of containers) {
        const c = containerInputs(r);
        const s = await inspect(c.name);
        const h = s.HostConfig;
        const pairs: Array<[string, unknown, unknown]> = [
          ["restart", c.restart ?? "no", h.RestartPolicy.Name],
          ["readOnly", c.readOnly ?? false, h.ReadonlyRootfs],
          ["tmpfs", c.tmpfs ?? {}, h.Tmpfs ?? {}],
          ["capabilities.adds", c.capabilities?.adds ?? [], h.CapAdd ?? []],
          ["capabilities.drops", c.capabilities?.drops ?? [], h.CapDrop ?? []],
          ["securityOpts", c.securityOpts ?? [], h.SecurityOpt ?? []],
          ["user", c.user ?? "", s.Config.User],
          ["init", c.init ?? false, h.Init ?? false],
          ["privileged", c.privileged ?? false, h.Privileged],
        ];
        for (const [key, declared, stored] of pairs)
          if (JSON.stringify(declared) !== JSON.stringify(stored))
            drift.push(`${c.name} ${key}: declared ${JSON.stringify(declared)}, stored ${JSON.stringify(stored)}`);
      }
      assert.deepEqual(drift, []);
    });

    it("reads back the same as declared: a second up changes nothing", async () => {
      for (const r of containers) {
        const c = containerInputs(r) as ContainerInputs & { mustRun?: boolean };
        const real = providerRead(await inspect(c.name), c);
        const mode = String(real.networkMode);
        if (mode.startsWith("container:")) real.networkMode = `container:${modelId.get(mode.slice(10))}`;
        assert.equal(real.networkMode, c.networkMode ?? "bridge", `${c.name} networkMode`);
        assert.equal(real.memorySwap, c.memorySwap ?? 0, `${c.name} memorySwap`);
        if (c.cpus) assert.equal(real.cpus, c.cpus, `${c.name} cpus`);
        assert.equal(real.mustRun ?? c.mustRun ?? true, c.mustRun ?? true, `${c.name} mustRun`);
      }
    });
  });

  describe("day two", () => {
    const instance = () => {
      const holder = containers.find((r) => kindOf(containerInputs(r)) === "holder")!;
      const name = containerInputs(holder).name.replace(/-netns$/, "");
      return { holder: `${name}-netns`, app: name, sidecar: `${name}-sidecar`, writer: `${name}-envoy-files` };
    };
    const holderAddress = async (holder: string) =>
      Object.values((await inspect(holder)).NetworkSettings.Networks)[0]!.IPAddress;
    const connected = async (sidecar: string, address: string) => {
      assert.match(
        await exec(sidecar, "ip -o -4 addr show"),
        new RegExp(`eth0\\s+inet ${address.replace(/\./g, "\\.")}/`),
      );
      assert.equal((await exec(sidecar, `wget -q -O- http://127.0.0.1:${APP_PORT}/`)).trim(), "app-ok");
    };
    const waitRunning = async (name: string) => {
      for (let i = 0; i < 40 && !(await inspect(name)).State.Running; i++) await new Promise((r) => setTimeout(r, 250));
    };

    it("keeps an app and its sidecar connected across a restart of either (the namespace holder)", async () => {
      const { holder, app, sidecar } = instance();
      const address = await holderAddress(holder);
      await connected(sidecar, address);
      await docker("restart", "-t", "1", app);
      await waitRunning(app);
      await new Promise((r) => setTimeout(r, 500));
      await connected(sidecar, address);
      await docker("restart", "-t", "1", sidecar);
      await waitRunning(sidecar);
      await connected(sidecar, address);
    });

    it("shows why: a container that joined the app itself is left with only lo after the app restarts (moby#24935)", async () => {
      // The old design: the app owns the namespace, the sidecar joins the app.
      const network = containerInputs(byName(instance().holder)).networksAdvanced![0]!.name;
      const app = { name: "conformance-app", image: "x", networksAdvanced: [{ name: network }] };
      await createLikeTheProvider(app, "bridge", idle);
      const joined = { name: "conformance-by-name", image: "x", networkMode: `container:${app.name}` };
      await createLikeTheProvider(joined, joined.networkMode, idle);
      assert.match(await exec(joined.name, "ip -o -4 addr show"), /eth0/);
      await docker("restart", "-t", "1", app.name);
      await waitRunning(app.name);
      assert.doesNotMatch(await exec(joined.name, "ip -o -4 addr show"), /eth0/);
      await removeContainers([joined.name, app.name]);
    });

    it("delivers a renewed certificate where the sidecar watches, replacing only the writer", async () => {
      const { holder, app, sidecar, writer } = instance();
      const before = await Promise.all([holder, app, sidecar].map(inspect));
      const oldInode = (await exec(sidecar, `stat -c %i ${CERTIFICATE_SDS}`)).trim();
      // What Envoy's watched_directory waits for: a file moved into /etc/envoy-secrets (IN_MOVED_TO). The stand-in
      // image has no inotify tool, so the watch is on the volume's directory on this host: the same inode the
      // sidecar's mount shows (dockerd is local: DOCKER_HOST is its socket).
      const volume = containerInputs(byName(sidecar)).volumes!.find((v) => v.containerPath === "/etc/envoy-secrets")!;
      const { Mountpoint } = await api<{ Mountpoint: string }>("GET", `/volumes/${volume.volumeName}`);
      assert.equal((await exec(sidecar, "stat -c %i /etc/envoy-secrets")).trim(), String(statSync(Mountpoint).ino));
      const moves: string[] = [];
      const watcher = watch(Mountpoint, (event, file) => moves.push(`${event} ${String(file)}`));
      const declared = containerInputs(byName(writer));
      // A renewal changes the chain inline in certificate.yaml (the key stays: the provider keeps the PrivateKey).
      const renewed = toYaml(certificateSecret("-----BEGIN CERTIFICATE-----\nrenewed\n-----END CERTIFICATE-----\n"));
      const uploads = declared.uploads!.map((u) => (u.file === CERTIFICATE_SDS ? { ...u, content: renewed } : u));
      // The provider's replacement of the writer (deleteBeforeReplace): delete, then create with the new uploads.
      await removeContainers([writer]);
      await createLikeTheProvider({ ...declared, uploads }, declared.networkMode ?? "bridge");
      assert.equal(await exec(sidecar, `cat ${CERTIFICATE_SDS}`), renewed);
      // A new inode: the file was renamed into the watched directory, the event Envoy's watched_directory acts on.
      assert.notEqual((await exec(sidecar, `stat -c %i ${CERTIFICATE_SDS}`)).trim(), oldInode);
      // The writer moved it in through its own mount of the shared volume; the unchanged public files did not move.
      // key.pem moves on every writer run: without CAP_DAC_OVERRIDE the writer cannot read the 0400 key it handed
      // to envoy, so `cmp` reports a difference (same content: Envoy reloads the same key).
      await new Promise((r) => setTimeout(r, 500));
      watcher.close();
      assert.deepEqual([...new Set(moves)].sort(), ["rename certificate.yaml", "rename key.pem"]);
      assert.match(await exec(sidecar, "stat -c '%u %a' /etc/envoy-secrets/key.pem"), /^101 400/);
      const after = await Promise.all([holder, app, sidecar].map(inspect));
      after.forEach((s, i) => {
        assert.equal(s.Id, before[i]!.Id, `${s.Name} was replaced`);
        assert.equal(s.State.StartedAt, before[i]!.State.StartedAt, `${s.Name} was restarted`);
      });
    });

    it("fails the up when a writer's script fails: it never turns healthy, so the provider's wait errors", async () => {
      const { writer, sidecar } = instance();
      const declared = containerInputs(byName(writer));
      const served = await exec(sidecar, `cat ${CERTIFICATE_SDS}`);
      const broken = {
        ...declared,
        name: "conformance-broken-writer",
        // a changed certificate and an owner that does not exist: chown fails half-way through
        uploads: declared.uploads!.map((u) => (u.file === CERTIFICATE_SDS ? { ...u, content: "broken\n" } : u)),
        command: [declared.command![0]!.replace(/chown 101:101/g, "chown nobody-here:nobody-here")],
        waitTimeout: 20,
      };
      await assert.rejects(createLikeTheProvider(broken, "none"), /^Error: container failed to be in healthy state$/);
      assert.notEqual((await inspect(broken.name)).State.Health?.Status, "healthy");
      // Nothing half-written reached the sidecar: files move in only once complete.
      assert.equal(await exec(sidecar, `cat ${CERTIFICATE_SDS}`), served);
      await removeContainers([broken.name]);
    });

    it("delivers a renewed Consul server certificate without replacing or restarting the server", async () => {
      const server = containers.map(containerInputs).find((c) => kindOf(c) === "consul")!;
      const writer = `${server.name}-files`;
      const before = await inspect(server.name);
      const declared = containerInputs(byName(writer));
      const renewed = "-----BEGIN CERTIFICATE-----\nrenewed server\n-----END CERTIFICATE-----\n";
      const uploads = declared.uploads!.map((u) => (u.file.endsWith("/server.pem") ? { ...u, content: renewed } : u));
      await removeContainers([writer]);
      await createLikeTheProvider({ ...declared, uploads }, declared.networkMode ?? "bridge");
      assert.equal(await exec(server.name, "cat /consul/tls/server.pem"), renewed);
      const after = await inspect(server.name);
      assert.equal(after.Id, before.Id);
      assert.equal(after.State.StartedAt, before.State.StartedAt);
    });
  });
});
