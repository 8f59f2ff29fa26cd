/**
 * The mesh PKI as tls provider resources: a self-signed root, one intermediate per cluster, one SPIFFE leaf per
 * (cluster, service) and one Consul server certificate per cluster. Names, SANs, uses and validities all come
 * from `pki/`; this file only wires them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { LocallySignedCert, PrivateKey } from "./tlsResources";
import { runsIn, servicesInCluster, type Mesh } from "../model";
import {
  caAllowedUses,
  consulServerAllowedUses,
  consulServerSans,
  certRequestPem,
  consulServerSubject,
  intermediateSans,
  intermediateSubject,
  inventoryEntry,
  keySettings,
  leafAllowedUses,
  leafSans,
  leafSubject,
  pkiResourceNames as names,
  rootSans,
  rootSubject,
  sortInventory,
  spreadRenewal,
  validityPlan,
  type CertificateSubject,
  type InventoryEntry,
  type SubjectAltNames,
  type Validity,
} from "../pki";

export interface MeshCertificateAuthorityArgs {
  /** The resolved mesh: trust domain, clusters, services and `security` (key algorithm and validities). */
  readonly mesh: Mesh;
  /**
   * `upfront` issues every leaf in the constructor. `on-demand` issues a leaf the first time `leaf()` asks for it,
   * so a program declaring sidecars in batches declares their certificates with them (see pacing.ts); it must call
   * `completeInventory()` once every sidecar is declared. @default "upfront"
   */
  readonly leaves?: "upfront" | "on-demand";
  /**
   * Which part of the PKI this stack holds when the mesh is split into stacks (docs/split-stacks.md).
   * @default the whole PKI, as one stack deploys it
   */
  readonly part?: CertificateAuthorityPart;
}

/**
 * A split mesh's share of the PKI. The root stack holds the root key and signs each cluster's intermediate CSR; a
 * cluster stack holds its intermediate key, makes the CSR, and issues its leaves once the root's certificate is in.
 */
export type CertificateAuthorityPart =
  | {
      readonly role: "root";
      /** The intermediate CSRs to sign, by cluster, read from the cluster stacks. */
      readonly intermediateCsrs: ReadonlyMap<string, pulumi.Input<string>>;
    }
  | {
      readonly role: "cluster";
      readonly cluster: string;
      readonly rootCertPem: pulumi.Input<string>;
      /** The root's signature over this stack's CSR; undefined until the root stack has signed it. */
      readonly intermediateCertPem?: pulumi.Input<string>;
      /** The CSR the root signed: when it is not this stack's CSR (a new key), the certificate is refused. */
      readonly signedCsrPem?: pulumi.Input<string>;
    };

/** What a workload needs to present its identity. */
export interface IssuedCertificate {
  readonly certPem: pulumi.Output<string>;
  /** The certificate followed by its cluster intermediate: what Envoy's SDS `certificate_chain` holds. */
  readonly chainPem: pulumi.Output<string>;
  /** Always a Pulumi secret. */
  readonly privateKeyPem: pulumi.Output<string>;
}

type Issued = IssuedCertificate;

/**
 * Each PEM from the provider ends with a newline; join without relying on it. A missing PEM only happens under
 * mocks with no tls model (inputs are echoed, so there is no `certPem`); it is skipped rather than crashing.
 */
function concatPem(...pems: (string | undefined)[]): string {
  return pems
    .filter((p): p is string => typeof p === "string")
    .map((p) => (p.endsWith("\n") ? p : `${p}\n`))
    .join("");
}

interface Issuer {
  readonly certPem: pulumi.Output<string>;
  readonly keyPem: pulumi.Output<string>;
  readonly chain: pulumi.Output<string>[];
}

interface IssueSpec {
  readonly subject: CertificateSubject;
  readonly sans: SubjectAltNames;
  readonly uses: string[];
  readonly validity: Validity;
  readonly isCa: boolean;
  /**
   * `resource`: a tls.CertRequest (intermediates and Consul servers: per cluster, and a split stack signs the
   * intermediate's request in another stack). `program`: built here from the key (leaves: one resource fewer each).
   */
  readonly request: "resource" | "program";
}

export class MeshCertificateAuthority extends pulumi.ComponentResource {
  /** The root CA certificate. */
  readonly rootCertPem: pulumi.Output<string>;
  /** What every workload trusts: the root alone (intermediates travel in each chain). */
  readonly trustBundlePem: pulumi.Output<string>;

