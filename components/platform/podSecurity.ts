/** Kubernetes' "restricted" Pod Security Standard, as the security contexts every mesh pod uses. */

export function restrictedPodSecurity(fsGroup?: number) {
  return {
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
    ...(fsGroup !== undefined ? { fsGroup } : {}),
  };
}

export function restrictedContainerSecurity(uid: number) {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}
