/**
 * Redaction for everything the render writes. The recorder already replaces secret values with `[secret]`; the
 * exceptions here keep what reviewers and the gate need: a Docker container's non-secret uploads, and the shape
 * (keys, not values) of secret JSON files.
 */
import { SECRET_FILES_LABEL } from "../../components/labels";
import { REDACTED_SECRET, type RecordedResource } from "../../simulate/recorder";

export { REDACTED_SECRET };

const DOCKER_CONTAINER = "docker:index/container:Container";
const KUBERNETES_SECRET = "kubernetes:core/v1:Secret";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function redactLeaves(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactLeaves);
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactLeaves(v)]));
  return REDACTED_SECRET;
}

/**
 * A secret file's content, redacted. A JSON object keeps its keys (every value becomes `[secret]`), so a rule
 * can still see that `encrypt` or `acl.tokens` is set; anything else becomes `[secret]`.
 */
export function redactFileContent(content: string): string {
  try {
    const parsed: unknown = JSON.parse(content);
    if (isRecord(parsed)) return JSON.stringify(redactLeaves(parsed));
  } catch {
    // Not JSON: nothing of it is kept.
  }
  return REDACTED_SECRET;
}

/** The paths a container's `lucid.mesh/secret-files` label lists, or undefined when it has no such label. */
export function labelledSecretFiles(inputs: Record<string, unknown>): string[] | undefined {
  const labels = Array.isArray(inputs.labels) ? inputs.labels : [];
  for (const entry of labels) {
    if (isRecord(entry) && entry.label === SECRET_FILES_LABEL && typeof entry.value === "string") {
      return entry.value.split(",").filter((p) => p !== "");
    }
  }
  return undefined;
}

interface Upload {
  readonly file: string;
  readonly content?: string;
  readonly contentBase64?: string;
  readonly [key: string]: unknown;
}

function uploadsOf(inputs: Record<string, unknown>): Upload[] {
  const uploads = Array.isArray(inputs.uploads) ? inputs.uploads : [];
  return uploads.filter((u): u is Upload => isRecord(u) && typeof u.file === "string");
}

/**
 * Docker marks all of `uploads` secret when one file is. When the container's label names the secret files,
 * the uploads come back from the unwrapped inputs with exactly those files redacted.
 */
function restoredUploads(resource: RecordedResource, redacted: Record<string, unknown>): unknown[] | undefined {
  if (redacted.uploads !== REDACTED_SECRET) return undefined;
  const secretFiles = labelledSecretFiles(resource.inputs);
  if (secretFiles === undefined) return undefined;
  return uploadsOf(resource.inputs).map((u) => {
    if (!secretFiles.includes(u.file)) return u;
    const text = u.content ?? (u.contentBase64 ? Buffer.from(u.contentBase64, "base64").toString("utf8") : "");
    const { contentBase64: _dropped, ...rest } = u;
    return { ...rest, content: redactFileContent(text) };
  });
}

/** A Secret's `data`/`stringData` with every value redacted but its keys kept (JSON values keep their keys too). */
export function redactSecretData(data: unknown, encoded: boolean): Record<string, string> | undefined {
  if (!isRecord(data)) return undefined;
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => {
      const text = typeof v !== "string" ? "" : encoded ? Buffer.from(v, "base64").toString("utf8") : v;
      return [k, redactFileContent(text)];
    }),
  );
}

/** The inputs of a recorded resource as plan.json and the artifacts show them: no secret value survives. */
export function publicInputs(resource: RecordedResource): Record<string, unknown> {
  // redactedInputs is computed on each read (simulate/recorder.ts): read it once.
  const redacted = resource.redactedInputs;
  const inputs = { ...redacted };
  if (resource.type === DOCKER_CONTAINER) {
    const uploads = restoredUploads(resource, redacted);
    if (uploads) inputs.uploads = uploads;
  }
  if (resource.type === KUBERNETES_SECRET) {
    // A Secret's whole data is secret; its keys are not, and the gate needs them to join configs.
    const stringData = redactSecretData(resource.inputs.stringData, false);
    const data = redactSecretData(resource.inputs.data, true);
    if (stringData) inputs.stringData = stringData;
    if (data) inputs.data = data;
  }
  return inputs;
}

/** Files of a Docker container or Kubernetes Secret that must never be written (by path inside the workload). */
export function isSecretFile(resource: RecordedResource | undefined, file: string): boolean {
  if (/(^|\/)key\.pem$/.test(file) || /(^|\/)secrets\.json$/.test(file)) return true;
  if (resource?.type === DOCKER_CONTAINER) return labelledSecretFiles(resource.inputs)?.includes(file) ?? false;
  return false;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Whether a text holds a PEM block (escaped inside JSON or not). */
export function hasPem(text: string): boolean {
  return text.includes("-----BEGIN ");
}

/** Per-issuance certificate facts (the stack's certificate inventory) as JSON or YAML fields. */
const ISSUANCE_FIELD =
  /("?(?:serial|notBefore|notAfter|renewsFrom|validityStartTime|validityEndTime)"?\s*:\s*)"[^"\n]*"/g;

/**
 * The text with every PEM block and every per-issuance certificate field (serial, validity times) replaced by a
 * marker: what two renders must agree on, since each issues fresh certificates.
 */
export function withoutPems(text: string): string {
  return text
    .replace(PEM_BLOCK, (_m, label: string) => `<${label}>`)
    .replace(ISSUANCE_FIELD, (_m, key: string) => `${key}"<issued>"`);
}

/** Redacts any private key that reached a string (stack outputs), as a last line of defence. */
export function scrubPrivateKeys(value: unknown): unknown {
  if (typeof value === "string") return value.includes("PRIVATE KEY") ? REDACTED_SECRET : value;
  if (Array.isArray(value)) return value.map(scrubPrivateKeys);
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubPrivateKeys(v)]));
  return value;
}
