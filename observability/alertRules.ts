/**
 * Prometheus alerting rules for the mesh, in Prometheus's rule-file shape. Thresholds come from
 * `mesh.observability.alerts` (stack config); metric names come only from `metrics.ts`, which the tests enforce.
 */
import type { Mesh } from "../model/mesh";
import { JOBS } from "./layout";
import { INBOUND_STAT_PREFIX } from "./scrapeConfig";
import { toYaml } from "../model/yaml";

export type Severity = "warning" | "critical";

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: Severity } & Readonly<Record<string, string>>;
  readonly annotations: {
    readonly summary: string;
    readonly description: string;
    /** What the operator does about it. */
    readonly action: string;
  };
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

export interface RuleFile {
  readonly groups: readonly RuleGroup[];
}

/** The labels every per-service aggregation keeps. */
const BY_SERVICE = "cluster, datacenter, service";
const ENVOY_JOBS = `job=~"${JOBS.sidecar}|${JOBS.gateway}"`;
const SIDECAR_JOB = `job="${JOBS.sidecar}"`;

/** A number as PromQL reads it (no exponent notation for the values config allows). */
function num(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`alert threshold ${value} is not a finite number`);
  return String(value);
}

function certificateRules(mesh: Mesh): AlertRule[] {
  const { certExpiryWarningDays: warn, certExpiryCriticalDays: crit } = mesh.observability.alerts;
  if (crit >= warn) {
    throw new Error(
      `observability.alerts: certExpiryCriticalDays (${crit}) must be below certExpiryWarningDays (${warn})`,
    );
  }
  const days = `min by (${BY_SERVICE}, job, instance) (envoy_server_days_until_first_cert_expiring{${ENVOY_JOBS}})`;
  const renew = `Certificates are renewed by \`pulumi up\` ${mesh.security.earlyRenewalDays} days before expiry`;
  return [
    {
      alert: "MeshCertificateExpiringSoon",
      // Comparisons filter, so the chain keeps values in [critical, warning): the critical alert takes over below.
      expr: `${days} < ${num(warn)} >= ${num(crit)}`,
      for: "1h",
      labels: { severity: "warning" },
      annotations: {
        summary: "Envoy certificate of {{ $labels.service }} in {{ $labels.cluster }} expires in {{ $value }} days",
        description: `${renew}; this one is inside the ${warn}-day warning window, so a renewal was missed.`,
        action:
          "Run `pulumi up` for this stack (it re-issues leaves inside the renewal window) and check that the " +
          "scheduled deployment that should have done it is running; then confirm the new files reached the sidecar.",
      },
    },
    {
      alert: "MeshCertificateExpiryCritical",
      expr: `${days} < ${num(crit)}`,
      for: "10m",
      labels: { severity: "critical" },
      annotations: {
        summary: "Envoy certificate of {{ $labels.service }} in {{ $labels.cluster }} expires in {{ $value }} days",
        description: `Fewer than ${crit} days are left; when it expires, mTLS to and from this proxy fails.`,
        action:
          "Rotate now: `pulumi up` for this stack. If the certificate on disk is already new, the proxy did not " +
          "reload it: check the SDS files under /etc/envoy/secrets were replaced by rename, and restart the proxy.",
      },
    },
  ];
}

