/**
 * A real dockerd, driven the way kreuzwerker/terraform-provider-docker drives it (internal/provider/
 * resource_docker_container_funcs.go, resourceDockerContainerCreate): ContainerCreate with the same Config and
 * HostConfig, disconnect `bridge` and NetworkConnect each `networks_advanced` entry, one CopyToContainer at "/" per
 * upload, ContainerStart, then `wait` (healthy) or `attach` (exited). The Engine API over the unix socket of
 * DOCKER_HOST; `docker` CLI only for exec. Test support for `npm run test:docker`, never part of `npm test`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parseCpus } from "../../simulate/docker";
import type { RecordedResource } from "../../simulate/recorder";

const run = promisify(execFile);
const MIB = 1024 * 1024;

export const STANDIN_IMAGE = "standin:1";

export function dockerHost(): string {
  const host = process.env.DOCKER_HOST ?? "";
  if (!host.startsWith("unix://"))
    throw new Error("DOCKER_HOST must name a dockerd unix socket (tests/docker/dockerd.sh start <dir> prints one)");
  return host;
}

export class EngineError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** One Engine API call; JSON in and out, or a raw body (a tar archive) in. */
export function api<T = unknown>(method: string, urlPath: string, body?: unknown, raw?: Buffer): Promise<T> {
  const socketPath = dockerHost().slice("unix://".length);
  return new Promise((resolve, reject) => {
    const payload = raw ?? (body === undefined ? undefined : Buffer.from(JSON.stringify(body)));
    const req = http.request(
      {
        socketPath,
        method,
        path: `/v1.41${urlPath}`,
        headers: payload
          ? { "Content-Type": raw ? "application/x-tar" : "application/json", "Content-Length": payload.length }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            let message = text;
            try {
              message = (JSON.parse(text) as { message: string }).message;
            } catch {
              // not JSON: keep the text
            }
            reject(new EngineError(status, message));
          } else resolve((text ? JSON.parse(text) : undefined) as T);
        });
      },
    );
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run("docker", ["-H", dockerHost(), ...args], { maxBuffer: 16 * MIB });
  return stdout;
}

// ---- What the program declared, as the provider turns it into an API request ----

interface Upload {
  file: string;
  content?: string;
  permissions?: string;
}
interface Healthcheck {
  tests?: string[];
  interval?: string;
  timeout?: string;
  startPeriod?: string;
  retries?: number;
}
interface Port {
  internal: number;
  external?: number;
  ip?: string;
  protocol?: string;
}
export interface ContainerInputs {
  name: string;
  image: string;
  hostname?: string;
  user?: string;
  entrypoints?: string[];
  command?: string[];
  envs?: string[];
  labels?: Array<{ label: string; value: string }>;
  healthcheck?: Healthcheck;
  memory?: number;
  memorySwap?: number;
  cpus?: string;
  readOnly?: boolean;
  tmpfs?: Record<string, string>;
  capabilities?: { drops?: string[]; adds?: string[] };
  securityOpts?: string[];
  restart?: string;
  init?: boolean;
  networkMode?: string;
  networksAdvanced?: Array<{ name: string; aliases?: string[]; ipv4Address?: string }>;
  volumes?: Array<{ volumeName?: string; containerPath: string; readOnly?: boolean }>;
  ports?: Port[];
  logDriver?: string;
  logOpts?: Record<string, string>;
  privileged?: boolean;
  uploads?: Upload[];
  start?: boolean;
  attach?: boolean;
  wait?: boolean;
  waitTimeout?: number;
}

/** Go duration strings the program uses ("10s", "500ms") in nanoseconds. */
function nanos(duration: string | undefined): number {
  if (!duration) return 0;
  const units: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/g)) total += Number(n) * units[unit!]!;
  return total;
}

/** The create request of resourceDockerContainerCreate, with the stand-in image and, where given, its command. */
export function createRequest(
  c: ContainerInputs,
  networkMode: string,
  standIn?: { entrypoint: string[]; command: string[] },
): Record<string, unknown> {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of c.ports ?? []) {
    const key = `${p.internal}/${p.protocol ?? "tcp"}`;
    exposed[key] = {};
    bindings[key] = [{ HostIp: p.ip ?? "", HostPort: String(p.external ?? "") }];
  }
  const hc = c.healthcheck;
  return {
    Image: STANDIN_IMAGE,
    ...(c.hostname ? { Hostname: c.hostname } : {}),
    ...(c.user ? { User: c.user } : {}),
    Entrypoint: standIn?.entrypoint ?? c.entrypoints ?? null,
    Cmd: standIn?.command ?? c.command ?? null,
    Env: c.envs ?? [],
    Labels: Object.fromEntries((c.labels ?? []).map((l) => [l.label, l.value])),
    ExposedPorts: exposed,
    ...(hc
      ? {
          Healthcheck: {
            Test: hc.tests,
            Interval: nanos(hc.interval),
            Timeout: nanos(hc.timeout),
            StartPeriod: nanos(hc.startPeriod),
            Retries: hc.retries ?? 0,
          },
        }
      : {}),
    HostConfig: {
      ReadonlyRootfs: c.readOnly ?? false,
      Privileged: c.privileged ?? false,
      Tmpfs: c.tmpfs ?? {},
      CapDrop: c.capabilities?.drops ?? [],
      CapAdd: c.capabilities?.adds ?? [],
      SecurityOpt: c.securityOpts ?? [],
      RestartPolicy: { Name: c.restart ?? "no" },
      Init: c.init ?? false,
      Memory: (c.memory ?? 0) * MIB,
      ...(c.memorySwap ? { MemorySwap: c.memorySwap > 0 ? c.memorySwap * MIB : c.memorySwap } : {}),
      ...(c.cpus ? { NanoCpus: Number(parseCpus(c.cpus)) } : {}),
      NetworkMode: networkMode,
      Binds: (c.volumes ?? []).map((v) => `${v.volumeName}:${v.containerPath}:${v.readOnly ? "ro" : "rw"}`),
      PortBindings: bindings,
      LogConfig: { Type: c.logDriver ?? "", Config: c.logOpts ?? {} },
    },
  };
}

