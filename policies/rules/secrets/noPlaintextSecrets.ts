import { envoyFiles } from "../../vendor/model/names";
import { parseJson } from "../../lib/consulArtifacts";
import { uploadsOf } from "../../lib/files";
import { stackRule } from "../../lib/policy";
import { asArray, asRecord, asRecords, asString, at, isRecord } from "../../lib/props";
import { WORKLOAD_TYPES, containersOf, podSpecOf } from "../../lib/workloads";
import type { StackResource, StackViolation } from "../../lib/types";
import { types } from "../../lib/types";

export const noPlaintextSecretsDefaults = {
  /** Where secret files may be uploaded (prefixes): Envoy's SDS directory, Consul's TLS dir and secrets file. */
  secretPaths: [`${envoyFiles.secretsDirectory}/`, "/consul/tls/", "/consul/config/secrets.json"] as readonly string[],
  /**
   * Top-level stack outputs that carry a credential to another stack on purpose, exported as a Pulumi secret and
   * read with StackReference.getOutput (a split mesh's cluster stacks export `consulToken` to their peering stacks,
   * docs/split-stacks.md). None by default.
   */
  crossStackOutputs: [] as readonly string[],
};
export type NoPlaintextSecretsConfig = typeof noPlaintextSecretsDefaults;

const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
/** Names that say "this value is a credential"; `*_FILE`/`*_PATH` only point at one. */
const SENSITIVE_NAME = /(token|secret|passw(or)?d|api[_-]?key|private[_-]?key|encrypt|gossip[_-]?key)/i;
const POINTER_NAME = /(_file|_path|_dir)$/i;

function isSensitiveName(name: string): boolean {
  return SENSITIVE_NAME.test(name) && !POINTER_NAME.test(name);
}

/** What secret material a text holds: a PEM private key, or Consul agent secrets in JSON. */
export function secretMaterial(text: string): string | undefined {
  if (PEM_PRIVATE_KEY.test(text)) return "a PEM private key";
  const trimmed = text.trim();
  if (!trimmed.startsWith("{")) return undefined;
  const json = parseJson(trimmed).value;
  if ((asString(at(json, "encrypt")) ?? "") !== "") return "the Consul gossip key (encrypt)";
  const tokens = asRecord(at(json, "acl", "tokens"));
  if (tokens && Object.values(tokens).some((v) => typeof v === "string" && v !== "")) return "Consul ACL tokens";
  return undefined;
}

/** Strings anywhere in a value, with their dotted paths. */
function* strings(value: unknown, path: string): Generator<[string, string]> {
  if (typeof value === "string") {
    yield [path, value];
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* strings(item, `${path}[${i}]`);
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) yield* strings(v, path === "" ? k : `${path}.${k}`);
  }
}

function envProblems(pairs: Array<[string, string]>, where: string): string[] {
  const problems: string[] = [];
  for (const [name, value] of pairs) {
    if (PEM_PRIVATE_KEY.test(value)) {
      problems.push(`${where} env ${name} holds a PEM private key; mount it from a secret file instead.`);
    } else if (value !== "" && isSensitiveName(name)) {
      problems.push(
        `${where} env ${name} holds a credential in plain text; read it from a secret (file or secretKeyRef).`,
      );
    }
  }
  return problems;
}

function resourceProblems(r: StackResource, config: NoPlaintextSecretsConfig): string[] {
  const problems: string[] = [];
  if (r.type === types.dockerContainer) {
    const pairs: Array<[string, string]> = [];
    for (const entry of asArray(at(r.props, "envs"))) {
      if (typeof entry !== "string") continue;
      const eq = entry.indexOf("=");
      pairs.push(eq < 0 ? [entry, ""] : [entry.slice(0, eq), entry.slice(eq + 1)]);
    }
    problems.push(...envProblems(pairs, "container"));
    for (const [file, text] of uploadsOf(r.props)) {
      const material = secretMaterial(text);
      if (material && !config.secretPaths.some((prefix) => file.startsWith(prefix))) {
        problems.push(
          `upload ${file} holds ${material} outside the secret paths; upload it under ${config.secretPaths.join(" or ")}.`,
        );
      }
    }
  } else if (r.type === types.configMap) {
    const data = { ...(asRecord(at(r.props, "data")) ?? {}) };
    for (const [key, value] of Object.entries(asRecord(at(r.props, "binaryData")) ?? {})) {
      if (typeof value === "string") data[key] = Buffer.from(value, "base64").toString("utf8");
    }
    for (const [key, value] of Object.entries(data)) {
      const material = typeof value === "string" ? secretMaterial(value) : undefined;
      if (material) problems.push(`ConfigMap key ${key} holds ${material}; move it to a Secret.`);
    }
  } else if (WORKLOAD_TYPES.includes(r.type)) {
    for (const c of containersOf(podSpecOf(r.type, r.props))) {
      const pairs = asRecords(c.spec.env)
        .filter((e) => typeof e.value === "string")
        .map((e): [string, string] => [asString(e.name) ?? "", asString(e.value) ?? ""]);
      problems.push(...envProblems(pairs, `${c.kind} ${c.name}`));
    }
  } else if (r.type === types.stack) {
    for (const [path, value] of strings(r.props, "")) {
      const top = path.split(/[.[]/)[0] ?? path;
      if (config.crossStackOutputs.includes(top) && !PEM_PRIVATE_KEY.test(value)) continue;
      const leaf = path.slice(path.lastIndexOf(".") + 1).replace(/\[\d+\]$/, "");
      // Even a secret output is a copy of a key outside its resource: read keys from the tls resources instead.
      if (PEM_PRIVATE_KEY.test(value)) problems.push(`stack output ${path} exports a private key; stop exporting it.`);
      else if (value.length >= 8 && isSensitiveName(leaf)) {
        problems.push(`stack output ${path} looks like a credential; stop exporting it.`);
      }
    }
  }
  return problems;
}

/** Private keys and tokens live only in Secrets and secret files, never in ConfigMaps, env or stack outputs. */
export function checkNoPlaintextSecrets(
  resources: readonly StackResource[],
  config: NoPlaintextSecretsConfig,
): StackViolation[] {
  return resources.flatMap((r) =>
    resourceProblems(r, config).map((problem) => ({ urn: r.urn, message: `${r.name}: ${problem}` })),
  );
}

export const noPlaintextSecrets = stackRule(
  {
    name: "lucid-secrets-no-plaintext-secrets",
    description:
      "Keep private keys and tokens out of ConfigMaps, environment variables, non-secret files and stack outputs.",
    severity: "critical",
    defaults: noPlaintextSecretsDefaults,
    configSchema: {
      properties: {
        secretPaths: {
          type: "array",
          items: { type: "string", pattern: "^/" },
          default: [...noPlaintextSecretsDefaults.secretPaths],
          description: "Path prefixes inside containers where secret files may be uploaded.",
        },
        crossStackOutputs: {
          type: "array",
          items: { type: "string" },
          default: [...noPlaintextSecretsDefaults.crossStackOutputs],
          description:
            "Top-level stack outputs that carry a credential (never a private key) to another stack on purpose, as a Pulumi secret.",
        },
      },
    },
  },
  checkNoPlaintextSecrets,
);
