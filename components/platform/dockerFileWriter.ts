/**
 * Files for a read-only container, delivered through a volume by a small writer container.
 *
 * The Docker provider extracts `uploads` at "/" of the container (kreuzwerker/terraform-provider-docker
 * internal/provider/resource_docker_container_funcs.go, CopyToContainer with dstPath "/"), and dockerd refuses that
 * for a read-only rootfs (moby/moby daemon/archive_unix.go, checkWritablePath). Uploads also force a replacement.
 * So the files go to a writer instead: its uploads land in its own writable rootfs at the paths the consumer reads
 * them from, and its script moves each changed file into a volume the consumer mounts read-only. A renewed
 * certificate replaces only the writer; Envoy sees the move (SDS `watched_directory` reacts to moves) and Consul
 * sees the changed file (`auto_reload_config`, agent/config/file_watcher.go), and neither container is replaced.
 *
 * The writer then idles, healthy, so the provider's `wait` fails the `up` when the script fails: the provider never
 * checks an exit code (resourceDockerContainerCreate only waits for `attach`), but `wait` errors unless healthy.
 */
import * as docker from "@pulumi/docker";
import { DockerContainer } from "./dockerContainer";
import type * as pulumi from "@pulumi/pulumi";

export interface WrittenFile {
  /** The path the consumer reads, such as `/etc/envoy-secrets/key.pem`. */
  readonly path: string;
  readonly content: pulumi.Input<string>;
  /** Octal, as the provider's `permissions`. */
  readonly mode: "0444" | "0400";
}

/**
 * A directory the writer fills: the consumer mounts `volume` at `directory`, read-only. Directories naming the same
 * volume share it: one Docker volume, its files side by side at its top (so their names must differ), mounted at
 * each directory. A sidecar's config and secrets share one that way: Docker volumes cannot be mounted by
 * subdirectory before Engine 26 (API 1.45, VolumeOptions.Subpath), and one volume per instance is a resource fewer.
 */
export interface WrittenDirectory {
  readonly directory: string;
  /** The Docker volume's name. */
  readonly volume: string;
  /** Written in this order: a key before its certificate, the files naming them (SDS) last. */
  readonly files: readonly WrittenFile[];
}

/** Where the writer mounts the i-th volume (in the order the directories first name them). */
export const writerMount = (index: number): string => `/lucid-out/${index}`;
/** Created when every file is in place; the writer's healthcheck looks for it. */
export const WRITER_DONE_FILE = "/lucid-written";

/** The distinct volumes, in first-named order; refuses two files of one volume under one name. */
export function volumeNames(directories: readonly WrittenDirectory[]): string[] {
  const names: string[] = [];
  const files = new Map<string, string>();
  for (const d of directories) {
    if (!names.includes(d.volume)) names.push(d.volume);
    for (const f of d.files) {
      const key = `${d.volume}/${fileName(d, f)}`;
      const other = files.get(key);
      if (other !== undefined) throw new Error(`${f.path} and ${other} would be one file in volume ${d.volume}`);
      files.set(key, f.path);
    }
  }
  return names;
}

/** A file's path inside its directory (and so inside the volume). */
function fileName(directory: WrittenDirectory, file: WrittenFile): string {
  if (!file.path.startsWith(`${directory.directory}/`)) {
    throw new Error(`${file.path} is not in ${directory.directory}`);
  }
  return file.path.slice(directory.directory.length + 1);
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The writer's script (POSIX sh, busybox or coreutils): for each file that differs from what the volume holds,
 * copy it next to the target on the same filesystem, set mode and owner, and rename it over the target (atomic).
 * Any failure exits non-zero before the done file exists, so the writer never turns healthy.
 */
export function writerScript(directories: readonly WrittenDirectory[], owner: string): string {
  const lines = ["set -eu", "umask 077"];
  const volumes = volumeNames(directories);
  volumes.forEach((_, i) => lines.push(`mkdir -p ${writerMount(i)}/.next`));
  for (const d of directories) {
    const out = writerMount(volumes.indexOf(d.volume));
    for (const f of d.files) {
      const name = fileName(d, f);
      const [src, next, dst] = [f.path, `${out}/.next/${name}`, `${out}/${name}`].map(shellQuote);
      // One command a line, so `set -e` stops at the first failure (it ignores all but the last of an && list).
      // chmod before chown: root without CAP_FOWNER may not chmod a file it no longer owns.
      lines.push(
        `if ! cmp -s ${src} ${dst}; then`,
        `  cp ${src} ${next}`,
        `  chmod ${f.mode} ${next}`,
        `  chown ${owner} ${next}`,
        `  mv -f ${next} ${dst}`,
        "fi",
      );
    }
  }
  lines.push(`touch ${WRITER_DONE_FILE}`, "trap 'exit 0' TERM INT", "while :; do sleep 3600 & wait $!; done");
  return lines.join("\n");
}

export interface FileWriterArgs {
  /** The writer container's name. */
  readonly containerName: string;
  /** An image with a POSIX shell, cp, cmp, chown and mv (the consumer's own image: no extra pull). */
  readonly image: pulumi.Input<string>;
  /** `uid:gid` that owns the files: the consumer's user. */
  readonly owner: string;
  readonly directories: readonly WrittenDirectory[];
  readonly labels: pulumi.Input<docker.types.input.ContainerLabel[]>;
}

export interface FileWriter {
  readonly writer: DockerContainer;
  /** The consumer's `volumes`: each directory's volume, read-only (a shared volume once per directory). */
  readonly mounts: docker.types.input.ContainerVolume[];
}

/** The volumes and their writer; the consumer mounts `mounts` and depends on `writer`. */
export function fileWriter(name: string, args: FileWriterArgs, opts: pulumi.CustomResourceOptions): FileWriter {
  const volumeNamesInOrder = volumeNames(args.directories);
  const volumes = volumeNamesInOrder.map((v) => new docker.Volume(`${name}-${v}`, { name: v }, opts));
  const writer = new DockerContainer(
    name,
    {
      name: args.containerName,
      image: args.image,
      user: "0:0",
      entrypoints: ["/bin/sh", "-c"],
      command: [writerScript(args.directories, args.owner)],
      networkMode: "none",
      volumes: volumes.map((v, i) => ({ volumeName: v.name, containerPath: writerMount(i) })),
      uploads: args.directories.flatMap((d) =>
        d.files.map((f) => ({ file: f.path, content: f.content, permissions: f.mode })),
      ),
      // Root without DAC_OVERRIDE can still write its own files; CHOWN hands them to the consumer's user.
      capabilities: { drops: ["ALL"], adds: ["CHOWN"] },
      securityOpts: ["no-new-privileges:true"],
      memory: 16,
      memorySwap: 16,
      restart: "unless-stopped",
      wait: true,
      waitTimeout: 60,
      healthcheck: { tests: ["CMD", "test", "-e", WRITER_DONE_FILE], interval: "2s", timeout: "2s", retries: 1 },
      labels: args.labels,
    },
    // The name is fixed, so the old writer goes first; the volumes keep the files meanwhile.
    { ...opts, deleteBeforeReplace: true },
  );
  const mounts = args.directories.map((d) => ({
    volumeName: volumes[volumeNamesInOrder.indexOf(d.volume)]!.name,
    containerPath: d.directory,
    readOnly: true,
  }));
  return { writer, mounts };
}
