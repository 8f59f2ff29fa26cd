/**
 * The files a resource carries, whatever they are for: a Docker container's `uploads`, a Kubernetes Secret's values.
 * The Envoy and Consul readers build on these.
 */
import type { Json } from "./props";
import { asRecords, asString, at } from "./props";

/** Text of a Docker upload: `content`, or `contentBase64` decoded. */
export function uploadText(upload: Json): string | undefined {
  const content = asString(upload.content);
  if (content !== undefined) return content;
  const base64 = asString(upload.contentBase64);
  return base64 === undefined ? undefined : Buffer.from(base64, "base64").toString("utf8");
}

/** Docker uploads as `[path, text]` pairs. */
export function uploadsOf(props: unknown): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const upload of asRecords(at(props, "uploads"))) {
    const file = asString(upload.file);
    const text = uploadText(upload);
    if (file !== undefined && text !== undefined) out.push([file, text]);
  }
  return out;
}

/** A Kubernetes Secret's value: `stringData`, or base64 `data` (what the provider reports in outputs). */
export function secretValue(props: unknown, key: string): string | undefined {
  const plain = asString(at(props, "stringData", key));
  if (plain !== undefined) return plain;
  const encoded = asString(at(props, "data", key));
  return encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString("utf8");
}