/** One upload as the provider sends it: a tar holding `file` with the upload's mode, extracted at "/". */
export async function uploadTar(upload: Upload): Promise<Buffer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lucid-upload-"));
  try {
    const relative = upload.file.replace(/^\/+/, "");
    mkdirSync(path.join(dir, path.dirname(relative)), { recursive: true });
    writeFileSync(path.join(dir, relative), upload.content ?? "");
    chmodSync(path.join(dir, relative), parseInt(upload.permissions ?? "0644", 8));
    const { stdout } = await promisify(execFile)("tar", ["-C", dir, "--owner=0", "--group=0", "-c", relative], {
      encoding: "buffer",
      maxBuffer: 16 * MIB,
    });
    return stdout as unknown as Buffer;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ContainerState {
  Id: string;
  Name: string;
  State: { Running: boolean; Status: string; ExitCode: number; StartedAt: string; Health?: { Status: string } };
  HostConfig: {
    NetworkMode: string;
    Memory: number;
    MemorySwap: number;
    NanoCpus: number;
    ReadonlyRootfs: boolean;
    RestartPolicy: { Name: string };
    Tmpfs?: Record<string, string> | null;
    CapAdd?: string[] | null;
    CapDrop?: string[] | null;
    SecurityOpt?: string[] | null;
    Init?: boolean | null;
    Privileged: boolean;
  };
  Config: {
    User: string;
    Healthcheck?: { Test: string[]; Interval: number; Timeout: number; StartPeriod: number; Retries: number };
  };
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
  Mounts: { Type: string; Name?: string; Destination: string; RW: boolean }[];
}

export const inspect = (name: string): Promise<ContainerState> =>
  api<ContainerState>("GET", `/containers/${encodeURIComponent(name)}/json`);

async function until(what: string, timeoutMs: number, test: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await test()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * resourceDockerContainerCreate for one container. Returns the container ID. Throws the provider's own message
 * when dockerd refuses (e.g. "Unable to upload volume content: ...").
 */
export async function createLikeTheProvider(
  c: ContainerInputs,
  networkMode: string,
  standIn?: { entrypoint: string[]; command: string[] },
): Promise<string> {
  let id: string;
  try {
    id = (
      await api<{ Id: string }>("POST", `/containers/create?name=${c.name}`, createRequest(c, networkMode, standIn))
    ).Id;
  } catch (e) {
    throw new Error(`Unable to create container: ${(e as Error).message}`, { cause: e });
  }
  if (c.networksAdvanced?.length) {
    try {
      await api("POST", `/networks/bridge/disconnect`, { Container: id, Force: false });
    } catch (e) {
      if (!/is not connected to the network bridge/.test((e as Error).message))
        throw new Error(`Unable to disconnect the default network: ${(e as Error).message}`, { cause: e });
    }
    for (const n of c.networksAdvanced) {
      await api("POST", `/networks/${encodeURIComponent(n.name)}/connect`, {
        Container: id,
        EndpointConfig: { Aliases: n.aliases ?? [], IPAMConfig: n.ipv4Address ? { IPv4Address: n.ipv4Address } : {} },
      }).catch((e: Error) => {
        throw new Error(`Unable to connect to network '${n.name}': ${e.message}`, { cause: e });
      });
    }
  }
  for (const u of c.uploads ?? []) {
    try {
      await api("PUT", `/containers/${id}/archive?path=/`, undefined, await uploadTar(u));
    } catch (e) {
      throw new Error(`Unable to upload volume content: Error response from daemon: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
  if (c.start === false) return id;
  await api("POST", `/containers/${id}/start`).catch((e: Error) => {
    throw new Error(`Unable to start container: ${e.message}`, { cause: e });
  });
  // The provider polls until healthy or wait_timeout, whatever the state, then fails with its own error.
  if (c.wait)
    await until(`${c.name} to be healthy`, (c.waitTimeout ?? 60) * 1000, async () => {
      return (await inspect(id)).State.Health?.Status === "healthy";
    }).catch(() => {
      throw new Error("container failed to be in healthy state");
    });
  if (c.attach) await api("POST", `/containers/${id}/wait?condition=not-running`);
  return id;
}

/** Remove what a previous run left, by name only (never anything else on the daemon). */
export async function removeContainers(names: readonly string[]): Promise<void> {
  for (const name of names) await api("DELETE", `/containers/${name}?force=true&v=false`).catch(() => undefined);
}

export async function removeNetworks(names: readonly string[]): Promise<void> {
  for (const name of names) await api("DELETE", `/networks/${name}`).catch(() => undefined);
}

export async function removeVolumes(names: readonly string[]): Promise<void> {
  for (const name of names) await api("DELETE", `/volumes/${name}`).catch(() => undefined);
}

/** Container inputs of a recorded resource (the engine received them resolved, secrets unwrapped). */
export const containerInputs = (r: RecordedResource): ContainerInputs => r.inputs as unknown as ContainerInputs;
