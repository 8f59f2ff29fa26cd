/**
 * Every file of a render except plan.json, policy-report.json and manifest.json: pure functions from the recorded
 * resources (and the mesh) to `TextFile`s. Nothing here writes to disk.
 */
import { resourceLabels } from "../../artifacts/labels";
import { envoyFileSets, type EnvoyFileSet } from "../../artifacts/envoy";
import { isKubernetesType, toManifest } from "../../artifacts/kubernetes";
import { toYaml } from "../../model/yaml";
import { compareStrings, type Mesh } from "../../model/mesh";
import { observabilityFiles } from "../../observability";
import type { RecordedResource } from "../../simulate/recorder";
import { TLS_TYPES } from "../../simulate/tls";
import { appliersOf } from "../../simulate/consul/applier";
import { hasPem, isSecretFile, publicInputs } from "./redact";
import type { OmittedFile, TextFile } from "./types";

const DOCKER_CONTAINER = "docker:index/container:Container";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const CONSUL_SERVICE = "consul:index/service:Service";
const CONSUL_NODE = "consul:index/node:Node";
const CONSUL_CONFIG_ENTRY = "consul:index/configEntry:ConfigEntry";
const CONSUL_AGENT_FILE = "/consul/config/server.json";
const CLUSTER_LABEL = "lucid.mesh/cluster";
/** Where resources that belong to no single cluster (the root CA, ...) are filed. */
export const MESH_WIDE = "_mesh";

