// Lazily loads Envoy's v3 protos (vendored by @grpc/grpc-js-xds) into one protobufjs Root per process.
//
// Two tiers keep the common case fast:
//   1. "core": bootstrap.proto, the xDS DiscoveryResponse and the extensions a mesh sidecar normally uses.
//   2. "full": every envoy/config and envoy/extensions v3 proto whose imports are all present in the
//      vendored tree. It is loaded only when an `@type` is not found in the core Root.
import * as fs from "fs";
import * as path from "path";
import * as protobuf from "protobufjs";

const DEPS_DIR = path.dirname(require.resolve("@grpc/grpc-js-xds/package.json")) + "/deps";
const INCLUDE_DIRS = ["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => path.join(DEPS_DIR, d));
const DESCRIPTOR_PROTO = path.join(
  path.dirname(require.resolve("protobufjs/package.json")),
  "google/protobuf/descriptor.proto",
);

const E = "envoy/extensions/";
/** Protos loaded up front; together they cover a typical sidecar bootstrap + LDS + CDS + SDS set. */
export const CORE_PROTOS: readonly string[] = [
  "envoy/config/bootstrap/v3/bootstrap.proto",
  "envoy/service/discovery/v3/discovery.proto",
  "envoy/config/trace/v3/opentelemetry.proto",
  "envoy/config/trace/v3/zipkin.proto",
  `${E}transport_sockets/tls/v3/tls.proto`,
  `${E}transport_sockets/raw_buffer/v3/raw_buffer.proto`,
  `${E}filters/network/http_connection_manager/v3/http_connection_manager.proto`,
  `${E}filters/network/tcp_proxy/v3/tcp_proxy.proto`,
  `${E}filters/http/router/v3/router.proto`,
  `${E}filters/http/rbac/v3/rbac.proto`,
  `${E}filters/http/local_ratelimit/v3/local_rate_limit.proto`,
  `${E}filters/http/health_check/v3/health_check.proto`,
  `${E}filters/listener/tls_inspector/v3/tls_inspector.proto`,
  `${E}network/dns_resolver/cares/v3/cares_dns_resolver.proto`,
  `${E}upstreams/http/v3/http_protocol_options.proto`,
  `${E}resource_monitors/fixed_heap/v3/fixed_heap.proto`,
  `${E}resource_monitors/downstream_connections/v3/downstream_connections.proto`,
  `${E}access_loggers/file/v3/file.proto`,
  `${E}access_loggers/stream/v3/stream.proto`,
  "udpa/type/v1/typed_struct.proto",
  "xds/type/v3/typed_struct.proto",
];

function resolveImport(target: string): string | null {
  if (target === "google/protobuf/descriptor.proto") return DESCRIPTOR_PROTO;
  // protobufjs bundles the other well-known types (any, duration, struct, wrappers, ...).
  if (target.startsWith("google/protobuf/")) return target;
  for (const dir of INCLUDE_DIRS) {
    const p = path.join(dir, target);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

function newRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => resolveImport(target) ?? protobuf.util.path.resolve(origin, target);
  return root;
}

const IMPORT_RE = /^import\s+(?:public\s+|weak\s+)?"([^"]+)";/gm;

/** Every v3 envoy/config + envoy/extensions proto whose transitive imports exist in the vendored tree. */
function listLoadableProtos(): string[] {
  const envoyDir = INCLUDE_DIRS[0] as string;
  const all: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".proto")) all.push(p);
    }
  };
  walk(path.join(envoyDir, "envoy/config"));
  walk(path.join(envoyDir, "envoy/extensions"));
  // Only v3 APIs: the v2/v2alpha/v1alpha1 packages reference envoy/api/v2 which is not vendored.
  const v3 = all.filter((f) => /\/v3\//.test(f) || !/\/v\d+(alpha|beta)?\d*\//.test(f));
  const ok = new Map<string, boolean>();
  const loadable = (abs: string): boolean => {
    if (abs.startsWith("google/protobuf/")) return true;
    const known = ok.get(abs);
    if (known !== undefined) return known;
    ok.set(abs, true); // break import cycles optimistically
    let good = true;
    // A light import scan (not a proto parser) to skip files whose dependencies are not vendored,
    // because a failed load would leave half-resolved types in the Root.
    for (const m of fs.readFileSync(abs, "utf8").matchAll(IMPORT_RE)) {
      const r = resolveImport(m[1] as string);
      if (r === null || !loadable(r)) {
        good = false;
        break;
      }
    }
    ok.set(abs, good);
    return good;
  };
  const good = v3.filter(loadable);
  for (const f of v3) if (!ok.get(f)) unloadableDirs.add(path.relative(envoyDir, path.dirname(f)));
  return good;
}

/** Directories (relative to envoy-api, e.g. "envoy/config/trace/v3") holding protos we could not load. */
const unloadableDirs = new Set<string>();

/**
 * True when `typeName` may live in a vendored proto that could not be loaded because its imports
 * (opencensus, opentelemetry) are not vendored: such types cannot be checked, which is not the config's fault.
 */
export function isUnloadableType(typeName: string): boolean {
  if (!fullRoot && !fullFailed) loadFullRoot();
  const parts = typeName.split(".");
  for (let i = parts.length - 1; i > 0; i--) {
    if (unloadableDirs.has(parts.slice(0, i).join("/"))) return true;
  }
  return false;
}

export interface LoadStats {
  tier: "core" | "full";
  files: number;
  ms: number;
}

let coreRoot: protobuf.Root | undefined;
let fullRoot: protobuf.Root | undefined;
let fullFailed = false;
const stats: LoadStats[] = [];

/** The cached core Root (loaded on first use). */
export function getRoot(): protobuf.Root {
  if (fullRoot) return fullRoot;
  if (!coreRoot) {
    const t0 = performance.now();
    const files = CORE_PROTOS.map((f) => resolveImport(f)).filter((f): f is string => f !== null);
    coreRoot = newRoot().loadSync(files, { keepCase: true });
    stats.push({ tier: "core", files: coreRoot.files.length, ms: performance.now() - t0 });
  }
  return coreRoot;
}

/** Upgrades to the full Root (all loadable protos). Returns false if it was already loaded or failed. */
export function loadFullRoot(): boolean {
  if (fullRoot || fullFailed) return false;
  const t0 = performance.now();
  try {
    const core = CORE_PROTOS.map((f) => resolveImport(f)).filter((f): f is string => f !== null);
    const root = newRoot().loadSync([...new Set([...core, ...listLoadableProtos()])], { keepCase: true });
    fullRoot = root;
    stats.push({ tier: "full", files: root.files.length, ms: performance.now() - t0 });
    return true;
  } catch {
    fullFailed = true;
    return false;
  }
}

export function loadStats(): readonly LoadStats[] {
  return stats;
}

/** Looks up a message type, upgrading to the full Root when the core one lacks it. */
const lookupCache = new WeakMap<protobuf.Root, Map<string, protobuf.Type | null>>();

function find(root: protobuf.Root, fullName: string): protobuf.Type | null {
  let cache = lookupCache.get(root);
  if (!cache) lookupCache.set(root, (cache = new Map()));
  let t = cache.get(fullName);
  if (t === undefined) {
    const found = root.lookup(fullName.startsWith(".") ? fullName : "." + fullName);
    t = found instanceof protobuf.Type ? found : null;
    cache.set(fullName, t);
  }
  return t;
}

export function lookupMessage(fullName: string): protobuf.Type | null {
  const t = find(getRoot(), fullName);
  if (t) return t;
  if (loadFullRoot()) return find(getRoot(), fullName);
  return null;
}
