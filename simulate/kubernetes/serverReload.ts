/**
 * How a Consul server on Kubernetes comes to use a renewed certificate or a changed config file, without a restart.
 *
 * With `auto_reload_config`, Consul watches each `-config-dir`/`-config-file` path as given on the command line
 * (hashicorp/consul agent/config/flags.go adds both to ConfigFiles; agent/config/builder.go Load returns them as
 * WatchedFiles) and the cert and key file of internal_rpc, grpc and https (agent/agent.go New; not the CA file).
 * Its watcher refuses a path that is a symbolic link ("symbolic link are not supported", agent/config/file_watcher.go
 * add/isSymLink) and the agent then fails to start. Every file of a kubelet Secret, ConfigMap or projected volume is
 * such a link (into `..data`); the mount point itself is a plain directory, so a config directory mounted whole is
 * accepted, and kubelet's swap of `..data` changes that directory's modification time, which the watcher's
 * reconcile loop (every 200 ms, comparing os.Stat times) turns into a reload.
 *
 * So the TLS files reach the server as regular files in an emptyDir: an init container copies them from the Secret
 * before Consul starts (else Consul cannot open them: agent/setup.go NewBaseDeps loads them through
 * tlsutil.NewConfigurator), and a container beside Consul copies each changed one again and renames it into place.
 * The rename replaces the watched file: the watcher gets a Remove for the old file, or the reconcile loop sees a new
 * modification time, re-adds the watch and reloads (file_watcher.go handleEvent/reconcile). The reload applies the
 * new TLS files (agent.go reloadConfigInternal: tlsConfigurator.Update) and the keys in RELOADED_SERVER_KEYS.
 * A copier here is a container that mounts the TLS Secret and the emptyDir writable; what its script does is
 * pinned by tests/consul/consulKubernetesObjects.spec.ts, which runs it.
 */
import { isDeepStrictEqual } from "node:util";
import { RELOADED_SERVER_KEYS } from "../../consul/agentConfig";
import type { RecordedResource } from "../recorder";
import type { SystemFinding } from "../system";
import {
  K8S,
  clusterOf,
  labelsOf,
  list,
  nameOf,
  namespaceOf,
  obj,
  objectKeys,
  podTemplate,
  str,
  type Obj,
} from "./objects";

export const AUTO_RELOAD_SOURCE =
  "hashicorp/consul agent/config/file_watcher.go (add, isSymLink); agent/agent.go (New); agent/config/builder.go (Load)";
export const TLS_LOAD_SOURCE = "hashicorp/consul agent/setup.go (NewBaseDeps: tlsutil.NewConfigurator)";
export const RELOAD_SOURCE =
  "hashicorp/consul agent/config/file_watcher.go (handleEvent, reconcile); agent/agent.go (reloadConfig, reloadConfigInternal)";
export const ROLLOUT_SOURCE =
  "kubernetes/kubernetes pkg/controller/statefulset/stateful_set_control.go (RollingUpdate)";

const TLS_PROTOCOLS = ["internal_rpc", "grpc", "https"] as const;

function serverConfigMap(resources: readonly RecordedResource[], cluster: string): RecordedResource | undefined {
  return resources.find(
    (r) =>
      r.type === K8S.configMap &&
      labelsOf(r)["lucid.mesh/role"] === "consul-server" &&
      clusterOf(r) === cluster &&
      Object.keys(obj(r.inputs.data)).some((k) => k.endsWith(".json")),
  );
}

/**
 * The servers' agent config as Consul reads its config directory: every `*.json` file in name order, later keys
 * over earlier ones (agent/config/builder.go sourcesFromPath). Top-level keys only: enough for the keys read here.
 */
function serverConfigs(resources: readonly RecordedResource[], cluster: string): Record<string, unknown> {
  const data = obj(serverConfigMap(resources, cluster)?.inputs.data);
  const files = Object.keys(data)
    .filter((k) => k.endsWith(".json"))
    .sort();
  return Object.assign({}, ...files.map((k) => obj(JSON.parse(str(data[k]) ?? "{}") as unknown))) as Record<
    string,
    unknown
  >;
}

function isConsulServer(r: RecordedResource): boolean {
  return r.type === K8S.statefulSet && labelsOf(r)["lucid.mesh/role"] === "consul-server";
}

function commandOf(container: Obj): string[] {
  return [container.command, container.args]
    .flatMap((x) => (Array.isArray(x) ? (x as unknown[]) : []))
    .map(str)
    .filter((x): x is string => x !== undefined);
}

/** The container that runs `consul agent`. */
function agentContainer(spec: Obj): Obj | undefined {
  return list(spec.containers).find((c) => {
    const cmd = commandOf(c);
    return cmd[0] === "consul" && cmd[1] === "agent";
  });
}

