/**
 * kubelet's Secret, ConfigMap and projected volumes, and whether each container's user can read each file.
 *
 * kubelet writes the files as root (uid 0, gid 0) with the item's `mode`, else the volume's `defaultMode`, else
 * 0644 (kubernetes/kubernetes pkg/volume/secret/secret.go MakePayload). Only when the pod sets `fsGroup` does it
 * then give every file that group and add group read (pkg/volume/volume_linux.go SetVolumeOwnership: chown to
 * fsGroup, mode | 0440 for these read-only volumes). A process reads a file as its owner, through its primary
 * group (`runAsGroup`) or a supplementary one (`fsGroup`, `supplementalGroups`), or through the "other" bits.
 */
import type { RecordedResource } from "../recorder";
import type { SystemFinding } from "../system";
import { K8S, WORKLOAD_TYPES, list, obj, objectKeys, namespaceOf, podTemplate, str, type Obj } from "./objects";

export const FILE_ACCESS_SOURCE =
  "kubernetes/kubernetes pkg/volume/secret/secret.go (SetUpAt, MakePayload) and pkg/volume/volume_linux.go (SetVolumeOwnership)";

const DEFAULT_MODE = 0o644;

export interface MountedFile {
  readonly path: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

export interface ProcessIdentity {
  readonly uid: number;
  readonly groups: readonly number[];
}

/** Whether a process can open a file for reading, by the file's mode bits (capabilities are dropped). */
export function canRead(file: MountedFile, process: ProcessIdentity): boolean {
  if (process.uid === file.uid) return (file.mode & 0o400) !== 0;
  if (process.groups.includes(file.gid)) return (file.mode & 0o040) !== 0;
  return (file.mode & 0o004) !== 0;
}

interface Source {
  readonly type: string;
  readonly name: string;
  readonly items: Obj[];
  readonly defaultMode: number;
}

function sourcesOf(volume: Obj): Source[] {
  const mode = (v: unknown, fallback: number) => (typeof v === "number" ? v : fallback);
  if (volume.secret) {
    const s = obj(volume.secret);
    return [
      {
        type: K8S.secret,
        name: str(s.secretName) ?? "",
        items: list(s.items),
        defaultMode: mode(s.defaultMode, DEFAULT_MODE),
      },
    ];
  }
  if (volume.configMap) {
    const c = obj(volume.configMap);
    return [
      {
        type: K8S.configMap,
        name: str(c.name) ?? "",
        items: list(c.items),
        defaultMode: mode(c.defaultMode, DEFAULT_MODE),
      },
    ];
  }
  if (volume.projected) {
    const p = obj(volume.projected);
    const defaultMode = mode(p.defaultMode, DEFAULT_MODE);
    return list(p.sources).flatMap((src): Source[] => {
      const inner = src.secret ? obj(src.secret) : src.configMap ? obj(src.configMap) : undefined;
      if (!inner) return [];
      const type = src.secret ? K8S.secret : K8S.configMap;
      return [{ type, name: str(inner.name) ?? "", items: list(inner.items), defaultMode }];
    });
  }
  return [];
}

/** The files kubelet puts in one volume, with the owner, group and mode they end up with. */
export function volumeFiles(
  resources: readonly RecordedResource[],
  pod: Pick<RecordedResource, "provider">,
  namespace: string,
  volume: Obj,
  fsGroup: number | undefined,
): MountedFile[] | undefined {
  const files: MountedFile[] = [];
  for (const source of sourcesOf(volume)) {
    const entries = source.items.length
      ? source.items.map((i) => ({
          path: str(i.path) ?? "",
          mode: typeof i.mode === "number" ? i.mode : source.defaultMode,
        }))
      : objectKeys(resources, pod, source.type, namespace, source.name)?.map((k) => ({
          path: k,
          mode: source.defaultMode,
        }));
    // An object the program does not declare (a team's own): its keys are unknown, so nothing is claimed.
    if (!entries) return undefined;
    for (const e of entries) {
      files.push(
        fsGroup === undefined
          ? { path: e.path, mode: e.mode, uid: 0, gid: 0 }
          : { path: e.path, mode: e.mode | 0o440, uid: 0, gid: fsGroup },
      );
    }
  }
  return files;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

/** Every file a container mounts that its user cannot read, as findings. */
export function unreadableFiles(resources: readonly RecordedResource[]): SystemFinding[] {
  const findings: SystemFinding[] = [];
  for (const r of resources.filter((x) => WORKLOAD_TYPES.includes(x.type))) {
    const { spec } = podTemplate(r);
    const pod = obj(spec.securityContext);
    const fsGroup = num(pod.fsGroup);
    const volumes = new Map(list(spec.volumes).map((v) => [str(v.name) ?? "", v]));
    for (const container of [...list(spec.initContainers), ...list(spec.containers)]) {
      const sc = obj(container.securityContext);
      const uid = num(sc.runAsUser) ?? num(pod.runAsUser);
      // The image's own user is unknown here: say nothing rather than guess.
      if (uid === undefined) continue;
      const gid = num(sc.runAsGroup) ?? num(pod.runAsGroup) ?? 0;
      const groups = [
        gid,
        ...(fsGroup === undefined ? [] : [fsGroup]),
        ...(Array.isArray(pod.supplementalGroups) ? (pod.supplementalGroups as number[]) : []),
      ];
      for (const mount of list(container.volumeMounts)) {
        const volume = volumes.get(str(mount.name) ?? "");
        if (!volume) continue;
        const files = volumeFiles(resources, r, namespaceOf(r), volume, fsGroup);
        for (const file of files ?? []) {
          if (canRead(file, { uid, groups })) continue;
          const path = `${str(mount.mountPath) ?? ""}/${file.path}`;
          findings.push({
            system: "kubernetes",
            rule: "kubernetes/kubelet/file-unreadable",
            source: FILE_ACCESS_SOURCE,
            subject: r.urn,
            message:
              `container ${str(container.name) ?? "?"} (uid ${uid}) cannot read ${path}: ` +
              `open ${path}: permission denied (file ${file.uid}:${file.gid} mode ${file.mode.toString(8).padStart(4, "0")}` +
              `${fsGroup === undefined ? ", no fsGroup" : ""})`,
          });
        }
      }
    }
  }
  return findings;
}
