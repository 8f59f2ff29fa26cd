/** Meshes from the repo's stack files, loaded the way the program does, and fake PEMs for TLS inputs. */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { findCluster, parseMeshConfig, type Mesh, type MeshCluster } from "../../model";
import { uuidFromHex } from "../../components/consulCluster";
import type { ProviderModel } from "../../simulate/recorder";

const ROOT = path.resolve(__dirname, "..", "..");

export function rawStackConfig(stack: "dev" | "prod"): Record<string, unknown> {
  const doc = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  return structuredClone(doc.config["lucid-mesh:mesh"]) as Record<string, unknown>;
}

export function loadMesh(stack: "dev" | "prod"): Mesh {
  return parseMeshConfig(rawStackConfig(stack));
}

export function clusterOf(mesh: Mesh, name: string): MeshCluster {
  return findCluster(mesh, name);
}

export const FAKE_TLS = {
  caPem: "-----BEGIN CERTIFICATE-----\nFAKECA\n-----END CERTIFICATE-----\n",
  certPem: "-----BEGIN CERTIFICATE-----\nFAKESERVER\n-----END CERTIFICATE-----\n",
  keyPem: "-----BEGIN EC PRIVATE KEY-----\nFAKEKEY\n-----END EC PRIVATE KEY-----\n",
};

export const FAKE_GOSSIP_KEY = "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyMDE=";

/** The 16 bytes (hex) the fake random provider gives a RandomBytes of that name. */
export function fakeTokenHex(name: string): string {
  return createHash("md5").update(name).digest("hex");
}

/** The token SecretID ConsulCluster makes of the RandomBytes `name`. */
export function fakeToken(name: string): string {
  return uuidFromHex(fakeTokenHex(name));
}

/** Any UUID-shaped text: a token that leaked. */
export const UUID_PATTERN = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/** Outputs the random provider would compute: mocks only echo inputs. */
export const randomModels: Record<string, ProviderModel> = {
  "random:index/randomBytes:RandomBytes": ({ name }) => ({
    id: name,
    outputs: { base64: FAKE_GOSSIP_KEY, hex: fakeTokenHex(name) },
  }),
  "random:index/randomUuid:RandomUuid": ({ name }) => ({ id: name, outputs: { result: `uuid-${name}` } }),
  "consul:index/aclToken:AclToken": ({ name }) => ({ id: `acc-${name}`, outputs: { accessorId: `acc-${name}` } }),
};
