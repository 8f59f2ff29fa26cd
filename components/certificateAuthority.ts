/**
 * The mesh PKI as tls provider resources: a self-signed root, one intermediate per cluster, one SPIFFE leaf per
 * (cluster, service) and one Consul server certificate per cluster. Names, SANs, uses and validities all come
 * from `pki/`; this file only wires them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { servicesInCluster, type Mesh } from "../model";
import {
  caAllowedUses,
  certRequestPem,
  consulServerAllowedUses,
  consulServerSans,
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
}

/** What a workload needs to present its identity. */
export interface IssuedCertificate {
  readonly certPem: pulumi.Output<string>;
  /** The certificate followed by its cluster intermediate: what Envoy's SDS `certificate_chain` holds. */
  readonly chainPem: pulumi.Output<string>;
  /** Always a Pulumi secret. */
  readonly privateKeyPem: pulumi.Output<string>;
}

interface Issued extends IssuedCertificate {
  readonly cert: tls.LocallySignedCert;
}

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
  private readonly intermediates = new Map<string, Issued>();
  private readonly clusterIssuers = new Map<string, Issuer>();
  private readonly leaves = new Map<string, Issued>();
  private readonly consulServers = new Map<string, Issued>();
  private inventoryOutput: pulumi.Output<InventoryEntry[]> | undefined;

  constructor(name: string, args: MeshCertificateAuthorityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lucid:mesh:CertificateAuthority", name, {}, opts);
    this.mesh = args.mesh;
    this.plan = validityPlan(args.mesh);
    const security = args.mesh.security;
    const upfront = (args.leaves ?? "upfront") === "upfront";

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
    for (const cluster of args.mesh.clusters) {
      const intermediate = this.issue(names.intermediate(cluster.name), rootIssuer, {
        subject: intermediateSubject(args.mesh, cluster.name),
        sans: intermediateSans(),
        uses: caAllowedUses(),
        validity: this.plan.intermediate,
        isCa: true,
        request: "resource",
      });
      this.intermediates.set(cluster.name, intermediate);
      const clusterIssuer = {
        certPem: intermediate.certPem,
        keyPem: intermediate.privateKeyPem,
        chain: [intermediate.certPem],
      };
      this.clusterIssuers.set(cluster.name, clusterIssuer);
      if (upfront) {
        for (const service of servicesInCluster(args.mesh, cluster.name)) this.issueLeaf(cluster.name, service.name);
      }
      const consul = this.issue(names.consulServer(cluster.name), clusterIssuer, {
        subject: consulServerSubject(args.mesh, cluster.name),
        sans: consulServerSans(args.mesh, cluster.name),
        uses: consulServerAllowedUses(security.keyAlgorithm),
        validity: spreadRenewal(this.plan.consulServer, names.consulServer(cluster.name)),
        isCa: false,
        request: "resource",
      });
      this.consulServers.set(cluster.name, consul);
    }

    if (upfront) this.completeInventory();
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
    for (const cluster of this.mesh.clusters) {
      for (const service of servicesInCluster(this.mesh, cluster.name)) {
        if (!this.leaves.has(leafKey(cluster.name, service.name))) this.issueLeaf(cluster.name, service.name);
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
      intermediateCertPems: Object.fromEntries([...this.intermediates].map(([c, i]) => [c, i.certPem])),
      inventory: this.inventoryOutput,
    });
  }

  /** The intermediate CA certificate of a cluster. */
  intermediateCertPem(cluster: string): pulumi.Output<string> {
    return this.lookup(this.intermediates, cluster, "cluster").certPem;
  }

  /** The SPIFFE leaf of a service in a cluster it runs in (issued now if the CA issues on demand). */
  leaf(cluster: string, service: string): IssuedCertificate {
    const key = leafKey(cluster, service);
    const known = this.leaves.get(key);
    if (known) return this.expose(known);
    const runsThere =
      this.clusterIssuers.has(cluster) && servicesInCluster(this.mesh, cluster).some((s) => s.name === service);
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

  private privateKey(keyName: string, opts: pulumi.CustomResourceOptions = {}): tls.PrivateKey {
    return new tls.PrivateKey(keyName, { ...keySettings(this.mesh.security.keyAlgorithm) }, { parent: this, ...opts });
  }

  private issue(base: string, issuer: Issuer, spec: IssueSpec): Issued {
    const privateKey = this.privateKey(`${base}-key`);
    const certRequest =
      spec.request === "program"
        ? programCertRequest(privateKey.privateKeyPem, spec)
        : new tls.CertRequest(
            `${base}-csr`,
            { privateKeyPem: privateKey.privateKeyPem, subject: spec.subject, ...spec.sans },
            { parent: this },
          ).certRequestPem;
    const cert = new tls.LocallySignedCert(
      base,
      {
        certRequestPem: certRequest,
        caCertPem: issuer.certPem,
        caPrivateKeyPem: issuer.keyPem,
        isCaCertificate: spec.isCa,
        allowedUses: spec.uses,
        ...spec.validity,
        setSubjectKeyId: true,
      },
      { parent: this },
    );
    return {
      cert,
      certPem: cert.certPem,
      chainPem: pulumi.all([cert.certPem, ...issuer.chain]).apply((pems) => concatPem(...pems)),
      // The SDK marks the provider's key outputs secret through additionalSecretOutputs; be explicit anyway.
      privateKeyPem: pulumi.secret(privateKey.privateKeyPem),
    };
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

/**
 * The CSR from the key, deterministic (pki/certRequest.ts), so a second `up` sends the same request and the
 * provider keeps the certificate. Unknown while the key is (a preview before the key exists), as a CertRequest's
 * output would be. Not secret: it holds only the public key, and a secret input would hide it from reviewers.
 */
function programCertRequest(privateKeyPem: pulumi.Output<string>, spec: IssueSpec): pulumi.Output<string> {
  const request = privateKeyPem.apply((pem: string | undefined) =>
    // No PEM only under mocks with no tls model (inputs are echoed): leave the request out, as concatPem does.
    pem === undefined ? undefined : certRequestPem(pem, { subject: spec.subject, sans: spec.sans }),
  );
  // Library boundary: the tls provider's input is a string; `undefined` only reaches it under model-less mocks.
  return pulumi.unsecret(request) as pulumi.Output<string>;
}

function leafKey(cluster: string, service: string): string {
  return `${cluster}/${service}`;
}
