/**
 * The mesh diff: what a change to the stack does to the mesh, read from two render folders (base and head).
 * Pure functions over `RenderFolder`s; the `diff` command reads the folders and prints the result.
 *
 * Certificates and private keys differ between any two renders (the simulated tls provider issues fresh ones), so
 * every comparison masks PEM blocks and issuance fields (`withoutPems`), and a resource's certificate- or
 * secret-bearing inputs count as changed only when a tls or random resource it depends on is replaced or new: the
 * engine's own cascade, since only those issue new material.
 */
import { load } from "js-yaml";
import { createTwoFilesPatch } from "diff";
import { isDeepStrictEqual } from "node:util";
import { compareStrings } from "../../model/mesh";
import type { RecordedResource } from "../../simulate/recorder";
import { appliersOf } from "../../simulate/consul/applier";
import { restartOf, type Restart } from "../../simulate/renewal";
import { classifyChange, type PlannedChange, type SystemModel } from "../../simulate/system";
import { withoutPems } from "../render/redact";
import type { PlanResource, PolicyViolationRecord } from "../render/types";
import type { RenderFolder } from "./read";

export interface AddedRemoved<T = string> {
  readonly added: readonly T[];
  readonly removed: readonly T[];
}

/** An allowed call: `from` and `to` are `<cluster>/<service>`; `via` says which artifact allows it. */
export interface Edge {
  readonly from: string;
  readonly to: string;
  readonly via: "intention" | "rbac";
}

export interface EnvoyFileChange {
  readonly path: string;
  /** Unified diff of the two files with certificates masked. */
  readonly patch: string;
}

export interface Reissue {
  readonly certificate: string;
  readonly urn: string;
  /** Inputs that changed (the tls provider's RequiresReplace replaces the certificate on any of them). */
  readonly properties: readonly string[];
}

export interface MeshDiff {
  readonly base: string;
  readonly head: string;
  readonly services: AddedRemoved;
  readonly instances: AddedRemoved;
  readonly edges: AddedRemoved<Edge>;
  readonly envoyFiles: AddedRemoved & { readonly changed: readonly EnvoyFileChange[] };
  readonly certificates: { readonly reissued: readonly Reissue[] };
  readonly restarts: readonly Restart[];
  readonly policy: {
    readonly new: readonly PolicyViolationRecord[];
    readonly resolved: readonly PolicyViolationRecord[];
  };
}

const CERTIFICATE_TYPES = new Set([
  "tls:index/locallySignedCert:LocallySignedCert",
  "tls:index/selfSignedCert:SelfSignedCert",
]);
const CONSUL_SERVICE = "consul:index/service:Service";
const REDACTED = "[secret]";

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareStrings);
}

function addedRemoved(base: Iterable<string>, head: Iterable<string>): AddedRemoved {
  const before = new Set(base);
  const after = new Set(head);
  return {
    added: sorted([...after].filter((v) => !before.has(v))),
    removed: sorted([...before].filter((v) => !after.has(v))),
  };
}

// --- services and instances -------------------------------------------------------------------------------------

interface EnvoyNode {
  readonly cluster: string;
  readonly service: string;
}

/** The service an Envoy file set serves, from its bootstrap's node (`cluster` = service, metadata.cluster). */
function envoyNode(folder: RenderFolder, bootstrap: string): EnvoyNode | undefined {
  const doc = load(folder.read(bootstrap));
  const node = isRecord(doc) && isRecord(doc.node) ? doc.node : undefined;
  const metadata = node && isRecord(node.metadata) ? node.metadata : {};
  if (typeof node?.cluster !== "string" || typeof metadata.cluster !== "string") return undefined;
  return { cluster: metadata.cluster, service: node.cluster };
}

function envoySets(folder: RenderFolder): { dir: string; node: EnvoyNode }[] {
  return folder.files
    .filter((f) => /^envoy\/[^/]+\/[^/]+\/envoy\/bootstrap\.yaml$/.test(f))
    .flatMap((f) => {
      const node = envoyNode(folder, f);
      return node ? [{ dir: f.slice(0, -"/envoy/bootstrap.yaml".length), node }] : [];
    });
}

/**
 * Consul catalog registrations in the plan, `<datacenter>/<service>` and `<datacenter>/<service id>`: the Consul
 * appliers' payloads and the `consul.Service` resources (the mesh gateways).
 */
