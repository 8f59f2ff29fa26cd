/**
 * The identity a workload presents is its own: the leaf certificate delivered to a sidecar (the chain inline in the
 * SDS certificate Envoy serves, docs/ARCHITECTURE.md "Envoy files") carries the SPIFFE ID of the service the
 * workload runs. A leaf of another service lets this workload pass as that one: every RBAC that admits the other service
 * admits it. Certificates are read with node:crypto's X509Certificate.
 */
import { X509Certificate } from "node:crypto";
import { load } from "js-yaml";
import { envoyFiles } from "../../vendor/model/names";
import { envoyFilesOf } from "../../lib/envoyArtifacts";
import { stackRule } from "../../lib/policy";
import { asRecords, asString, at, clusterLabel, labelsOf, roleLabel, serviceLabel } from "../../lib/props";
import { parseWorkloadId } from "../../lib/spiffe";
import type { StackResource, StackViolation } from "../../lib/types";
import { types } from "../../lib/types";
import { WORKLOAD_TYPES, podSpecOf } from "../../lib/workloads";

export const leafMatchesWorkloadDefaults = {};
export type LeafMatchesWorkloadConfig = typeof leafMatchesWorkloadDefaults;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

interface Leaf {
  readonly file: string;
  readonly pem: string;
}

/** The leaf PEMs among a sidecar's secret files: each certificate.yaml secret's chain (its first certificate). */
function leavesIn(files: ReadonlyMap<string, string>): Leaf[] {
  const leaves: Leaf[] = [];
  const sds = files.get(envoyFiles.certificateSds);
  if (sds !== undefined) {
    let document: unknown;
    try {
      document = load(sds);
    } catch {
      document = undefined;
    }
    for (const secret of asRecords(at(document, "resources"))) {
      const chain = asString(at(secret, "tls_certificate", "certificate_chain", "inline_string"));
      if (chain !== undefined)
        leaves.push({ file: `${envoyFiles.certificateSds} (${String(secret.name)})`, pem: chain });
    }
  }
  return leaves;
}

/** SPIFFE URI SANs of the first certificate in `pem`; undefined when the text holds no certificate (unknown yet). */
function spiffeIdsOf(pem: string): { ids: string[] } | { error: string } | undefined {
  const first = PEM_CERTIFICATE.exec(pem)?.[0];
  if (first === undefined) return undefined;
  try {
    const sans = new X509Certificate(first).subjectAltName ?? "";
    return {
      ids: sans
        .split(/,\s*/)
        .filter((s) => s.startsWith("URI:spiffe://"))
        .map((s) => s.slice("URI:".length)),
    };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

function leafProblems(where: string, service: string, leaves: readonly Leaf[]): string[] {
  const problems: string[] = [];
  for (const leaf of leaves) {
    const read = spiffeIdsOf(leaf.pem);
    if (read === undefined) continue;
    if ("error" in read) {
      problems.push(`${where}: ${leaf.file} is not a readable certificate (${read.error}); deliver the issued leaf.`);
      continue;
    }
    const services = read.ids.map((id) => parseWorkloadId(id)?.service);
    if (read.ids.length !== 1 || services[0] !== service) {
      problems.push(
        `${where}: ${leaf.file} names ${read.ids.length === 0 ? "no SPIFFE ID" : read.ids.join(", ")}, but the workload runs "${service}"; mount the leaf issued to ${service}.`,
      );
    }
  }
  return problems;
}

/** The files a resource puts in Envoy's secrets directory, by name (a writer's uploads, a Secret's values). */
function secretFiles(resource: StackResource): Map<string, string> {
  const files = new Map<string, string>();
  for (const [path, text] of envoyFilesOf(resource)) {
    if (path.startsWith(`${envoyFiles.secretsDirectory}/`)) files.set(path.slice(path.lastIndexOf("/") + 1), text);
  }
  return files;
}

/** Secrets a pod mounts, by name: volumes[].secret.secretName and projected secret sources. */
function mountedSecretNames(type: string, props: unknown): string[] {
  const names: string[] = [];
  for (const volume of asRecords(at(podSpecOf(type, props), "volumes"))) {
    const direct = asString(at(volume, "secret", "secretName"));
    if (direct !== undefined) names.push(direct);
    for (const source of asRecords(at(volume, "projected", "sources"))) {
      const projected = asString(at(source, "secret", "name"));
      if (projected !== undefined) names.push(projected);
    }
  }
  return names;
}

export function checkLeafMatchesWorkload(
  resources: readonly StackResource[],
  _config: LeafMatchesWorkloadConfig,
): StackViolation[] {
  const violations: StackViolation[] = [];
  const report = (resource: StackResource, problems: string[]): void => {
    for (const message of problems) violations.push({ urn: resource.urn, message });
  };
  const secrets = resources.filter((r) => r.type === types.secret);
  for (const resource of resources) {
    const labels = labelsOf(resource.props);
    if (resource.type === types.dockerContainer) {
      const service = labels[serviceLabel];
      // The sidecar itself, or the writer that fills its read-only secrets volume (role envoy-config).
      if (service === undefined || !["sidecar", "envoy-config"].includes(labels[roleLabel] ?? "")) continue;
      report(resource, leafProblems(resource.name, service, leavesIn(secretFiles(resource))));
    } else if (
      resource.type === types.secret &&
      labels[roleLabel] === "sidecar" &&
      labels[serviceLabel] !== undefined
    ) {
      report(resource, leafProblems(resource.name, labels[serviceLabel], leavesIn(secretFiles(resource))));
    } else if (WORKLOAD_TYPES.includes(resource.type)) {
      const podLabels = { ...labels, ...labelsOf(at(resource.props, "spec", "template")) };
      const service = podLabels[serviceLabel];
      if (service === undefined) continue;
      for (const name of mountedSecretNames(resource.type, resource.props)) {
        const secret = secrets.find(
          (s) =>
            asString(at(s.props, "metadata", "name")) === name &&
            labelsOf(s.props)[clusterLabel] === podLabels[clusterLabel],
        );
        if (!secret) continue;
        report(resource, leafProblems(`${resource.name} (secret ${name})`, service, leavesIn(secretFiles(secret))));
      }
    }
  }
  return violations;
}

export const leafMatchesWorkload = stackRule(
  {
    name: "lucid-pki-leaf-matches-workload",
    description: "Require the leaf certificate a workload mounts to carry the SPIFFE ID of the service it runs.",
    severity: "critical",
    defaults: leafMatchesWorkloadDefaults,
  },
  checkLeafMatchesWorkload,
);