/** What Consul's watcher adds: the config paths from the command line, then each protocol's key and cert file. */
export function watchedPaths(
  command: readonly string[],
  config: Record<string, unknown>,
): {
  config: string[];
  tls: string[];
} {
  const configPaths = command.flatMap((arg) => {
    const m = /^-(?:config-dir|config-file)=(.+)$/.exec(arg);
    return m?.[1] ? [m[1]] : [];
  });
  const tls = obj(config.tls);
  const defaults = obj(tls.defaults);
  const files = TLS_PROTOCOLS.flatMap((p) => {
    const own = obj(tls[p]);
    return [str(own.key_file) ?? str(defaults.key_file), str(own.cert_file) ?? str(defaults.cert_file)];
  }).filter((p): p is string => p !== undefined);
  return { config: configPaths, tls: [...new Set(files)] };
}

interface PathOrigin {
  readonly mountPath: string;
  readonly volume: Obj;
  readonly readOnly: boolean;
}

/** The mount a path lies in, for one container: the deepest mount point at or above it. */
function originOf(spec: Obj, container: Obj, path: string): PathOrigin | undefined {
  const volumes = new Map(list(spec.volumes).map((v) => [str(v.name) ?? "", v]));
  const mounts = list(container.volumeMounts)
    .filter((m) => !m.subPath)
    .map((m) => ({ mount: m, dir: str(m.mountPath) ?? "" }))
    .filter(({ dir }) => path === dir || path.startsWith(`${dir}/`))
    .sort((a, b) => b.dir.length - a.dir.length);
  const found = mounts[0];
  const volume = found && volumes.get(str(found.mount.name) ?? "");
  return found && volume ? { mountPath: found.dir, volume, readOnly: found.mount.readOnly === true } : undefined;
}

/** kubelet mounts each file below a Secret, ConfigMap or projected volume as a symlink into `..data`. */
function isSymlinkedFile(origin: PathOrigin | undefined, path: string): boolean {
  const v = origin?.volume;
  return v !== undefined && Boolean(v.secret || v.configMap || v.projected) && path !== origin?.mountPath;
}

function secretNameOf(volume: Obj): string | undefined {
  return str(obj(volume.secret).secretName);
}

/**
 * The containers that copy a Secret's keys into the emptyDir a file lies in: each mounts that emptyDir writable
 * and a Secret that holds a key named as the file.
 */
function copiersOf(
  resources: readonly RecordedResource[],
  r: RecordedResource,
  containers: readonly Obj[],
  target: PathOrigin,
  path: string,
): Obj[] {
  const { spec } = podTemplate(r);
  const volumes = new Map(list(spec.volumes).map((v) => [str(v.name) ?? "", v]));
  const file = path.slice(target.mountPath.length + 1);
  return containers.filter((c) => {
    const mounts = list(c.volumeMounts);
    const writes = mounts.some((m) => volumes.get(str(m.name) ?? "") === target.volume && m.readOnly !== true);
    const reads = mounts.some((m) => {
      const name = secretNameOf(volumes.get(str(m.name) ?? "") ?? {});
      return name !== undefined && (objectKeys(resources, r, K8S.secret, namespaceOf(r), name) ?? []).includes(file);
    });
    return writes && reads;
  });
}

interface ServerPod {
  readonly resource: RecordedResource;
  readonly spec: Obj;
  readonly agent: Obj;
  readonly config: Record<string, unknown>;
  readonly watched: { config: string[]; tls: string[] };
}

function serverPods(resources: readonly RecordedResource[]): ServerPod[] {
  return resources.filter(isConsulServer).flatMap((r) => {
    const { spec } = podTemplate(r);
    const agent = agentContainer(spec);
    if (!agent) return [];
    const config = serverConfigs(resources, clusterOf(r) ?? "");
    return [{ resource: r, spec, agent, config, watched: watchedPaths(commandOf(agent), config) }];
  });
}

/** `auto_reload_config` on a path kubelet mounts as a symlink: the agent does not start. */
export function autoReloadOnSymlinks(resources: readonly RecordedResource[]): SystemFinding[] {
  return serverPods(resources).flatMap((pod) => {
    if (pod.config.auto_reload_config !== true) return [];
    return [...pod.watched.config, ...pod.watched.tls]
      .filter((p) => isSymlinkedFile(originOf(pod.spec, pod.agent, p), p))
      .map((path) => ({
        system: "consul",
        rule: "consul/agent/auto-reload-symlink",
        source: AUTO_RELOAD_SOURCE,
        subject: pod.resource.urn,
        message: `symbolic link are not supported ${path}`,
      }));
  });
}