function registrations(folder: RenderFolder): { service: string; instance: string }[] {
  const applied = appliersOf(folder.plan.resources as unknown as Parameters<typeof appliersOf>[0]).flatMap(
    ({ payload }) =>
      payload.registrations.map((r) => ({
        service: `${payload.datacenter}/${r.Service.Service}`,
        instance: `${payload.datacenter}/${r.Service.ID}`,
      })),
  );
  return [...applied, ...declaredServices(folder)];
}

function declaredServices(folder: RenderFolder): { service: string; instance: string }[] {
  return folder.plan.resources
    .filter((r) => r.type === CONSUL_SERVICE)
    .flatMap((r) => {
      const { datacenter, name, serviceId } = r.inputs;
      if (typeof datacenter !== "string" || typeof name !== "string") return [];
      return [
        {
          service: `${datacenter}/${name}`,
          instance: `${datacenter}/${typeof serviceId === "string" ? serviceId : name}`,
        },
      ];
    });
}

const KUBERNETES_WORKLOADS = new Set(["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"]);

/**
 * Kubernetes workloads of a mesh service (label `lucid.mesh/service`): their pods are the instances, which Consul
 * learns at run time (catalog sync), so the plan holds only the workload and its replica count.
 */
function kubernetesWorkloads(folder: RenderFolder): { service: string; instance: string }[] {
  return folder.plan.resources
    .filter((r) => KUBERNETES_WORKLOADS.has(r.type))
    .flatMap((r) => {
      const metadata = isRecord(r.inputs.metadata) ? r.inputs.metadata : {};
      const labels = isRecord(metadata.labels) ? metadata.labels : {};
      const service = labels["lucid.mesh/service"];
      const cluster = labels["lucid.mesh/cluster"];
      if (typeof service !== "string" || typeof cluster !== "string") return [];
      const replicas =
        isRecord(r.inputs.spec) && typeof r.inputs.spec.replicas === "number" ? r.inputs.spec.replicas : 1;
      const kind = r.type.split(":").pop() ?? r.type;
      return [{ service: `${cluster}/${service}`, instance: `${cluster}/${service}: ${kind} ${r.name} x${replicas}` }];
    });
}

function instances(folder: RenderFolder): string[] {
  return sorted([...registrations(folder), ...kubernetesWorkloads(folder)].map((r) => r.instance));
}

function services(folder: RenderFolder): string[] {
  const fromEnvoy = envoySets(folder)
    .filter((s) => s.node.service !== "mesh-gateway")
    .map((s) => `${s.node.cluster}/${s.node.service}`);
  return sorted([...fromEnvoy, ...[...registrations(folder), ...kubernetesWorkloads(folder)].map((r) => r.service)]);
}

// --- allowed edges ----------------------------------------------------------------------------------------------

/** Allowed sources of each Consul service-intentions entry (`consul/<cluster>/config-entries/service-intentions/`). */
function intentionEdges(folder: RenderFolder): Edge[] {
  const edges: Edge[] = [];
  for (const file of folder.files) {
    const match = /^consul\/([^/]+)\/config-entries\/service-intentions\/([^/]+)\.json$/.exec(file);
    if (!match) continue;
    const [, cluster = "", entry = ""] = match;
    const doc = JSON.parse(folder.read(file)) as unknown;
    const destination = entry === "_all" ? "*" : entry;
    const sources = isRecord(doc) && Array.isArray(doc.Sources) ? doc.Sources : [];
    for (const source of sources) {
      if (!isRecord(source) || typeof source.Name !== "string") continue;
      // L7 intentions carry Permissions instead of an Action: some requests are allowed.
      const allows = source.Action === "allow" || (source.Action === undefined && Array.isArray(source.Permissions));
      if (!allows) continue;
      const peer = typeof source.Peer === "string" ? source.Peer : cluster;
      edges.push({ from: `${peer}/${source.Name}`, to: `${cluster}/${destination}`, via: "intention" });
    }
  }
  return edges;
}

/** `spiffe://<trust domain>/ns/<ns>/dc/<dc>/svc/<service>` as `<dc>/<service>`. */
function spiffeService(id: string): string {
  const match = /\/dc\/([^/]+)\/svc\/([^/]+)$/.exec(id);
  return match ? `${match[1]}/${match[2]}` : id;
}