function healthRules(): AlertRule[] {
  return [
    {
      alert: "MeshUpstreamWithoutHealthyInstances",
      expr: `sum by (${BY_SERVICE}) (increase(envoy_dns_cares_not_found{${SIDECAR_JOB}}[5m])) > 0`,
      for: "5m",
      labels: { severity: "critical" },
      annotations: {
        summary: "{{ $labels.service }} in {{ $labels.cluster }} resolves an upstream with no passing instance",
        description:
          "Consul DNS answers NXDOMAIN for a service when none of its instances passes its health checks (or none " +
          "is registered), so calls to that upstream fail or fail over to another cluster.",
        action:
          "Find the upstream with `consul catalog services` and `curl -k https://<server>:8501/v1/health/state/critical`; " +
          "fix the failing check's app (its /health endpoint) or consul-esm if no checks run at all.",
      },
    },
    {
      alert: "ConsulServiceNotFound",
      expr: `sum by (${BY_SERVICE}) (increase(consul_health_service_not_found{job="${JOBS.consulServer}"}[5m])) > 0`,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: "Consul in {{ $labels.cluster }} has no instance of {{ $labels.service }} to return",
        description:
          "Health queries (which Consul DNS lookups are) for this service returned nothing: its registrations are " +
          "missing or were deregistered after staying critical.",
        action:
          "Check the service's registration (`consul catalog nodes -service <service>`); if it was reaped, fix the " +
          "health check and run `pulumi up` to register it again.",
      },
    },
    {
      alert: "MeshUpstreamHostsEjected",
      expr:
        `sum by (${BY_SERVICE}, envoy_cluster_name) ` +
        `(envoy_cluster_outlier_detection_ejections_active{${ENVOY_JOBS}}) > 0`,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: "{{ $labels.service }} in {{ $labels.cluster }} ejected hosts of {{ $labels.envoy_cluster_name }}",
        description:
          "Outlier detection (passive health checking) took {{ $value }} upstream hosts out of rotation after " +
          "consecutive 5xx; traffic goes to the rest or to the other cluster.",
        action:
          "Look at the upstream's instances named in the alert: their logs and their own error ratio. Outlier " +
          "ejection clears by itself once they answer again.",
      },
    },
  ];
}

function trafficRules(mesh: Mesh): AlertRule[] {
  const { errorRatioThreshold, rateLimitedPerSecondThreshold } = mesh.observability.alerts;
  const inbound = `${SIDECAR_JOB}, envoy_http_conn_manager_prefix="${INBOUND_STAT_PREFIX}"`;
  const percent = Math.round(errorRatioThreshold * 10000) / 100;
  return [
    {
      alert: "MeshServiceHighErrorRatio",
      expr:
        `sum by (${BY_SERVICE}) (rate(envoy_http_downstream_rq_xx{${inbound}, envoy_response_code_class="5"}[5m])) ` +
        `/ sum by (${BY_SERVICE}) (rate(envoy_http_downstream_rq_xx{${inbound}}[5m])) > ${num(errorRatioThreshold)}`,
      for: "5m",
      labels: { severity: "critical" },
      annotations: {
        summary: "{{ $labels.service }} in {{ $labels.cluster }} answers {{ $value | humanizePercentage }} with 5xx",
        description: `More than ${percent}% of the requests the service's sidecar received over 5 minutes got a 5xx.`,
        action:
          "Check the app behind the sidecar (logs, recent deploys) and its upstreams' alerts; a 503 with " +
          "`UH`/`UF` flags in the access log means the sidecar found no healthy upstream rather than an app error.",
      },
    },
    {
      alert: "MeshRateLimitedSurge",
      expr:
        `sum by (${BY_SERVICE}) (rate(envoy_http_local_rate_limit_rate_limited{${SIDECAR_JOB}}[5m])) ` +
        `> ${num(rateLimitedPerSecondThreshold)}`,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: "{{ $labels.service }} in {{ $labels.cluster }} rejects {{ $value }} requests/s by rate limit",
        description:
          `The sidecar's local rate limit answered 429 to more than ${rateLimitedPerSecondThreshold} requests/s ` +
          "over 5 minutes.",
        action:
          "Find the caller (access logs, the callers' upstream stats). If the load is legitimate, raise the " +
          "service's rateLimit in stack config and run `pulumi up`; otherwise stop the caller.",
      },
    },
  ];
}

