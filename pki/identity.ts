/** Subjects and subject alternative names of every certificate in the mesh PKI. */
import {
  consulDnsName,
  consulServerTlsName,
  findCluster,
  serviceSpiffeId,
  trustDomainId,
  type Mesh,
  type MeshCluster,
} from "../model";

/** The subset of the tls provider's `subject` block we fill in. */
export interface CertificateSubject {
  readonly commonName: string;
  readonly organization: string;
  readonly organizationalUnit?: string;
}

/** SANs in the tls provider's argument names. */
export interface SubjectAltNames {
  readonly dnsNames: string[];
  readonly ipAddresses: string[];
  readonly uris: string[];
}

const ORGANIZATION = "lucid-mesh";

/**
 * Subjects keep root, intermediates and leaves distinct: chain building matches issuer to subject by name, so
 * two CAs with one name would make verification pick the wrong key.
 */
export function rootSubject(mesh: Mesh): CertificateSubject {
  return { commonName: `${mesh.trustDomain} root CA`, organization: ORGANIZATION };
}

export function intermediateSubject(mesh: Mesh, cluster: string): CertificateSubject {
  const dc = findCluster(mesh, cluster).datacenter;
  return {
    commonName: `${mesh.trustDomain} ${dc} intermediate CA`,
    organization: ORGANIZATION,
    organizationalUnit: cluster,
  };
}

/** Identity is the URI SAN, not the subject; the common name is only for people reading certificates. */
export function leafSubject(_mesh: Mesh, cluster: string, service: string): CertificateSubject {
  return { commonName: service, organization: ORGANIZATION, organizationalUnit: cluster };
}

export function consulServerSubject(mesh: Mesh, cluster: string): CertificateSubject {
  const dc = findCluster(mesh, cluster).datacenter;
  return { commonName: consulServerTlsName(dc), organization: ORGANIZATION, organizationalUnit: cluster };
}

/** The root names the whole trust domain (`spiffe://<td>`) and nothing else. */
export function rootSans(mesh: Mesh): SubjectAltNames {
  return { dnsNames: [], ipAddresses: [], uris: [trustDomainId(mesh.trustDomain)] };
}

/** An intermediate carries no SANs: it is a signing key, not an identity. */
export function intermediateSans(): SubjectAltNames {
  return { dnsNames: [], ipAddresses: [], uris: [] };
}

/** DNS names a service is reached by inside its cluster. */
export function leafDnsNames(cluster: MeshCluster, service: string): string[] {
  return [
    service,
    consulDnsName(service, cluster.datacenter),
    ...cluster.addresses.serviceDomains.map((domain) => `${service}.${domain}`),
  ];
}

/**
 * An X.509-SVID: exactly one URI SAN, the service's SPIFFE ID in this cluster's datacenter, plus DNS names. An edge
 * service's leaf also carries the edge's DNS names, since its edge listener serves it to outside clients; the
 * X509-SVID spec allows other SAN types beside the one URI SAN.
 */
export function leafSans(mesh: Mesh, cluster: string, service: string): SubjectAltNames {
  const c = findCluster(mesh, cluster);
  const edge = mesh.services.find((s) => s.name === service)?.edge;
  // Only when the edge serves this leaf: a user-supplied edge certificate carries its own names.
  const edgeNames = edge && !edge.certificate ? edge.dnsNames : [];
  return {
    dnsNames: [...leafDnsNames(c, service), ...edgeNames.filter((n) => !leafDnsNames(c, service).includes(n))],
    ipAddresses: [],
    uris: [serviceSpiffeId(mesh, service, c.datacenter)],
  };
}

/**
 * Consul's `verify_server_hostname` checks `server.<dc>.consul`; `localhost`/127.0.0.1 let the agent's own CLI
 * and health checks connect. On Docker the servers' fixed addresses are added so clients dialling by IP verify.
 * On Kubernetes the API LoadBalancer's reserved address is added: the Consul provider verifies the certificate
 * against the host it dials and has no per-provider server name (hashicorp/terraform-provider-consul
 * consul/config.go Client sets no TLSConfig.Address; only the process-wide CONSUL_TLS_SERVER_NAME would).
 */
export function consulServerSans(mesh: Mesh, cluster: string): SubjectAltNames {
  const c = findCluster(mesh, cluster);
  return {
    dnsNames: [consulServerTlsName(c.datacenter), "localhost"],
    ipAddresses: ["127.0.0.1", ...c.addresses.consulServerIpAddresses],
    uris: [],
  };
}