  private readonly mesh: Mesh;
  private readonly plan: ReturnType<typeof validityPlan>;
  /** Intermediate certificates by cluster. */
  private readonly intermediates = new Map<string, pulumi.Output<string>>();
  private readonly clusterIssuers = new Map<string, Issuer>();
  private readonly leaves = new Map<string, Issued>();
  private readonly consulServers = new Map<string, Issued>();
  /** The clusters whose leaves this CA issues: every cluster, one in a cluster stack, none in the root stack. */
  private readonly issuingClusters: readonly string[];
  /** A cluster stack's intermediate CSR, which the root stack signs. */
  readonly intermediateCsrPem: pulumi.Output<string> | undefined;
  private inventoryOutput: pulumi.Output<InventoryEntry[]> | undefined;

  constructor(name: string, args: MeshCertificateAuthorityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lucid:mesh:CertificateAuthority", name, {}, opts);
    this.mesh = args.mesh;
    this.plan = validityPlan(args.mesh);
    const upfront = (args.leaves ?? "upfront") === "upfront";

    const part = args.part;
    if (part?.role === "cluster") {
      // A cluster stack: its intermediate key and CSR, and its leaves once the root stack has signed the CSR.
      this.rootCertPem = pulumi.output(part.rootCertPem);
      this.trustBundlePem = this.rootCertPem;
      const request = this.request(names.intermediate(part.cluster), {
        subject: intermediateSubject(args.mesh, part.cluster),
        sans: intermediateSans(),
        request: "resource",
      });
      this.intermediateCsrPem = request.csrPem;
      this.issuingClusters = part.intermediateCertPem === undefined ? [] : [part.cluster];
      if (part.intermediateCertPem !== undefined) {
        const certPem = pulumi
          .all([request.csrPem, part.signedCsrPem ?? request.csrPem, part.intermediateCertPem])
          .apply(([csr, signedCsr, cert]) => {
            if (csr !== signedCsr) {
              throw new Error(
                `the root stack signed another CSR for cluster ${part.cluster} than this stack's (its intermediate key changed). ` +
                  "Fix: run the root stack, then this one again (npm run deploy does both)",
              );
            }
            return cert;
          });
        this.addCluster(part.cluster, { certPem, chainPem: certPem, privateKeyPem: request.privateKeyPem }, upfront);
      }
      if (upfront) this.completeInventory();
      return;
    }
    this.issuingClusters = part?.role === "root" ? [] : args.mesh.clusters.map((c) => c.name);
    this.intermediateCsrPem = undefined;

    // The trust anchor: losing it (a stray `pulumi destroy` or a rename) would reissue every certificate in the mesh.
    const rootKey = this.privateKey(names.rootKey(name), { protect: true });
    const root = new tls.SelfSignedCert(
      names.root(name),
      {
        privateKeyPem: rootKey.privateKeyPem,
        isCaCertificate: true,
        // One intermediate below the root, none below the intermediates.
        maxPathLength: 1,
        allowedUses: caAllowedUses(),
        subject: rootSubject(args.mesh),
        ...rootSans(args.mesh),
        ...this.plan.root,
        setSubjectKeyId: true,
        setAuthorityKeyId: true,
      },
      { parent: this },
    );
    this.rootCertPem = root.certPem;
    this.trustBundlePem = root.certPem;

    const rootIssuer = { certPem: root.certPem, keyPem: rootKey.privateKeyPem, chain: [] };
    const intermediateSpec = {
      uses: caAllowedUses(),
      validity: this.plan.intermediate,
      isCa: true,
      request: "resource" as const,
    };
    if (part?.role === "root") {
      // The root stack signs the CSRs the cluster stacks made; their keys never come here.
      for (const [cluster, csrPem] of [...part.intermediateCsrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        this.intermediates.set(cluster, this.sign(names.intermediate(cluster), csrPem, rootIssuer, intermediateSpec));
      }
    }
    for (const cluster of args.mesh.clusters.filter((c) => this.issuingClusters.includes(c.name))) {
      const intermediate = this.issue(names.intermediate(cluster.name), rootIssuer, {
        subject: intermediateSubject(args.mesh, cluster.name),
        sans: intermediateSans(),
        ...intermediateSpec,
      });
      this.addCluster(cluster.name, intermediate, upfront);
    }

    if (upfront) this.completeInventory();
  }

  /** Registers a cluster's intermediate and issues what it signs: the Consul server certificate (and leaves upfront). */
  private addCluster(cluster: string, intermediate: Issued, upfront: boolean): void {
    this.intermediates.set(cluster, intermediate.certPem);
    const clusterIssuer = {
      certPem: intermediate.certPem,
      keyPem: intermediate.privateKeyPem,
      chain: [intermediate.certPem],
    };
    this.clusterIssuers.set(cluster, clusterIssuer);
    if (upfront) {
      for (const service of servicesInCluster(this.mesh, cluster)) this.issueLeaf(cluster, service.name);
    }
    const consul = this.issue(names.consulServer(cluster), clusterIssuer, {
      subject: consulServerSubject(this.mesh, cluster),
      sans: consulServerSans(this.mesh, cluster),
      uses: consulServerAllowedUses(this.mesh.security.keyAlgorithm),
      validity: spreadRenewal(this.plan.consulServer, names.consulServer(cluster)),
      isCa: false,
      request: "resource",
    });
    this.consulServers.set(cluster, consul);
  }

  /** One entry per leaf certificate, sorted by cluster then service. No key material. */
  get inventory(): pulumi.Output<InventoryEntry[]> {
    if (!this.inventoryOutput) {
      throw new Error("the certificate inventory is read before every leaf is issued: call completeInventory() first");
    }
    return this.inventoryOutput;
  }

  /**
   * Issues every leaf not issued yet, then builds the inventory and registers the outputs. Once, after the last
   * `leaf()` call of an on-demand CA; the constructor calls it for an upfront one.
   */
  completeInventory(): void {
    if (this.inventoryOutput) return;
    for (const cluster of this.issuingClusters) {
      for (const service of servicesInCluster(this.mesh, cluster)) {
        if (!this.leaves.has(leafKey(cluster, service.name))) this.issueLeaf(cluster, service.name);
      }
    }
    const owners = [...this.leaves.keys()].map((k) => k.split("/") as [string, string]);
    this.inventoryOutput = pulumi
      .all([...this.leaves.values()].map((l) => l.certPem))
      .apply((pems: (string | undefined)[]) =>
        sortInventory(
          pems.flatMap((pem, i) =>
            pem === undefined
              ? []
              : [
                  inventoryEntry(
                    pem,
                    { cluster: owners[i]![0], service: owners[i]![1] },
                    this.plan.leaf.earlyRenewalHours,
                  ),
                ],
          ),
        ),
      );
    this.registerOutputs({
      rootCertPem: this.rootCertPem,
      trustBundlePem: this.trustBundlePem,
      intermediateCertPems: Object.fromEntries(this.intermediates),
      inventory: this.inventoryOutput,
    });
  }

  /** The intermediate CA certificate of a cluster. */
  intermediateCertPem(cluster: string): pulumi.Output<string> {
    const found = this.intermediates.get(cluster);
    if (!found)
      throw new Error(`no intermediate for cluster "${cluster}"; known: ${[...this.intermediates.keys()].join(", ")}`);
    return found;
  }

  /** The SPIFFE leaf of a service in a cluster it runs in (issued now if the CA issues on demand). */
  leaf(cluster: string, service: string): IssuedCertificate {
    const key = leafKey(cluster, service);
    const known = this.leaves.get(key);
    if (known) return this.expose(known);
    // By the service's own placement: a scan of the cluster's services per leaf was quadratic in a big mesh.
    const runsThere = this.clusterIssuers.has(cluster) && runsIn(this.mesh, service, cluster);
    // A service that does not run there: lookup throws, naming the leaves there are.
    if (!runsThere) return this.expose(this.lookup(this.leaves, key, "cluster/service"));
    return this.expose(this.issueLeaf(cluster, service));
  }

  /** The Consul server certificate of a cluster (`server.<dc>.consul`). */
  consulServer(cluster: string): IssuedCertificate {
    return this.expose(this.lookup(this.consulServers, cluster, "cluster"));
  }

  private issueLeaf(cluster: string, service: string): Issued {
    const issuer = this.clusterIssuers.get(cluster);
    if (!issuer) throw new Error(`no intermediate for cluster "${cluster}"`);
    const leaf = this.issue(names.leaf(cluster, service), issuer, {
      subject: leafSubject(this.mesh, cluster, service),
      sans: leafSans(this.mesh, cluster, service),
      uses: leafAllowedUses(this.mesh.security.keyAlgorithm),
      validity: spreadRenewal(this.plan.leaf, names.leaf(cluster, service)),
      isCa: false,
      request: "program",
    });
    this.leaves.set(leafKey(cluster, service), leaf);
    return leaf;
  }

  private privateKey(keyName: string, opts: pulumi.CustomResourceOptions = {}): PrivateKey {
    return new PrivateKey(keyName, { ...keySettings(this.mesh.security.keyAlgorithm) }, { parent: this, ...opts });
  }

  private issue(base: string, issuer: Issuer, spec: IssueSpec): Issued {
    const request = this.request(base, spec);
    const certPem = this.sign(base, request.csrPem, issuer, spec);
    return {
      certPem,
      chainPem: pulumi.all([certPem, ...issuer.chain]).apply((pems) => concatPem(...pems)),
      privateKeyPem: request.privateKeyPem,
    };
  }

  /** A key and its CSR: `<base>-key`, and `<base>-csr` unless the program builds the request (see IssueSpec). */
  private request(
    base: string,
    spec: Pick<IssueSpec, "subject" | "sans" | "request">,
  ): { csrPem: pulumi.Output<string>; privateKeyPem: pulumi.Output<string> } {
    const privateKey = this.privateKey(`${base}-key`);
    const csrPem =
      spec.request === "program"
        ? programCertRequest(privateKey.privateKeyPem, spec)
        : new tls.CertRequest(
            `${base}-csr`,
            { privateKeyPem: privateKey.privateKeyPem, subject: spec.subject, ...spec.sans },
            { parent: this },
          ).certRequestPem;
    // The SDK marks the provider's key outputs secret through additionalSecretOutputs; be explicit anyway.
    return { csrPem, privateKeyPem: pulumi.secret(privateKey.privateKeyPem) };
  }

  /** The certificate `<base>`: the issuer's signature over a CSR. */
  private sign(
    base: string,
    csrPem: pulumi.Input<string>,
    issuer: Issuer,
    spec: Omit<IssueSpec, "subject" | "sans">,
  ): pulumi.Output<string> {
    const cert = new LocallySignedCert(
      base,
      {
        certRequestPem: csrPem,
        caCertPem: issuer.certPem,
        caPrivateKeyPem: issuer.keyPem,
        isCaCertificate: spec.isCa,
        allowedUses: spec.uses,
        ...spec.validity,
        setSubjectKeyId: true,
      },
      { parent: this },
    );
    return cert.certPem;
  }

  private expose(issued: Issued): IssuedCertificate {
    return { certPem: issued.certPem, chainPem: issued.chainPem, privateKeyPem: issued.privateKeyPem };
  }

  private lookup(map: Map<string, Issued>, key: string, what: string): Issued {
    const found = map.get(key);
    if (!found) {
      throw new Error(
        `no certificate for ${what} "${key}" in mesh ${this.mesh.trustDomain}; known: ${[...map.keys()].join(", ")}`,
      );
    }
    return found;
  }
}

function leafKey(cluster: string, service: string): string {
  return `${cluster}/${service}`;
}

/**
 * The CSR from the key, deterministic (pki/certRequest.ts), so a second `up` sends the same request and the
 * provider keeps the certificate. Unknown while the key is (a preview before the key exists), as a CertRequest's
 * output would be. Not secret: it holds only the public key, and a secret input would hide it from reviewers.
 */
function programCertRequest(
  privateKeyPem: pulumi.Output<string>,
  spec: Pick<IssueSpec, "subject" | "sans">,
): pulumi.Output<string> {
  const request = privateKeyPem.apply((pem: string | undefined) =>
    // No PEM only under mocks with no tls model (inputs are echoed): leave the request out, as concatPem does.
    pem === undefined ? undefined : certRequestPem(pem, { subject: spec.subject, sans: spec.sans }),
  );
  // Library boundary: the tls provider's input is a string; `undefined` only reaches it under model-less mocks.
  return pulumi.unsecret(request) as pulumi.Output<string>;
}
