// Validates a set of Envoy files (one bootstrap plus file-based LDS/CDS/SDS resource files) as one
// proxy's configuration: each file against its proto type, then references across the set.
import * as path from "path";
import * as yaml from "js-yaml";
import { lookupMessage } from "./protos";
import type { WalkContext } from "./schema";
import { walkMessage } from "./schema";
import type { ConfigFile, ValidationIssue } from "./types";
import { getField, isPlainObject, joinIndex, joinKey, keyOf } from "./types";

const T = {
  bootstrap: "envoy.config.bootstrap.v3.Bootstrap",
  discoveryResponse: "envoy.service.discovery.v3.DiscoveryResponse",
  listener: "envoy.config.listener.v3.Listener",
  cluster: "envoy.config.cluster.v3.Cluster",
  secret: "envoy.extensions.transport_sockets.tls.v3.Secret",
  sdsConfig: "envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig",
  hcm: "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
  router: "envoy.extensions.filters.http.router.v3.Router",
  routeConfig: "envoy.config.route.v3.RouteConfiguration",
};

/** Message type -> fields of that type that name a cluster. */
const CLUSTER_REFS: Record<string, string[]> = {
  "envoy.config.route.v3.RouteAction": ["cluster"],
  "envoy.config.route.v3.WeightedCluster.ClusterWeight": ["name"],
  "envoy.config.route.v3.RouteAction.RequestMirrorPolicy": ["cluster"],
  "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy": ["cluster"],
  "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster.ClusterWeight": ["name"],
  "envoy.config.core.v3.GrpcService.EnvoyGrpc": ["cluster_name"],
  "envoy.config.core.v3.HttpUri": ["cluster"],
  "envoy.config.core.v3.ApiConfigSource": ["cluster_names"],
  "envoy.config.trace.v3.ZipkinConfig": ["collector_cluster"],
  "envoy.config.trace.v3.DatadogConfig": ["collector_cluster"],
  "envoy.config.trace.v3.LightstepConfig": ["collector_cluster"],
  "envoy.config.bootstrap.v3.ClusterManager": ["local_cluster_name"],
};

const INTEREST: ReadonlySet<string> = new Set([
  T.bootstrap,
  T.listener,
  T.cluster,
  T.secret,
  T.sdsConfig,
  T.hcm,
  ...Object.keys(CLUSTER_REFS),
]);

interface Located {
  file: string;
  path: string;
}
interface Named extends Located {
  name: string;
}
interface ListenerAddr extends Located {
  listener: string;
  key: string;
}
interface SdsRef extends Named {
  /** path_config_source path, if file-based. */
  sdsPath: string | null;
  /** true when sds_config is set but not file-based (ADS / gRPC): cannot be checked offline. */
  remote: boolean;
}
interface XdsSource {
  path: string | null;
  remote: boolean;
  at: Located;
}
interface BootstrapInfo {
  file: string;
  lds: XdsSource | null;
  cds: XdsSource | null;
}

interface FileState {
  file: ConfigFile;
  name: string;
  kind: "bootstrap" | "resources" | "invalid";
  /** For resource files: the @type of each resource. */
  resourceTypes: Array<{ type: string; path: string }>;
}

function displayName(p: string): string {
  return p;
}

function parseDocument(file: ConfigFile, issues: ValidationIssue[]): unknown {
  const name = displayName(file.path);
  try {
    if (/\.json$/i.test(file.path)) return JSON.parse(file.content) as unknown;
    return yaml.load(file.content);
  } catch (e) {
    issues.push({
      file: name,
      path: "",
      message: `cannot parse ${/\.json$/i.test(file.path) ? "JSON" : "YAML"}: ${(e as Error).message.split("\n")[0]}`,
      severity: "error",
    });
    return undefined;
  }
}

/** Reads a ConfigSource; returns its file path if path-based. */
function configSourcePath(cs: unknown): { path: string | null; remote: boolean } | null {
  if (!isPlainObject(cs)) return null;
  const pcs = getField(cs, "path_config_source");
  if (isPlainObject(pcs)) {
    const p = getField(pcs, "path");
    return { path: typeof p === "string" ? p : null, remote: false };
  }
  const legacy = getField(cs, "path");
  if (typeof legacy === "string") return { path: legacy, remote: false };
  return { path: null, remote: true };
}

