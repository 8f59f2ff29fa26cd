/**
 * The certificate inventory: one entry per issued service certificate, read back from the PEM itself so it
 * reports what was issued, not what was asked for. It never holds key material.
 */
import { X509Certificate } from "node:crypto";
import { compareStrings } from "../model";
import { renewalPoint } from "./validity";

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, "Z");
}

export interface InventoryEntry {
  readonly service: string;
  readonly cluster: string;
  /** The certificate's URI SAN. */
  readonly spiffeId: string;
  /** Expiry, RFC 3339 (UTC). */
  readonly notAfter: string;
  /** Serial number, upper-case hex as OpenSSL prints it. */
  readonly serial: string;
  /**
   * When the early-renewal window opens (RFC 3339, UTC): the first scheduled `up` after it reissues the certificate.
   * A fixed date rather than days left, so the stack's outputs do not change from one day to the next.
   */
  readonly renewsFrom: string;
}

/** URI SANs of a certificate. Node prints SANs as `URI:a, DNS:b`; SPIFFE IDs cannot contain `, ` unescaped. */
export function uriSans(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? "")
    .split(", ")
    .filter((entry) => entry.startsWith("URI:"))
    .map((entry) => entry.slice("URI:".length));
}

export function inventoryEntry(
  certPem: string,
  owner: { readonly service: string; readonly cluster: string },
  earlyRenewalHours: number,
): InventoryEntry {
  const cert = new X509Certificate(certPem);
  const uris = uriSans(cert);
  if (uris.length !== 1) {
    throw new Error(
      `certificate of ${owner.cluster}/${owner.service} has ${uris.length} URI SANs; an SVID has exactly one`,
    );
  }
  const notAfter = new Date(cert.validTo);
  return {
    service: owner.service,
    cluster: owner.cluster,
    spiffeId: uris[0]!,
    notAfter: rfc3339(notAfter),
    serial: cert.serialNumber.toUpperCase(),
    renewsFrom: rfc3339(renewalPoint(notAfter, earlyRenewalHours)),
  };
}

/** Cluster, then service: the order never depends on the order certificates were issued in. */
export function sortInventory(entries: readonly InventoryEntry[]): InventoryEntry[] {
  return [...entries].sort((a, b) => compareStrings(a.cluster, b.cluster) || compareStrings(a.service, b.service));
}