/** Principals an RBAC filter (action ALLOW) admits, anywhere in a listener document. */
function rbacPrincipals(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => rbacPrincipals(v, out));
  if (!isRecord(value)) return out;
  const type = value["@type"];
  if (typeof type === "string" && type.endsWith(".rbac.v3.RBAC")) {
    const rules = isRecord(value.rules) ? value.rules : undefined;
    if (rules && (rules.action ?? "ALLOW") === "ALLOW" && isRecord(rules.policies)) {
      for (const policy of Object.values(rules.policies)) {
        const principals = isRecord(policy) && Array.isArray(policy.principals) ? policy.principals : [];
        for (const p of principals) {
          if (isRecord(p) && p.any === true) out.push("*");
          const name = isRecord(p) && isRecord(p.authenticated) ? p.authenticated.principal_name : undefined;
          if (isRecord(name) && typeof name.exact === "string") out.push(spiffeService(name.exact));
        }
      }
    }
    return out;
  }
  Object.values(value).forEach((v) => rbacPrincipals(v, out));
  return out;
}

function rbacEdges(folder: RenderFolder): Edge[] {
  return envoySets(folder).flatMap(({ dir, node }) => {
    const listener = `${dir}/envoy/listener.yaml`;
    if (!folder.files.includes(listener)) return [];
    const to = `${node.cluster}/${node.service}`;
    return rbacPrincipals(load(folder.read(listener))).map((from): Edge => ({ from, to, via: "rbac" }));
  });
}

const edgeKey = (e: Edge): string => `${e.from} -> ${e.to} (${e.via})`;

function edges(folder: RenderFolder): Map<string, Edge> {
  return new Map([...intentionEdges(folder), ...rbacEdges(folder)].map((e) => [edgeKey(e), e]));
}

// --- Envoy files ------------------------------------------------------------------------------------------------

function envoyFiles(base: RenderFolder, head: RenderFolder): MeshDiff["envoyFiles"] {
  const inBase = base.files.filter((f) => f.startsWith("envoy/"));
  const inHead = head.files.filter((f) => f.startsWith("envoy/"));
  const headSet = new Set(inHead);
  const changed: EnvoyFileChange[] = [];
  for (const file of inBase.filter((f) => headSet.has(f))) {
    const before = withoutPems(base.read(file));
    const after = withoutPems(head.read(file));
    if (before === after) continue;
    changed.push({
      path: file,
      patch: createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, "", "", { context: 3 }),
    });
  }
  return { ...addedRemoved(inBase, inHead), changed };
}

// --- replacements, reissued certificates, restarts --------------------------------------------------------------

function masked(value: unknown): string {
  return withoutPems(JSON.stringify(value) ?? "null");
}

/** Inputs that carry certificate material or a secret: they change whenever what they came from is replaced. */
function materialKeys(resource: PlanResource): string[] {
  return Object.keys(resource.inputs).filter((k) => {
    const text = JSON.stringify(resource.inputs[k]) ?? "";
    return text.includes("-----BEGIN ") || text.includes(REDACTED);
  });
}

/** Resources whose replacement issues new certificate material or secrets (keys, certificates, random values). */
function issuesMaterial(resource: PlanResource): boolean {
  return resource.type.startsWith("tls:") || resource.type.startsWith("random:");
}

function asRecorded(resource: PlanResource): RecordedResource {
  const inputs = JSON.parse(masked(resource.inputs)) as Record<string, unknown>;
  return { ...resource, inputs, secretInputs: [], secretPaths: [], redactedInputs: inputs };
}

/**
 * Every resource in both plans that an `up` from base to head would update or replace, classified by the
 * providers' ForceNew rules (`systemModels`), with certificate material following replaced sources to a fixpoint.
 */
export function plannedChanges(
  models: readonly SystemModel[],
  base: RenderFolder,
  head: RenderFolder,
): PlannedChange[] {
  const before = new Map(base.plan.resources.map((r) => [r.urn, r]));
  const common = head.plan.resources.filter((r) => r.custom && before.has(r.urn));
  const issuers = new Set(head.plan.resources.filter(issuesMaterial).map((r) => r.urn));
  const fresh = new Set(head.plan.resources.filter((r) => !before.has(r.urn) && issuesMaterial(r)).map((r) => r.urn));
  const visible = new Map<string, string[]>();
  for (const r of common) {
    const old = before.get(r.urn);
    if (!old) continue;
    const keys = [...new Set([...Object.keys(old.inputs), ...Object.keys(r.inputs)])];
    visible.set(
      r.urn,
      keys.filter((k) => masked(old.inputs[k]) !== masked(r.inputs[k])),
    );
  }
  const changes = new Map<string, PlannedChange>();
  let grew = true;
  while (grew) {
    grew = false;
    const replaced = new Set([
      ...fresh,
      ...[...changes.values()].filter((c) => c.action === "replace" && issuers.has(c.urn)).map((c) => c.urn),
    ]);
    for (const r of common) {
      const keys = new Set(visible.get(r.urn) ?? []);
      if (r.dependencies.some((d) => replaced.has(d))) materialKeys(r).forEach((k) => keys.add(k));
      const change = classifyChange(models, r, [...keys]);
      if (!change || isDeepStrictEqual(change, changes.get(r.urn))) continue;
      changes.set(r.urn, change);
      grew = true;
    }
  }
  return [...changes.values()].sort((a, b) => compareStrings(a.urn, b.urn));
}

