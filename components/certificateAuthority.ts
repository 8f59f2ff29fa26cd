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
  validityPlan,
  type CertificateSubject,
  type InventoryEntry,
  type SubjectAltNames,
  type Validity,
} from "../pki";

export interface MeshCertificateAuthorityArgs {
  /** The resolved mesh: trust domain, clusters, services and `security` (key algorithm and validities). */
  readonly mesh: Mesh;
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

export class MeshCertificateAuthority extends pulumi.ComponentResource {
  /** The root CA certificate. */
  readonly rootCertPem: pulumi.Output<string>;
  /** What every workload trusts: the root alone (intermediates travel in each chain). */
  readonly trustBundlePem: pulumi.Output<string>;
  /** One entry per leaf certificate, sorted by cluster then service. No key material. */
  readonly inventory: pulumi.Output<InventoryEntry[]>;

  private readonly mesh: Mesh;
  private readonly intermediates = new Map<string, Issued>();
  private readonly leaves = new Map<string, Issued>();
  private readonly consulServers = new Map<string, Issued>();

  constructor(name: string, args: MeshCertificateAuthorityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lucid:mesh:CertificateAuthority", name, {}, opts);
    this.mesh = args.mesh;
    const security = args.mesh.security;
    const plan = validityPlan(args.mesh);
    const key = (keyName: string): tls.PrivateKey =>
      new tls.PrivateKey(keyName, { ...keySettings(security.keyAlgorithm) }, { parent: this });

    const rootKey = key(names.rootKey(name));
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
        ...plan.root,
        setSubjectKeyId: true,
        setAuthorityKeyId: true,
      },
      { parent: this },
    );
    this.rootCertPem = root.certPem;
    this.trustBundlePem = root.certPem;

    const issue = (
      base: string,
      issuer: { certPem: pulumi.Output<string>; keyPem: pulumi.Output<string>; chain: pulumi.Output<string>[] },
      spec: { subject: CertificateSubject; sans: SubjectAltNames; uses: string[]; validity: Validity; isCa: boolean },
    ): Issued => {
      const privateKey = key(`${base}-key`);
      const csr = new tls.CertRequest(
        `${base}-csr`,
        { privateKeyPem: privateKey.privateKeyPem, subject: spec.subject, ...spec.sans },
        { parent: this },
      );
      const cert = new tls.LocallySignedCert(
        base,
        {
          certRequestPem: csr.certRequestPem,
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
    };

    const rootIssuer = { certPem: root.certPem, keyPem: rootKey.privateKeyPem, chain: [] };
    for (const cluster of args.mesh.clusters) {
      const intermediate = issue(names.intermediate(cluster.name), rootIssuer, {
        subject: intermediateSubject(args.mesh, cluster.name),
        sans: intermediateSans(),
        uses: caAllowedUses(),
        validity: plan.intermediate,
        isCa: true,
      });
      this.intermediates.set(cluster.name, intermediate);
      const clusterIssuer = {
        certPem: intermediate.certPem,
        keyPem: intermediate.privateKeyPem,
        chain: [intermediate.certPem],
      };
      for (const service of servicesInCluster(args.mesh, cluster.name)) {
        const leaf = issue(names.leaf(cluster.name, service.name), clusterIssuer, {
          subject: leafSubject(args.mesh, cluster.name, service.name),
          sans: leafSans(args.mesh, cluster.name, service.name),
          uses: leafAllowedUses(security.keyAlgorithm),
          validity: plan.leaf,
          isCa: false,
        });
        this.leaves.set(`${cluster.name}/${service.name}`, leaf);
      }
      const consul = issue(names.consulServer(cluster.name), clusterIssuer, {
        subject: consulServerSubject(args.mesh, cluster.name),
        sans: consulServerSans(args.mesh, cluster.name),
        uses: consulServerAllowedUses(security.keyAlgorithm),
        validity: plan.consulServer,
        isCa: false,
      });
      this.consulServers.set(cluster.name, consul);
    }

    const owners = [...this.leaves.keys()].map((k) => k.split("/") as [string, string]);
    this.inventory = pulumi
      .all([...this.leaves.values()].map((l) => l.certPem))
      .apply((pems: (string | undefined)[]) =>
        sortInventory(
          pems.flatMap((pem, i) =>
            pem === undefined
              ? []
              : [inventoryEntry(pem, { cluster: owners[i]![0], service: owners[i]![1] }, new Date())],
          ),
        ),
      );

    this.registerOutputs({
      rootCertPem: this.rootCertPem,
      trustBundlePem: this.trustBundlePem,
      intermediateCertPems: Object.fromEntries([...this.intermediates].map(([c, i]) => [c, i.certPem])),
      inventory: this.inventory,
    });
  }

  /** The intermediate CA certificate of a cluster. */
  intermediateCertPem(cluster: string): pulumi.Output<string> {
    return this.lookup(this.intermediates, cluster, "cluster").certPem;
  }

  /** The SPIFFE leaf of a service in a cluster it runs in. */
  leaf(cluster: string, service: string): IssuedCertificate {
    return this.expose(this.lookup(this.leaves, `${cluster}/${service}`, "cluster/service"));
  }

  /** The Consul server certificate of a cluster (`server.<dc>.consul`). */
  consulServer(cluster: string): IssuedCertificate {
    return this.expose(this.lookup(this.consulServers, cluster, "cluster"));
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
