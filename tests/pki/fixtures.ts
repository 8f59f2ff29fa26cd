/** Shared fixtures for the PKI tests: the repo's stacks as meshes, and the CA rendered under the tls models. */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { parseMeshConfig, servicesInCluster, type Mesh } from "../../model";
import { MeshCertificateAuthority } from "../../components/certificateAuthority";
import { settle, startSimulation, type ResourceRecorder } from "../../simulate/recorder";
import {
  createLocallySignedCert,
  createSelfSignedCert,
  generatePrivateKey,
  tlsModels,
  type GeneratedKey,
  type IssuedCertificate,
  type PrivateKeyInputs,
} from "../../simulate/tls";

export type StackName = "dev" | "prod";

export function loadMesh(stack: StackName): Mesh {
  const file = path.resolve(__dirname, "..", "..", `Pulumi.${stack}.yaml`);
  const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  return parseMeshConfig(doc.config["lucid-mesh:mesh"]);
}

export const CA_NAME = "mesh";

export interface RenderedCa {
  readonly mesh: Mesh;
  readonly recorder: ResourceRecorder;
  readonly ca: MeshCertificateAuthority;
}

/** Starts a simulation FIRST, then builds the component and waits for every registration. */
export async function renderCa(stack: StackName): Promise<RenderedCa> {
  const recorder = await startSimulation({ stack, models: tlsModels });
  const mesh = loadMesh(stack);
  const ca = new MeshCertificateAuthority(CA_NAME, { mesh });
  await settle();
  return { mesh, recorder, ca };
}

/** Every (cluster, service) pair that gets a leaf. */
export function leafOwners(mesh: Mesh): { cluster: string; service: string }[] {
  return mesh.clusters.flatMap((c) =>
    servicesInCluster(mesh, c.name).map((s) => ({ cluster: c.name, service: s.name })),
  );
}

export const TLS = {
  privateKey: "tls:index/privateKey:PrivateKey",
  selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
  certRequest: "tls:index/certRequest:CertRequest",
  locallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
} as const;

/** PEM blocks in order. */
export function splitPem(pem: string): string[] {
  return pem.match(/-----BEGIN [^-]+-----[\s\S]+?-----END [^-]+-----\n?/g) ?? [];
}

export const P256: PrivateKeyInputs = { algorithm: "ECDSA", ecdsaCurve: "P256" };

/** A subject with every field the tls provider's `subject` block has, two street addresses and a non-ASCII locality. */
export const FULL_SUBJECT = {
  country: "DE",
  province: "Bayern",
  locality: "München",
  streetAddresses: ["Street 1", "Street 2"],
  postalCode: "80331",
  organization: "lucid-mesh",
  organizationalUnit: "ops",
  commonName: "Lucid CA",
  serialNumber: "42",
  emailAddress: "ca@example.com",
} as const;

/** One key of every algorithm and curve the tls provider makes that can sign (P-224 cannot: Envoy refuses it). */
export const SIGNING_KEY_KINDS: Record<string, PrivateKeyInputs> = {
  RSA: { algorithm: "RSA", rsaBits: 2048 },
  "P-256": P256,
  "P-384": { algorithm: "ECDSA", ecdsaCurve: "P384" },
  "P-521": { algorithm: "ECDSA", ecdsaCurve: "P521" },
  Ed25519: { algorithm: "ED25519" },
};

export interface TestCa {
  readonly caKey: GeneratedKey;
  readonly ca: IssuedCertificate;
}

/** A CA certificate (CN=ca) on a new key, made by the tls models. */
export async function newCa(inputs: PrivateKeyInputs = P256, validityPeriodHours = 1): Promise<TestCa> {
  const caKey = await generatePrivateKey(inputs);
  const ca = await createSelfSignedCert({
    privateKeyPem: caKey.privateKeyPem,
    allowedUses: ["certSigning"],
    validityPeriodHours,
    isCaCertificate: true,
    subject: { commonName: "ca" },
  });
  return { caKey, ca };
}

/** A one-hour digitalSignature leaf for `certRequestPem`, signed by `authority`. */
export function signLeaf(authority: TestCa, certRequestPem: string): Promise<IssuedCertificate> {
  return createLocallySignedCert({
    certRequestPem,
    caCertPem: authority.ca.certPem,
    caPrivateKeyPem: authority.caKey.privateKeyPem,
    allowedUses: ["digitalSignature"],
    validityPeriodHours: 1,
  });
}
