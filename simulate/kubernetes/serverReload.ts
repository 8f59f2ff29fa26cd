/**
 * How a Consul server on Kubernetes comes to use a renewed certificate or a changed `server.json`.
 *
 * kubelet updates a mounted Secret or ConfigMap in place (an atomic swap of the `..data` symlink), but Consul reads
 * its config and certificates at start, and again only on SIGHUP, `consul reload` or, with `auto_reload_config`,
 * when its file watcher sees the cert or key file of internal_rpc, grpc or https change (hashicorp/consul
 * agent/agent.go New; not the CA file). That watcher refuses symlinks ("symbolic link are not supported",
 * hashicorp/consul agent/config/file_watcher.go Add/isSymLink), and every file of a Secret volume is one, so the
 * agent fails to start. What does work: a change of the pod template, which makes the StatefulSet controller
 * replace the servers one at a time, each after the last is ready (kubernetes/kubernetes
 * pkg/controller/statefulset/stateful_set_control.go, RollingUpdate).
 */
import { isDeepStrictEqual } from "node:util";
import type { RecordedResource } from "../recorder";
import type { SystemFinding } from "../system";
import { K8S, clusterOf, labelsOf, list, nameOf, namespaceOf, obj, podTemplate, str } from "./objects";

export const AUTO_RELOAD_SOURCE =
  "hashicorp/consul agent/config/file_watcher.go (Add, isSymLink); agent/agent.go (New)";
export const ROLLOUT_SOURCE =
  "kubernetes/kubernetes pkg/controller/statefulset/stateful_set_control.go (RollingUpdate)";

function serverConfigs(resources: readonly RecordedResource[], cluster: string): Record<string, unknown> {
  const cm = resources.find(
    (r) =>
      r.type === K8S.configMap &&
      labelsOf(r)["lucid.mesh/role"] === "consul-server" &&
      clusterOf(r) === cluster &&
      str(obj(r.inputs.data)["server.json"]) !== undefined,
  );
  const text = str(obj(cm?.inputs.data)["server.json"]);
  return text ? obj(JSON.parse(text) as unknown) : {};
}

function isConsulServer(r: RecordedResource): boolean {
  return r.type === K8S.statefulSet && labelsOf(r)["lucid.mesh/role"] === "consul-server";
}

/** Paths under a Secret, ConfigMap or projected volume: kubelet mounts each file as a symlink into `..data`. */
function symlinkedPaths(r: RecordedResource, paths: readonly string[]): string[] {
  const { spec } = podTemplate(r);
  const volumes = new Map(list(spec.volumes).map((v) => [str(v.name) ?? "", v]));
  const mounts = list(spec.containers).flatMap((c) => list(c.volumeMounts));
  return paths.filter((p) =>
    mounts.some((m) => {
      const v = volumes.get(str(m.name) ?? "");
      const dir = str(m.mountPath) ?? "";
      return v !== undefined && (v.secret || v.configMap || v.projected) && !m.subPath && p.startsWith(`${dir}/`);
    }),
  );
}

/** `auto_reload_config` with certificates kubelet mounts as symlinks: the agent does not start. */
export function autoReloadOnSymlinks(resources: readonly RecordedResource[]): SystemFinding[] {
  return resources.filter(isConsulServer).flatMap((r) => {
    const config = serverConfigs(resources, clusterOf(r) ?? "");
    if (config.auto_reload_config !== true) return [];
    const defaults = obj(obj(config.tls).defaults);
    const watched = [str(defaults.cert_file), str(defaults.key_file)].filter((p): p is string => p !== undefined);
    return symlinkedPaths(r, watched).map((path) => ({
      system: "consul",
      rule: "consul/agent/auto-reload-symlink",
      source: AUTO_RELOAD_SOURCE,
      subject: r.urn,
      message: `symbolic link are not supported ${path}`,
    }));
  });
}

export type PickUp = "rolling-restart" | "reload" | "stale" | "unchanged";

/**
 * After a second `up` that renewed the server certificate (or changed `server.json`): does each cluster's Consul
 * serve the new one? `before` and `after` are the recorded resources of the two runs.
 */
export function serversAfterChange(
  before: readonly RecordedResource[],
  after: readonly RecordedResource[],
): Record<string, PickUp> {
  const result: Record<string, PickUp> = {};
  for (const next of after.filter(isConsulServer)) {
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
    const filesChanged =
      !isDeepStrictEqual(tls(before), tls(after)) ||
      !isDeepStrictEqual(serverConfigs(before, cluster), serverConfigs(after, cluster));
    if (!filesChanged) result[cluster] = "unchanged";
    else if (!isDeepStrictEqual(obj(prev.inputs.spec).template, obj(next.inputs.spec).template))
      result[cluster] = "rolling-restart";
    else if (serverConfigs(after, cluster).auto_reload_config === true && autoReloadOnSymlinks(after).length === 0)
      result[cluster] = "reload";
    else result[cluster] = "stale";
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
