/**
 * Kubernetes' "restricted" Pod Security Standard plus a read-only root: the security contexts every pod the mesh
 * runs uses, so the namespace can enforce `restricted` and the policy pack's pod-security rule passes by design.
 */

/** The pod level: non-root, RuntimeDefault seccomp, and the user and group the image's files belong to. */
export function restrictedPodSecurity(user?: { uid: number; gid: number }) {
  return {
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
    ...(user ? { runAsUser: user.uid, runAsGroup: user.gid, fsGroup: user.gid } : {}),
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
