import { createHash } from "node:crypto";

/**
 * sha256 over the parts, each ended by a NUL so no two lists give the same text: the digest of what a process reads
 * only at start, put on what restarts it (a pod template's annotation, a Docker container's label).
 */
export function configChecksum(parts: readonly string[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest("hex");
}
