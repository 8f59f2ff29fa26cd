/**
 * `npm run envoy:yaml-cpp-check`: loads every Envoy file we write with yaml-cpp, the YAML library Envoy itself links,
 * and checks it gives what js-yaml (which the validator and the policies use) gives.
 *
 * The Envoy files are plain block YAML (model/yaml.ts). js-yaml and yaml-cpp still differ at the edges of scalar
 * typing (Envoy converts yaml-cpp's strings itself), so this loads each file with both. It needs a C++ compiler and yaml-cpp's headers (Debian: `apt-get install g++
 * libyaml-cpp-dev`), which CI does not have: it is a tool to run where they exist, not part of `npm test`.
 *
 * For every sidecar and gateway of the dev and prod stacks and of 10- and 100-service synthetic meshes (Docker and
 * Kubernetes), each file must (1) load with yaml-cpp, (2) give the same value as yaml-cpp gives for the same
 * document written as plain block YAML (`toYaml`), and (3) equal js-yaml's value under Envoy's scalar conversion.
 * Exit 0 when all hold, 1 when one does not, 2 when the compiler or yaml-cpp is missing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { load } from "js-yaml";
import { syntheticMeshConfig } from "../../bench/syntheticMesh";
import { configFiles, gatewayConfig, sidecarConfig, type EnvoyConfigObjects } from "../../envoy";
import { toYaml } from "../../model/yaml";
import { allInstances, parseMeshConfig, type Mesh } from "../../model";
import { meshConfigValue, readStackFile } from "../../model/stackFile";

const ROOT = resolve(__dirname, "..", "..");
const BATCH = 200;

function stackMesh(stack: string): Mesh {
  return parseMeshConfig(meshConfigValue(readStackFile(ROOT, stack)));
}

/** The compiled loader, or undefined (with the reason printed) when g++ or yaml-cpp is missing. */
function compile(work: string): string | undefined {
  const binary = join(work, "yaml-to-json");
  const result = spawnSync(
    "g++",
    ["-O2", "-std=c++17", "-o", binary, join(__dirname, "yaml-to-json.cc"), "-lyaml-cpp"],
    { encoding: "utf8" },
  );
  if (result.error || result.status !== 0) {
    const why = result.error ? result.error.message : result.stderr.trim().split("\n")[0];
    console.error(
      `envoy:yaml-cpp-check needs g++ and yaml-cpp's headers (apt-get install g++ libyaml-cpp-dev): ${why}`,
    );
    return undefined;
  }
  return binary;
}

/** yaml-cpp's JSON for each file, one line each ("ERROR <file>: ..." for a file it cannot load). */
function loadWithYamlCpp(binary: string, files: readonly string[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < files.length; i += BATCH) {
    let text: string;
    try {
      text = execFileSync(binary, files.slice(i, i + BATCH), { maxBuffer: 1 << 30, encoding: "utf8" });
    } catch (error) {
      // It exits 1 when a file failed to load but still printed a line for every file.
      text = String((error as { stdout?: string }).stdout ?? "");
    }
    lines.push(...text.trimEnd().split("\n"));
  }
  return lines;
}

/**
 * js-yaml's value against yaml-cpp's under Envoy's scalar conversion (yaml_utility.cc): an integer within int32
 * stays a number, any other number arrives as its text.
 */
function sameValue(cpp: unknown, js: unknown): boolean {
  if (js === null || typeof js === "string" || typeof js === "boolean") return cpp === js;
  if (typeof js === "number") {
    if (Number.isInteger(js) && js >= -(2 ** 31) && js < 2 ** 31 && !Object.is(js, -0)) return cpp === js;
    return typeof cpp === "string" && Object.is(Number(cpp), js);
  }
  if (Array.isArray(js)) {
    return Array.isArray(cpp) && cpp.length === js.length && js.every((v, i) => sameValue(cpp[i], v));
  }
  if (typeof js === "object") {
    if (cpp === null || typeof cpp !== "object" || Array.isArray(cpp)) return false;
    const jsObject = js as Record<string, unknown>;
    const cppObject = cpp as Record<string, unknown>;
    const keys = Object.keys(jsObject).sort();
    return (
      isDeepStrictEqual(keys, Object.keys(cppObject).sort()) && keys.every((k) => sameValue(cppObject[k], jsObject[k]))
    );
  }
  return false;
}

function main(): void {
  const work = mkdtempSync(join(tmpdir(), "lucid-yaml-cpp-"));
  try {
    const binary = compile(work);
    if (!binary) {
      process.exitCode = 2;
      return;
    }
    const meshes: Array<[string, Mesh]> = [
      ["dev", stackMesh("dev")],
      ["prod", stackMesh("prod")],
      ["synthetic-10-docker", parseMeshConfig(syntheticMeshConfig({ services: 10 }))],
      ["synthetic-100-docker", parseMeshConfig(syntheticMeshConfig({ services: 100 }))],
      ["synthetic-10-kubernetes", parseMeshConfig(syntheticMeshConfig({ services: 10, platform: "kubernetes" }))],
      ["synthetic-100-kubernetes", parseMeshConfig(syntheticMeshConfig({ services: 100, platform: "kubernetes" }))],
    ];
    const written: string[] = [];
    const plain: string[] = [];
    const jsValues: unknown[] = [];
    for (const [meshName, mesh] of meshes) {
      const configs: Array<[string, EnvoyConfigObjects]> = [
        ...allInstances(mesh).map((i): [string, EnvoyConfigObjects] => [i.name, sidecarConfig(mesh, i)]),
        ...mesh.clusters.map((c): [string, EnvoyConfigObjects] => [`gateway-${c.name}`, gatewayConfig(mesh, c.name)]),
      ];
      for (const [id, config] of configs) {
        const documents = [config.bootstrap, config.listeners, config.clusters];
        Object.entries(configFiles(config)).forEach(([file, text], k) => {
          const base = join(work, `${meshName}.${id}.${file}`.replace(/[^A-Za-z0-9._-]/g, "_"));
          writeFileSync(`${base}.written.yaml`, text);
          writeFileSync(`${base}.plain.yaml`, toYaml(documents[k]));
          written.push(`${base}.written.yaml`);
          plain.push(`${base}.plain.yaml`);
          jsValues.push(load(text));
        });
      }
    }
    const writtenJson = loadWithYamlCpp(binary, written);
    const plainJson = loadWithYamlCpp(binary, plain);
    let loadErrors = 0;
    let differFromPlain = 0;
    let differFromJsYaml = 0;
    written.forEach((file, i) => {
      const line = writtenJson[i] ?? "ERROR (no output)";
      if (line.startsWith("ERROR")) {
        loadErrors++;
        console.log(line);
        return;
      }
      if (line !== plainJson[i]) {
        differFromPlain++;
        console.log(`yaml-cpp reads ${file} differently from its plain block form`);
      }
      if (!sameValue(JSON.parse(line), jsValues[i])) {
        differFromJsYaml++;
        console.log(`yaml-cpp and js-yaml read ${file} differently`);
      }
    });
    console.log(
      `${written.length} files (${meshes.map(([n]) => n).join(", ")}): ${loadErrors} yaml-cpp load errors, ` +
        `${differFromPlain} differ from the plain block form, ${differFromJsYaml} differ from js-yaml`,
    );
    process.exitCode = loadErrors + differFromPlain + differFromJsYaml === 0 ? 0 : 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