/** A TLS file in an emptyDir that no init container fills: the agent cannot open it at start. */
export function tlsFilesNeverWritten(resources: readonly RecordedResource[]): SystemFinding[] {
  return serverPods(resources).flatMap((pod) =>
    pod.watched.tls.flatMap((path) => {
      const origin = originOf(pod.spec, pod.agent, path);
      if (!origin?.volume.emptyDir) return [];
      if (copiersOf(resources, pod.resource, list(pod.spec.initContainers), origin, path).length) return [];
      return [
        {
          system: "consul",
          rule: "consul/agent/tls-file-missing",
          source: TLS_LOAD_SOURCE,
          subject: pod.resource.urn,
          message: `open ${path}: no such file or directory (no init container copies it into the emptyDir)`,
        },
      ];
    }),
  );
}

/** Whether a running server follows a change of its TLS Secret: every watched TLS file is copied again on change. */
function followsTlsSecret(resources: readonly RecordedResource[], pod: ServerPod): boolean {
  return pod.watched.tls.every((path) => {
    const origin = originOf(pod.spec, pod.agent, path);
    const others = list(pod.spec.containers).filter((c) => c !== pod.agent);
    return origin?.volume.emptyDir !== undefined && copiersOf(resources, pod.resource, others, origin, path).length > 0;
  });
}

export type PickUp = "rolling-restart" | "reload" | "stale" | "unchanged";

function withoutReloaded(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).filter(([k]) => !RELOADED_SERVER_KEYS.includes(k)));
}

/**
 * After a second `up` that renewed the server certificate (or changed the server config): does each cluster's
 * Consul serve the new one, and how? `before` and `after` are the recorded resources of the two runs. A changed
 * pod template is a rolling restart, whatever else holds; otherwise the servers reload when auto_reload_config is
 * on, nothing it watches is a symlink, a running copier follows the TLS Secret (when it changed) and the config
 * changed only in keys a reload applies (when it changed). Anything else is stale: kubelet refreshed files nothing
 * reads.
 */
export function serversAfterChange(
  before: readonly RecordedResource[],
  after: readonly RecordedResource[],
): Record<string, PickUp> {
  const result: Record<string, PickUp> = {};
  for (const pod of serverPods(after)) {
    const next = pod.resource;
    const cluster = clusterOf(next) ?? nameOf(next);
    const prev = before.find((r) => r.urn === next.urn);
    if (!prev) continue;
    const tls = (rs: readonly RecordedResource[]) =>
      rs.find(
        (r) =>
          r.type === K8S.secret &&
          clusterOf(r) === clusterOf(next) &&
          nameOf(r) === "consul-server-tls" &&
          namespaceOf(r) === namespaceOf(next),
      )?.inputs.stringData;
    const tlsChanged = !isDeepStrictEqual(tls(before), tls(after));
    const configChanged = !isDeepStrictEqual(serverConfigs(before, cluster), serverConfigs(after, cluster));
    if (!tlsChanged && !configChanged) result[cluster] = "unchanged";
    else if (!isDeepStrictEqual(obj(prev.inputs.spec).template, obj(next.inputs.spec).template))
      result[cluster] = "rolling-restart";
    else {
      const reloads =
        pod.config.auto_reload_config === true &&
        autoReloadOnSymlinks(after).every((f) => f.subject !== next.urn) &&
        (!tlsChanged || followsTlsSecret(after, pod)) &&
        (!configChanged ||
          isDeepStrictEqual(withoutReloaded(serverConfigs(before, cluster)), withoutReloaded(pod.config)));
      result[cluster] = reloads ? "reload" : "stale";
    }
  }
  return result;
}

export const JOB_REPLACE_SOURCE = "pulumi/pulumi-kubernetes provider/pkg/provider/forcenew.go (job: .spec.template)";

/**
 * After a second `up` that changed the ACL bootstrap's script or policies (its ConfigMap): a completed Job never
 * runs again unless it is replaced, and pulumi-kubernetes replaces a Job only when its `.spec.selector` or
 * `.spec.template` changes. `rerun` when the template changed with the files, `stale` when only the files did.
 */
export function aclBootstrapAfterChange(
  before: readonly RecordedResource[],
  after: readonly RecordedResource[],
): Record<string, "rerun" | "stale" | "unchanged"> {
  const result: Record<string, "rerun" | "stale" | "unchanged"> = {};
  for (const next of after.filter((r) => r.type === K8S.job)) {
    const prev = before.find((r) => r.urn === next.urn);
    if (!prev) continue;
    const files = (rs: readonly RecordedResource[]) =>
      rs.find(
        (r) =>
          r.type === K8S.configMap &&
          r.provider === next.provider &&
          namespaceOf(r) === namespaceOf(next) &&
          nameOf(r) === nameOf(next),
      )?.inputs.data;
    const cluster = clusterOf(next) ?? nameOf(next);
    if (isDeepStrictEqual(files(before), files(after))) result[cluster] = "unchanged";
    else
      result[cluster] = isDeepStrictEqual(obj(prev.inputs.spec).template, obj(next.inputs.spec).template)
        ? "stale"
        : "rerun";
  }
  return result;
}
