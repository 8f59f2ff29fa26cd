/** Workload SPIFFE IDs in Consul's format (model/names.ts `spiffeId`): `spiffe://<td>/ns/<ns>/dc/<dc>/svc/<svc>`. */
export interface WorkloadId {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly datacenter: string;
  readonly service: string;
}

const WORKLOAD_ID = /^spiffe:\/\/([a-z0-9.-]+)\/ns\/([^/]+)\/dc\/([^/]+)\/svc\/([^/]+)$/;

/** The parts of a full workload ID, or undefined for anything else (a trust domain, a prefix, another shape). */
export function parseWorkloadId(id: string): WorkloadId | undefined {
  const match = WORKLOAD_ID.exec(id);
  if (!match) return undefined;
  const [, trustDomain, namespace, datacenter, service] = match;
  if (!trustDomain || !namespace || !datacenter || !service) return undefined;
  return { trustDomain, namespace, datacenter, service };
}
