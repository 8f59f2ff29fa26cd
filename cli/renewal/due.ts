/**
 * Certificates that are due for renewal in a deployed stack, from `pulumi stack export`: the scheduled renewal run
 * replaces any of them that a `pulumi up --refresh` left in place (pulumi/pulumi-tls#39's workaround, `--replace`).
 *
 * Due means what the tls provider means (hashicorp/terraform-provider-tls internal/provider/common_cert.go,
 * modifyPlanIfCertificateReadyForRenewal and modifyStateIfCertificateReadyForRenewal): `ready_for_renewal` is set,
 * or `validity_end_time - early_renewal_hours` is not after now.
 *
 * Usage: tsx cli/renewal/due.ts <stack export.json> [--now <RFC 3339 time>]  (prints one URN a line)
 */
import * as fs from "node:fs";

const CERTIFICATE_TYPES = new Set([
  "tls:index/locallySignedCert:LocallySignedCert",
  "tls:index/selfSignedCert:SelfSignedCert",
]);

export interface DueCertificate {
  readonly urn: string;
  /** When the early-renewal window opened (RFC 3339), or `ready` when the state already says so. */
  readonly since: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every certificate in the export whose early-renewal window has opened at `now`, sorted by URN. */
export function certificatesDue(exported: unknown, now: Date): DueCertificate[] {
  const deployment = isRecord(exported) && isRecord(exported.deployment) ? exported.deployment : undefined;
  const resources = deployment && Array.isArray(deployment.resources) ? deployment.resources : [];
  const due: DueCertificate[] = [];
  for (const resource of resources) {
    if (!isRecord(resource) || typeof resource.urn !== "string" || typeof resource.type !== "string") continue;
    if (!CERTIFICATE_TYPES.has(resource.type) || resource.delete === true) continue;
    const outputs = isRecord(resource.outputs) ? resource.outputs : {};
    if (outputs.readyForRenewal === true) {
      due.push({ urn: resource.urn, since: "ready" });
      continue;
    }
    if (typeof outputs.validityEndTime !== "string") continue;
    const end = Date.parse(outputs.validityEndTime);
    if (Number.isNaN(end)) continue;
    const early = typeof outputs.earlyRenewalHours === "number" ? outputs.earlyRenewalHours : 0;
    const opens = end - early * 3_600_000;
    if (opens <= now.getTime()) due.push({ urn: resource.urn, since: new Date(opens).toISOString() });
  }
  return due.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
}

function main(argv: readonly string[]): number {
  const [file, flag, value] = argv;
  if (file === undefined || (flag !== undefined && (flag !== "--now" || value === undefined))) {
    process.stderr.write("usage: tsx cli/renewal/due.ts <stack export.json> [--now <RFC 3339 time>]\n");
    return 2;
  }
  const now = value !== undefined ? new Date(value) : new Date();
  const exported = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
  for (const c of certificatesDue(exported, now)) process.stdout.write(`${c.urn}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