function socketKey(addr: unknown): string | null {
  const sa = getField(addr, "socket_address");
  if (!isPlainObject(sa)) return null;
  const port = getField(sa, "port_value");
  const host = getField(sa, "address");
  if (port === undefined || port === 0 || port === "0") return null;
  const proto = getField(sa, "protocol") ?? "TCP";
  return `${String(proto) === "1" ? "UDP" : String(proto)} ${String(host)}:${String(port)}`;
}

class SetCollector {
  readonly listeners: Named[] = [];
  readonly addrs: ListenerAddr[] = [];
  readonly clusters: Named[] = [];
  readonly secrets: Named[] = [];
  readonly sdsRefs: SdsRef[] = [];
  readonly clusterRefs: Named[] = [];
  readonly bootstraps: BootstrapInfo[] = [];

  constructor(private readonly issues: ValidationIssue[]) {}

  hook(file: string): (typeName: string, node: Record<string, unknown>, p: string) => void {
    return (typeName, node, p) => {
      const name = getField(node, "name");
      switch (typeName) {
        case T.listener: {
          const lname = typeof name === "string" ? name : "";
          this.listeners.push({ file, path: p, name: lname });
          const address = getField(node, "address");
          const key = socketKey(address);
          if (key) this.addrs.push({ file, path: joinKey(p, keyOf(node, "address")), listener: lname, key });
          const extra = getField(node, "additional_addresses");
          if (Array.isArray(extra)) {
            extra.forEach((a, i) => {
              const k = socketKey(getField(a, "address"));
              if (k)
                this.addrs.push({
                  file,
                  path: joinIndex(joinKey(p, keyOf(node, "additional_addresses")), i),
                  listener: lname,
                  key: k,
                });
            });
          }
          return;
        }
        case T.cluster:
          if (typeof name === "string") this.clusters.push({ file, path: p, name });
          return;
        case T.secret:
          if (typeof name === "string") this.secrets.push({ file, path: p, name });
          return;
        case T.sdsConfig: {
          if (typeof name !== "string" || name === "") return;
          const src = configSourcePath(getField(node, "sds_config"));
          this.sdsRefs.push({
            file,
            path: joinKey(p, "name"),
            name,
            sdsPath: src?.path ?? null,
            remote: src?.remote ?? false,
          });
          return;
        }
        case T.hcm:
          this.checkRouterLast(file, node, p);
          return;
        case T.bootstrap: {
          const dyn = getField(node, "dynamic_resources");
          const src = (field: string): XdsSource | null => {
            const cs = getField(dyn, field);
            const r = configSourcePath(cs);
            if (!r) return null;
            return {
              ...r,
              at: { file, path: joinKey(joinKey(p, keyOf(node, "dynamic_resources")), keyOf(dyn, field)) },
            };
          };
          this.bootstraps.push({ file, lds: src("lds_config"), cds: src("cds_config") });
          return;
        }
      }
      const refs = CLUSTER_REFS[typeName];
      if (!refs) return;
      for (const field of refs) {
        const v = getField(node, field);
        const fp = joinKey(p, keyOf(node, field));
        if (typeof v === "string" && v !== "") this.clusterRefs.push({ file, path: fp, name: v });
        else if (Array.isArray(v))
          v.forEach(
            (x, i) => typeof x === "string" && this.clusterRefs.push({ file, path: joinIndex(fp, i), name: x }),
          );
      }
    };
  }

  checkRouterLast(file: string, node: Record<string, unknown>, p: string): void {
    const filters = getField(node, "http_filters");
    const fp = joinKey(p, keyOf(node, "http_filters"));
    const list = Array.isArray(filters) ? filters : [];
    const isRouter = (f: unknown): boolean => {
      const tc = getField(f, "typed_config");
      const t = isPlainObject(tc) ? tc["@type"] : undefined;
      if (typeof t === "string") return t.slice(t.lastIndexOf("/") + 1) === T.router;
      return getField(f, "name") === "envoy.filters.http.router";
    };
    const idx = list.findIndex(isRouter);
    if (idx < 0) {
      this.issues.push({
        file,
        path: fp,
        message:
          "http_connection_manager has no router filter (envoy.filters.http.router); it must be the last HTTP filter",
        severity: "error",
      });
      return;
    }
    if (idx !== list.length - 1) {
      const after = list.slice(idx + 1).map((f) => String(getField(f, "name") ?? "?"));
      this.issues.push({
        file,
        path: joinIndex(fp, idx),
        message: `the router filter must be the last HTTP filter, but it is followed by ${after.join(", ")}`,
        severity: "error",
      });
    }
  }
}

