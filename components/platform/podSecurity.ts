/**
 * Kubernetes' "restricted" Pod Security Standard plus a read-only root: the security contexts every pod the mesh
 * runs uses, so the namespace can enforce `restricted` and the policy pack's pod-security rule passes by design.
 */

/** The group Secret and ConfigMap files are given to, so a non-root user in it can read 0440 files. */
export interface FileGroup {
  readonly fsGroup: number;
}

/**
 * The pod level: non-root, RuntimeDefault seccomp, and the user and group the image's files belong to.
 *
 * kubelet writes Secret files as root:root with the volume's mode and changes their group to `fsGroup` (adding
 * group read) only when `fsGroup` is set (kubernetes/kubernetes pkg/volume/secret/secret.go SetUpAt, which calls
 * pkg/volume/volume_linux.go SetVolumeOwnership). Without it a 0440 file is readable by root alone.
 */
export function restrictedPodSecurity(user?: { uid: number; gid: number }, files?: FileGroup) {
  const fsGroup = files?.fsGroup ?? user?.gid;
  return {
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
    ...(user ? { runAsUser: user.uid, runAsGroup: user.gid } : {}),
    ...(fsGroup !== undefined ? { fsGroup } : {}),
  };
}

/** The container level: no escalation, no capabilities, nothing writable but mounted volumes. */
export function restrictedContainerSecurity(uid: number, gid = uid) {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}