// --- policy -----------------------------------------------------------------------------------------------------

export function violationLine(v: PolicyViolationRecord): string {
  return `[${v.level}] ${v.policy} ${v.name ?? v.urn ?? ""}: ${v.message}`;
}

function policyChanges(base: RenderFolder, head: RenderFolder): MeshDiff["policy"] {
  const before = new Map(base.policy.violations.map((v) => [violationLine(v), v]));
  const after = new Map(head.policy.violations.map((v) => [violationLine(v), v]));
  const { added, removed } = addedRemoved(before.keys(), after.keys());
  return {
    new: added.flatMap((k) => after.get(k) ?? []),
    resolved: removed.flatMap((k) => before.get(k) ?? []),
  };
}

// --- the whole diff ---------------------------------------------------------------------------------------------

export function meshDiff(models: readonly SystemModel[], base: RenderFolder, head: RenderFolder): MeshDiff {
  const baseEdges = edges(base);
  const headEdges = edges(head);
  const edgeChanges = addedRemoved(baseEdges.keys(), headEdges.keys());
  const changes = plannedChanges(models, base, head);
  const baseByUrn = new Map(base.plan.resources.map((r) => [r.urn, r]));
  const headByUrn = new Map(head.plan.resources.map((r) => [r.urn, r]));
  const restarts = changes.flatMap((c) => {
    const old = baseByUrn.get(c.urn);
    const now = headByUrn.get(c.urn);
    return old && now ? (restartOf(c, asRecorded(old), asRecorded(now)) ?? []) : [];
  });
  return {
    base: base.label,
    head: head.label,
    services: addedRemoved(services(base), services(head)),
    instances: addedRemoved(instances(base), instances(head)),
    edges: {
      added: edgeChanges.added.flatMap((k) => headEdges.get(k) ?? []),
      removed: edgeChanges.removed.flatMap((k) => baseEdges.get(k) ?? []),
    },
    envoyFiles: envoyFiles(base, head),
    certificates: {
      reissued: changes
        .filter((c) => c.action === "replace" && CERTIFICATE_TYPES.has(c.type))
        .map((c) => ({ certificate: c.name, urn: c.urn, properties: c.properties }))
        .sort((a, b) => compareStrings(a.certificate, b.certificate)),
    },
    restarts: restarts.sort((a, b) => compareStrings(a.name, b.name)),
    policy: policyChanges(base, head),
  };
}

/** One line per change, `+` added, `-` removed, `~` changed: the body of the Markdown report and of the tests. */
export function diffLines(diff: MeshDiff): string[] {
  return [
    ...diff.services.added.map((s) => `+ service ${s}`),
    ...diff.services.removed.map((s) => `- service ${s}`),
    ...diff.instances.added.map((s) => `+ instance ${s}`),
    ...diff.instances.removed.map((s) => `- instance ${s}`),
    ...diff.edges.added.map((e) => `+ edge ${edgeKey(e)}`),
    ...diff.edges.removed.map((e) => `- edge ${edgeKey(e)}`),
    ...diff.envoyFiles.added.map((f) => `+ envoy ${f}`),
    ...diff.envoyFiles.removed.map((f) => `- envoy ${f}`),
    ...diff.envoyFiles.changed.map((f) => `~ envoy ${f.path}`),
    ...diff.certificates.reissued.map((c) => `~ certificate ${c.certificate} reissued: ${c.properties.join(", ")}`),
    ...diff.restarts.map((r) => `~ restart ${r.name} (${r.role || "no role"}): ${r.why}`),
    ...diff.policy.new.map((v) => `+ violation ${violationLine(v)}`),
    ...diff.policy.resolved.map((v) => `- violation ${violationLine(v)}`),
  ];
}
