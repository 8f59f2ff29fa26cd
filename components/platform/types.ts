/**
 * How sidecars and gateways run. Components describe *what* to run; a platform (Docker or Kubernetes) decides
 * *how*. Nothing outside components/platform/ asks which platform a cluster is on (tests/platformSeam.spec.ts);
 * clusterPlatform.ts makes each cluster's platform.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Mesh, MeshCluster, MeshService, ServiceInstance } from "../../model";
import { envoyConcurrency } from "../../envoy/concurrency";

export interface SidecarSpec {
  readonly mesh: Mesh;
  readonly cluster: MeshCluster;
  readonly service: MeshService;
  /** Docker: one instance per sidecar. Kubernetes: the replicas of one Deployment. */
  readonly instances: readonly ServiceInstance[];
  /** Envoy's own files, keyed by file name (bootstrap.yaml, listener.yaml, cluster.yaml). */
  readonly envoyFiles: Readonly<Record<string, string>>;
  /** SDS files (certificate.yaml, trust-bundle.yaml): the leaf chain and the trust bundle, inline. */
  readonly sdsFiles: pulumi.Output<Record<string, string>>;
  /** Always a secret. */
  readonly privateKeyPem: pulumi.Input<string>;
}

export interface SidecarEndpoints {
  /** Where the admin API listens: loopback inside the workload, never published. */
  readonly admin: string;
  /** The Prometheus endpoint a scraper inside the cluster uses. */
  readonly metrics: string;
  /** The address each instance is registered under in Consul, by instance name. */
  readonly addresses: Readonly<Record<string, pulumi.Output<string>>>;
}

export interface GatewaySpec {
  readonly mesh: Mesh;
  readonly cluster: MeshCluster;
  readonly envoyFiles: Readonly<Record<string, string>>;
}

export interface GatewayEndpoints {
  /** What other clusters dial. */
  readonly wanAddress: pulumi.Output<string>;
  /** The gateway's host (an IP) inside its own cluster, registered in Consul as `mesh-gateway`. */
  readonly localHost: pulumi.Output<string>;
}

/** The cluster's Consul applier (consul/applier.ts): its files, and what it must wait for. */
export interface ConsulApplierSpec {
  readonly cluster: MeshCluster;
  /** `payload.json`: the entries and registrations the applier reconciles Consul to. */
  readonly payload: pulumi.Output<string>;
  /** `apply.sh`. */
  readonly script: string;
  readonly caPem: pulumi.Input<string>;
  /** The curl header file holding the applier's token (a secret). */
  readonly tokenHeader: pulumi.Output<string>;
  /** A digest of payload and script: a change replaces (Docker) or rolls (Kubernetes) the applier. */
  readonly digest: pulumi.Output<string>;
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** Runs sidecars and gateways on one cluster's platform. Created once per cluster. */
export interface WorkloadPlatform {
  /**
   * Who registers the service instances in Consul: Pulumi (`consul.Service` per instance, Docker) or a process at
   * run time (consul-k8s catalog sync, one registration per pod, Kubernetes).
   */
  readonly instanceRegistration: "pulumi" | "runtime";
  deploySidecar(name: string, spec: SidecarSpec, parent: pulumi.Resource): SidecarEndpoints;
  deployGateway(name: string, spec: GatewaySpec, parent: pulumi.Resource): GatewayEndpoints;
  /** Runs the cluster's Consul applier; the `up` waits until its first pass was accepted. */
  deployConsulApplier(name: string, spec: ConsulApplierSpec, parent: pulumi.Resource): pulumi.Resource[];
}

/** Envoy's command line, the same on both platforms; worker threads follow the container's CPU limit. */
export function envoyCommand(configPath: string, cpus: number): string[] {
  // Reject fields our protos don't know rather than ignoring them: a typo in a generated file fails loudly.
  return [
    "-c",
    configPath,
    "--reject-unknown-dynamic-fields",
    "--log-format-escaped",
    "--drain-time-s",
    "20",
    "--concurrency",
    String(envoyConcurrency(cpus)),
  ];
}

/** Envoy's readiness, checked with bash's /dev/tcp because the Envoy image ships no HTTP client. */
export function envoyReadinessProbe(adminPort: number): string[] {
  return [
    "CMD",
    "bash",
    "-c",
    `exec 3<>/dev/tcp/127.0.0.1/${adminPort} && printf 'GET /ready HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q LIVE <&3`,
  ];
}
