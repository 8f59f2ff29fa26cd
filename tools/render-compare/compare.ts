/**
 * Compares two render folders by meaning: every JSON and YAML file parsed, plan.json's resources keyed by URN, the
 * other files byte for byte. Key material and validity times differ between any two renders (fresh keys, the clock),
 * so PEM blocks and ISO timestamps compare as placeholders. For refactors that must not change what is deployed.
 *
 *   npx tsx tools/render-compare/compare.ts BEFORE_DIR AFTER_DIR   (exit 1 when they differ)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { load } from "js-yaml";

type Json = unknown;

const PEM = /-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----\n?/g;
const ISO_TIME = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z\b/g;

/**
 * Keys whose values come from fresh keys: certificate serials, the manifest's digests and sizes of files, and the
 * Consul StatefulSet's checksum over server.json and the server certificate (server.json itself is compared).
 */
const VOLATILE_KEYS = new Set([
  "serial",
  "serialNumber",
  "sha256",
  "sha256WithoutCertificates",
  "bytes",
  "lucid.mesh/config-checksum",
]);

/** Replaces what differs between any two renders with placeholders. */
function normalise(value: Json): Json {
  if (typeof value === "string") return value.replace(PEM, "<pem>").replace(ISO_TIME, "<time>");
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, VOLATILE_KEYS.has(k) ? "<volatile>" : normalise(v)]),
    );
  }
  return value;
}

function files(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(path.relative(root, full));
    }
  };
  walk(root);
  return out.sort();
}

function parse(file: string): Json {
  const text = fs.readFileSync(file, "utf8");
  if (file.endsWith(".json")) return JSON.parse(text) as Json;
  if (/\.ya?ml$/.test(file)) return load(text) as Json;
  return text;
}

/** plan.json with its resources keyed by URN, so only a change of a resource shows, not a change of order. */
function planByUrn(plan: Json): Json {
  const { resources, ...rest } = plan as { resources: Array<{ urn: string }> };
  return { ...rest, resources: Object.fromEntries(resources.map((r) => [r.urn, r])) };
}

/** Paths (`a.b[2]`) where two values differ, at most `limit`. */
function differences(a: Json, b: Json, at: string, out: string[], limit = 20): void {
  if (out.length >= limit || isDeepStrictEqual(a, b)) return;
  const bothObjects = a !== null && b !== null && typeof a === "object" && typeof b === "object";
  if (!bothObjects || Array.isArray(a) !== Array.isArray(b)) {
    out.push(`${at}: ${JSON.stringify(a)?.slice(0, 200)} -> ${JSON.stringify(b)?.slice(0, 200)}`);
    return;
  }
  const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
  for (const key of keys) {
    differences((a as Record<string, Json>)[key], (b as Record<string, Json>)[key], `${at}.${key}`, out, limit);
  }
}

export function compareRenders(before: string, after: string): string[] {
  const problems: string[] = [];
  const beforeFiles = files(before);
  const afterFiles = files(after);
  for (const f of beforeFiles.filter((x) => !afterFiles.includes(x))) problems.push(`${f}: missing after`);
  for (const f of afterFiles.filter((x) => !beforeFiles.includes(x))) problems.push(`${f}: new after`);
  for (const f of beforeFiles.filter((x) => afterFiles.includes(x))) {
    const read = (root: string): Json => {
      const parsed = normalise(parse(path.join(root, f)));
      return f === "plan.json" ? planByUrn(parsed) : parsed;
    };
    const found: string[] = [];
    differences(read(before), read(after), f, found);
    problems.push(...found);
  }
  return problems;
}

if (require.main === module) {
  const [before, after] = process.argv.slice(2);
  if (!before || !after) {
    console.error("usage: compare.ts BEFORE_DIR AFTER_DIR");
    process.exit(2);
  }
  const problems = compareRenders(before, after);
  const count = files(before).length;
  console.log(problems.length === 0 ? `same in meaning: ${count} files` : problems.join("\n"));
  process.exit(problems.length === 0 ? 0 : 1);
}