/** Finds the set file a config path refers to: exact path first, then basename. */
function findFile(states: FileState[], p: string): FileState | undefined {
  return states.find((s) => s.file.path === p) ?? states.find((s) => path.basename(s.file.path) === path.basename(p));
}

function duplicates<V extends Named>(items: V[], what: string, issues: ValidationIssue[]): void {
  const first = new Map<string, V>();
  for (const it of items) {
    if (it.name === "") continue;
    const prev = first.get(it.name);
    if (prev) {
      issues.push({
        file: it.file,
        path: it.path,
        message: `duplicate ${what} name "${it.name}" (first defined at ${prev.file}: ${prev.path})`,
        severity: "error",
      });
    } else first.set(it.name, it);
  }
}

/** Validates every file, then the references between them. */
export function validateConfigSetSync(files: ConfigFile[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const collector = new SetCollector(issues);
  const states: FileState[] = [];
  const bootstrapType = lookupMessage(T.bootstrap);
  const responseType = lookupMessage(T.discoveryResponse);
  if (!bootstrapType || !responseType)
    throw new Error("Envoy protos failed to load (Bootstrap / DiscoveryResponse missing)");

  for (const file of files) {
    const name = displayName(file.path);
    const state: FileState = { file, name, kind: "invalid", resourceTypes: [] };
    states.push(state);
    const doc = parseDocument(file, issues);
    if (doc === undefined) continue;
    if (!isPlainObject(doc)) {
      issues.push({
        file: name,
        path: "",
        message: "expected a YAML/JSON object (a bootstrap or a {resources: [...]} file)",
        severity: "error",
      });
      continue;
    }
    const ctx: WalkContext = { file: name, issues, interest: INTEREST, onMessage: collector.hook(name) };
    if ("resources" in doc) {
      state.kind = "resources";
      const res = doc.resources;
      if (Array.isArray(res)) {
        res.forEach((r, i) => {
          const t = isPlainObject(r) ? r["@type"] : undefined;
          if (typeof t === "string")
            state.resourceTypes.push({
              type: t.slice(t.lastIndexOf("/") + 1),
              path: joinKey(joinIndex("resources", i), "@type"),
            });
        });
      }
      walkMessage(responseType, doc, "", ctx);
    } else {
      state.kind = "bootstrap";
      walkMessage(bootstrapType, doc, "", ctx);
    }
  }

  crossCheck(states, collector, issues);
  return issues;
}

function crossCheck(states: FileState[], c: SetCollector, issues: ValidationIssue[]): void {
  const err = (at: Located, message: string): void =>
    void issues.push({ file: at.file, path: at.path, message, severity: "error" });
  const warn = (at: Located, message: string): void =>
    void issues.push({ file: at.file, path: at.path, message, severity: "warning" });

  if (c.bootstraps.length > 1) {
    for (const b of c.bootstraps.slice(1))
      warn({ file: b.file, path: "" }, `more than one bootstrap in the config set (first: ${c.bootstraps[0]?.file})`);
  }

  // Dynamic file-based LDS/CDS: the referenced file must be in the set and hold only that resource type.
  let clustersKnown = c.bootstraps.length > 0 || c.clusters.length > 0;
  const roleOf = new Map<FileState, string>();
  const expectRole = (src: XdsSource | null, role: string, type: string): void => {
    if (!src) return;
    if (src.remote) {
      if (role === "CDS") clustersKnown = false;
      return;
    }
    if (!src.path) return;
    const f = findFile(states, src.path);
    if (!f) {
      warn(src.at, `${role} file ${src.path} is not part of the config set; its resources are not checked`);
      if (role === "CDS") clustersKnown = false;
      return;
    }
    roleOf.set(f, role);
    if (f.kind === "bootstrap") {
      err(src.at, `${role} file ${src.path} is a bootstrap, expected a {resources: [...]} file`);
      return;
    }
    for (const rt of f.resourceTypes) {
      if (rt.type !== type) err({ file: f.name, path: rt.path }, `${role} file holds a ${rt.type}, expected ${type}`);
    }
  };
  for (const b of c.bootstraps) {
    expectRole(b.lds, "LDS", T.listener);
    expectRole(b.cds, "CDS", T.cluster);
  }

  duplicates(c.listeners, "listener", issues);
  duplicates(c.clusters, "cluster", issues);
  // Secrets: static secrets share one namespace; each SDS file is its own.
  const secretsByFile = new Map<string, Named[]>();
  for (const s of c.secrets) secretsByFile.set(s.file, [...(secretsByFile.get(s.file) ?? []), s]);
  for (const list of secretsByFile.values()) duplicates(list, "secret", issues);

  const byAddr = new Map<string, ListenerAddr>();
  for (const a of c.addrs) {
    const prev = byAddr.get(a.key);
    if (prev)
      err(
        a,
        `listener "${a.listener}" uses ${a.key}, already used by listener "${prev.listener}" (${prev.file}: ${prev.path})`,
      );
    else byAddr.set(a.key, a);
  }

  // Cluster references.
  const clusterNames = new Set(c.clusters.map((x) => x.name));
  if (clustersKnown) {
    for (const r of c.clusterRefs) {
      if (!clusterNames.has(r.name)) {
        const known = [...clusterNames].slice(0, 10).join(", ");
        err(
          r,
          `unknown cluster "${r.name}"${known ? ` (known clusters: ${known}${clusterNames.size > 10 ? ", ..." : ""})` : " (no clusters are defined)"}`,
        );
      }
    }
  } else if (c.clusterRefs.length > 0) {
    const first = c.clusterRefs[0] as Named;
    warn(first, `cluster references not checked: the clusters (CDS) are not part of the config set`);
  }

  // SDS references.
  const bootstrapFiles = new Set(c.bootstraps.map((b) => b.file));
  const staticSecrets = new Set(c.secrets.filter((s) => bootstrapFiles.has(s.file)).map((s) => s.name));
  for (const r of c.sdsRefs) {
    if (r.sdsPath) {
      const f = findFile(states, r.sdsPath);
      if (!f) {
        warn(r, `SDS file ${r.sdsPath} for secret "${r.name}" is not part of the config set; not checked`);
        continue;
      }
      roleOf.set(f, "SDS");
      const inFile = c.secrets.filter((s) => s.file === f.name);
      if (!inFile.some((s) => s.name === r.name)) {
        err(
          r,
          `unknown SDS secret "${r.name}": not found in ${f.name}${inFile.length ? ` (it defines ${inFile.map((s) => s.name).join(", ")})` : ""}`,
        );
      }
      for (const rt of f.resourceTypes) {
        if (rt.type !== T.secret)
          err({ file: f.name, path: rt.path }, `SDS file holds a ${rt.type}, expected ${T.secret}`);
      }
    } else if (r.remote) {
      continue;
    } else if (c.bootstraps.length > 0) {
      if (!staticSecrets.has(r.name)) {
        err(
          r,
          `unknown secret "${r.name}": no static secret with that name in the bootstrap${staticSecrets.size ? ` (defined: ${[...staticSecrets].join(", ")})` : ""}`,
        );
      }
    } else {
      warn(r, `static secret "${r.name}" not checked: no bootstrap in the config set`);
    }
  }
}

export async function validateConfigSet(files: ConfigFile[]): Promise<ValidationIssue[]> {
  return validateConfigSetSync(files);
}

/** Validates one object against a message type, e.g. "envoy.config.bootstrap.v3.Bootstrap". */
export function validateMessage(typeName: string, value: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const t = lookupMessage(typeName.replace(/^type\.googleapis\.com\//, ""));
  if (!t) return [{ file: "", path: "", message: `unknown message type ${typeName}`, severity: "error" }];
  walkMessage(t, value, "", { file: "", issues });
  return issues;
}