export interface Artifacts {
  readonly files: TextFile[];
  readonly omitted: OmittedFile[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function file(path: string, content: string, certificateMaterial = hasPem(content)): TextFile {
  return { path, content, certificateMaterial };
}

function prettyJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** A name safe as one path segment. */
function segment(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, "_") || "_";
}

/**
 * Which cluster a resource belongs to: its explicit provider (`<cluster>-kubernetes`, `<cluster>-docker`,
 * `<cluster>-consul-provider`), else its `lucid.mesh/cluster` label, else mesh-wide.
 */
export function clusterResolver(
  resources: readonly RecordedResource[],
  mesh: Mesh,
): (resource: RecordedResource) => string {
  const clusters = mesh.clusters.map((c) => c.name).sort((a, b) => b.length - a.length);
  const providerCluster = new Map<string, string>();
  for (const r of resources) {
    if (!r.type.startsWith("pulumi:providers:")) continue;
    const cluster = clusters.find((c) => r.name === `${c}-kubernetes` || r.name.startsWith(`${c}-`));
    if (cluster) providerCluster.set(r.urn, cluster);
  }
  return (resource) => {
    if (resource.provider) {
      const urn = resource.provider.slice(0, resource.provider.lastIndexOf("::"));
      const cluster = providerCluster.get(urn);
      if (cluster) return cluster;
    }
    return resourceLabels(resource)[CLUSTER_LABEL] ?? MESH_WIDE;
  };
}

// ---- Envoy ----

/** A path inside the proxy's filesystem, relative: `/etc/envoy/listener.yaml` → `envoy/listener.yaml`. */
function workloadRelative(path: string): string {
  return path.replace(/^\/+(etc\/)?/, "");
}

/** Directory of each file set: the workload, or the container/object when a workload runs several instances. */
function envoyDirectories(sets: readonly EnvoyFileSet[]): string[] {
  const count = new Map<string, number>();
  for (const s of sets) count.set(`${s.cluster}/${s.workload}`, (count.get(`${s.cluster}/${s.workload}`) ?? 0) + 1);
  return sets.map((s) => {
    const unique = count.get(`${s.cluster}/${s.workload}`) === 1;
    return `envoy/${segment(s.cluster || MESH_WIDE)}/${segment(unique ? s.workload : s.source)}`;
  });
}

/** The Envoy files as uploaded, secret files (the private key) left out and listed instead. */
export function envoyArtifacts(resources: readonly RecordedResource[], sets = envoyFileSets(resources)): Artifacts {
  const containers = new Map(
    resources.filter((r) => r.type === DOCKER_CONTAINER).map((r) => [String(r.inputs.name ?? r.name), r]),
  );
  const directories = envoyDirectories(sets);
  const files: TextFile[] = [];
  const omitted: OmittedFile[] = [];
  sets.forEach((set, i) => {
    for (const [inside, content] of Object.entries(set.files).sort(([a], [b]) => compareStrings(a, b))) {
      const path = `${directories[i]}/${workloadRelative(inside)}`;
      if (isSecretFile(containers.get(set.source), inside)) {
        omitted.push({ path, reason: `secret (${inside} in ${set.source})` });
      } else {
        files.push(file(path, content, hasPem(content) || inside.includes("-secrets/")));
      }
    }
  });
  return { files, omitted };
}

/** Output directory of each Envoy file set, in `envoyFileSets` order: for callers that check the written files. */
export function envoySetDirectories(sets: readonly EnvoyFileSet[]): string[] {
  return envoyDirectories(sets);
}

// ---- Kubernetes ----

function kubernetesFileName(resource: RecordedResource): string {
  const kind = resource.type.slice(resource.type.lastIndexOf(":") + 1);
  const metadata = isRecord(resource.inputs.metadata) ? resource.inputs.metadata : {};
  const name = typeof metadata.name === "string" ? metadata.name : resource.name;
  const prefix = kind.endsWith("Patch") ? `${kind.slice(0, -5).toLowerCase()}-patch` : kind.toLowerCase();
  return `${prefix}-${segment(name)}`;
}

/** One manifest per Kubernetes object, by cluster, with Secret values redacted. */
export function kubernetesArtifacts(
  resources: readonly RecordedResource[],
  clusterOf: (r: RecordedResource) => string,
): Artifacts {
  const files: TextFile[] = [];
  const used = new Set<string>();
  for (const r of resources) {
    if (!isKubernetesType(r.type)) continue;
    let path = `kubernetes/${segment(clusterOf(r))}/${kubernetesFileName(r)}`;
    if (used.has(path)) path = `${path}-${segment(r.name)}`;
    used.add(path);
    files.push(file(`${path}.yaml`, toYaml(toManifest(r.type, publicInputs(r)))));
  }
  return { files, omitted: [] };
}

// ---- Consul ----

function agentConfigText(resource: RecordedResource): string | undefined {
  if (resource.type === DOCKER_CONTAINER && Array.isArray(resource.inputs.uploads)) {
    const upload = resource.inputs.uploads.find((u) => isRecord(u) && u.file === CONSUL_AGENT_FILE);
    return isRecord(upload) && typeof upload.content === "string" ? upload.content : undefined;
  }
  if (resource.type === CONFIG_MAP && isRecord(resource.inputs.data)) {
    const text = resource.inputs.data["server.json"];
    return typeof text === "string" ? text : undefined;
  }
  return undefined;
}

function reformatJson(text: string): string {
  try {
    return prettyJson(JSON.parse(text));
  } catch {
    return text;
  }
}

/**
 * Registrations (services, nodes), config entries (`<kind>/<name>.json`) and agent configs (`server.json` only:
 * `secrets.json` holds the gossip key and ACL tokens). Config entries and instance registrations are the Consul
 * applier's: its whole payload (`applier/payload.json`) and each object in it, as the applier sends it.
 */
export function consulArtifacts(
  resources: readonly RecordedResource[],
  clusterOf: (r: RecordedResource) => string,
): Artifacts {
  const files: TextFile[] = [];
  const omitted: OmittedFile[] = [];
  for (const r of resources) {
    const base = `consul/${segment(clusterOf(r))}`;
    const [applier] = appliersOf([r]);
    if (applier) {
      const { payload } = applier;
      files.push(file(`${base}/applier/payload.json`, prettyJson(payload)));
      for (const entry of payload.configEntries) {
        // `*` (every service, as in the default-deny intention) is not a portable file name.
        const fileName = entry.Name === "*" ? "_all" : segment(entry.Name);
        files.push(file(`${base}/config-entries/${segment(entry.Kind)}/${fileName}.json`, prettyJson(entry)));
      }
      for (const registration of payload.registrations) {
        files.push(file(`${base}/services/${segment(registration.Service.ID)}.json`, prettyJson(registration)));
      }
    } else if (r.type === CONSUL_SERVICE)
      files.push(file(`${base}/services/${segment(r.name)}.json`, prettyJson(publicInputs(r))));
    else if (r.type === CONSUL_NODE)
      files.push(file(`${base}/nodes/${segment(r.name)}.json`, prettyJson(publicInputs(r))));
    else if (r.type === CONSUL_CONFIG_ENTRY) {
      const kind = String(r.inputs.kind ?? "unknown");
      const name = String(r.inputs.name ?? r.name);
      const text = typeof r.inputs.configJson === "string" ? reformatJson(r.inputs.configJson) : prettyJson({});
      // `*` (every service, as in the default-deny intention) is not a portable file name.
      const fileName = name === "*" ? "_all" : segment(name);
      files.push(file(`${base}/config-entries/${segment(kind)}/${fileName}.json`, text));
    } else {
      const text = agentConfigText(r);
      if (text === undefined) continue;
      const owner = segment(String(r.inputs.name ?? (isRecord(r.inputs.metadata) ? r.inputs.metadata.name : r.name)));
      files.push(file(`${base}/agent/${owner}/server.json`, reformatJson(text)));
      omitted.push({ path: `${base}/agent/${owner}/secrets.json`, reason: "secret (gossip key and ACL tokens)" });
    }
  }
  return { files, omitted };
}

// ---- PKI ----

/** Public certificates only, from the tls resources' outputs: root, intermediates, leaves. */
export function pkiArtifacts(
  resources: readonly RecordedResource[],
  outputsOf: (urn: string) => Record<string, unknown> | undefined,
): Artifacts {
  const files: TextFile[] = [];
  const omitted: OmittedFile[] = [];
  for (const r of resources) {
    let folder: string;
    if (r.type === TLS_TYPES.selfSignedCert) folder = "root";
    else if (r.type === TLS_TYPES.locallySignedCert) folder = r.inputs.isCaCertificate ? "intermediates" : "leaves";
    else if (r.type === TLS_TYPES.privateKey) {
      omitted.push({ path: `pki/keys/${segment(r.name)}.pem`, reason: "secret (private key)" });
      continue;
    } else continue;
    const certPem = outputsOf(r.urn)?.certPem;
    if (typeof certPem === "string" && !certPem.includes("PRIVATE KEY")) {
      files.push(file(`pki/${folder}/${segment(r.name)}.pem`, certPem, true));
    }
  }
  return { files, omitted };
}

// ---- Observability ----

export function observabilityArtifacts(mesh: Mesh): Artifacts {
  const files = Object.entries(observabilityFiles(mesh))
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([path, content]) => file(`observability/${path}`, content));
  return { files, omitted: [] };
}