function discoveryRules(): AlertRule[] {
  return [
    {
      alert: "MeshUpstreamDiscoveryFailing",
      expr: `sum by (${BY_SERVICE}, envoy_cluster_name) (increase(envoy_cluster_update_failure{${ENVOY_JOBS}}[5m])) > 0`,
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: "{{ $labels.service }} in {{ $labels.cluster }} cannot refresh {{ $labels.envoy_cluster_name }}",
        description:
          "Envoy's membership updates for this upstream cluster keep failing, so it routes on a stale host list.",
        action:
          "Resolve the upstream's Consul DNS name from the proxy's network (`dig @<consul> -p 8600 " +
          "<service>.service.<dc>.consul`); check the Consul servers' health and the agent's DNS token.",
      },
    },
    {
      alert: "MeshDnsResolutionFailing",
      expr:
        `sum by (${BY_SERVICE}) (increase(envoy_dns_cares_get_addr_failure{${ENVOY_JOBS}}[5m]) ` +
        `+ increase(envoy_dns_cares_timeout{${ENVOY_JOBS}}[5m])) > 0`,
      for: "5m",
      labels: { severity: "critical" },
      annotations: {
        summary: "Proxies of {{ $labels.service }} in {{ $labels.cluster }} cannot query Consul DNS",
        description: "DNS queries to Consul time out or fail, so no upstream can be discovered or refreshed.",
        action:
          "Check that the cluster's Consul servers are up (ConsulServerDown) and reachable on port 8600 from the " +
          "proxy, and that the DNS token (acl.tokens.dns) still exists.",
      },
    },
  ];
}

function availabilityRules(): AlertRule[] {
  const down = (job: string): string => `up{job="${job}"} == 0`;
  return [
    {
      alert: "MeshSidecarDown",
      expr: down(JOBS.sidecar),
      for: "2m",
      labels: { severity: "critical" },
      annotations: {
        summary: "Sidecar {{ $labels.instance }} of {{ $labels.service }} in {{ $labels.cluster }} is down",
        description: "Prometheus cannot scrape the sidecar's metrics listener: the proxy (or its pod) is not running.",
        action:
          "Check the container or pod (`docker logs` / `kubectl logs -c envoy`); a bad config shows in the log at " +
          "start-up. Run `npm run envoy:validate` on the rendered files before redeploying.",
      },
    },
    {
      alert: "MeshGatewayDown",
      expr: down(JOBS.gateway),
      for: "2m",
      labels: { severity: "critical" },
      annotations: {
        summary: "Mesh gateway {{ $labels.instance }} in {{ $labels.cluster }} is down",
        description: "Cross-cluster calls into this cluster, and failover to it, go through this gateway.",
        action: "Restart the gateway container or pod and read its log; check the LoadBalancer Service on Kubernetes.",
      },
    },
    {
      alert: "ConsulServerDown",
      expr: down(JOBS.consulServer),
      for: "2m",
      labels: { severity: "critical" },
      annotations: {
        summary: "Consul server {{ $labels.instance }} in {{ $labels.cluster }} cannot be scraped",
        description:
          "The server is down, its HTTPS API refuses Prometheus's certificate check, or the metrics token was " +
          "revoked (a 403 also sets up to 0).",
        action:
          "Check the server's log and `consul operator raft list-peers`; if it is running, check the token file " +
          "and the CA Prometheus uses (Status > Targets shows the scrape error).",
      },
    },
    {
      alert: "ConsulEsmDown",
      expr: down(JOBS.consulEsm),
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: "consul-esm in {{ $labels.cluster }} is down",
        description:
          "consul-esm runs the health checks of the externally registered services; while it is down their " +
          "statuses in the catalog go stale.",
        action: "Restart consul-esm and check its log for ACL errors (it needs its own token).",
      },
    },
  ];
}

/** The mesh's alerting rules. */
export function alertRules(mesh: Mesh): RuleFile {
  return {
    groups: [
      { name: "lucid-mesh-certificates", rules: certificateRules(mesh) },
      { name: "lucid-mesh-health", rules: healthRules() },
      { name: "lucid-mesh-traffic", rules: trafficRules(mesh) },
      { name: "lucid-mesh-discovery", rules: discoveryRules() },
      { name: "lucid-mesh-availability", rules: availabilityRules() },
    ],
  };
}

/** `alertRules` as Prometheus's rule file: sorted keys, byte-for-byte stable. */
export function alertRulesYaml(mesh: Mesh): string {
  return toYaml(alertRules(mesh));
}
