/**
 * Every scrape target's port is served by what it scrapes. The contract spans the Prometheus files
 * (observability/scrapeConfig.ts) and the components that run the scraped processes, so it is held here against the
 * simulated stacks, not by a comment: Docker targets against the listener each scraped process is configured with
 * (Envoy listeners, Consul `ports`, consul-esm `client_address`), Kubernetes targets against the containerPorts
 * of the pods the relabel rules keep (Prometheus kubernetes_sd: one target per declared container port).
 */
import { strict as assert } from "node:assert";
import { load } from "js-yaml";
import { prometheusConfig, prometheusScopes, type PrometheusConfig } from "../../observability";
import type { RecordedResource } from "../../simulate/recorder";
import { simulateStack } from "../../simulate/stack";
import { meshLabelKeys } from "../../model/names";
import { PROJECT_DIR } from "../cli/helpers";
import { stackMesh } from "./helpers";

const CONTAINER = "docker:index/container:Container";
type Json = Record<string, unknown>;

interface DockerNetwork {
  aliases?: string[];
  ipv4Address?: string;
}
interface Upload {
  file: string;
  content?: unknown;
}

function uploads(container: RecordedResource): Upload[] {
  return (container.inputs.uploads as Upload[] | undefined) ?? [];
}

/** The container a Docker target host names: by container name, network alias or fixed address. */
function dockerContainerFor(containers: readonly RecordedResource[], host: string): RecordedResource | undefined {
  return containers.find(
    (c) =>
      c.inputs.name === host ||
      ((c.inputs.networksAdvanced as DockerNetwork[] | undefined) ?? []).some(
        (n) => n.aliases?.includes(host) || n.ipv4Address === host,
      ),
  );
}

/** Ports a set of uploaded files makes a process listen on: Envoy listeners, Consul ports, consul-esm's address. */
function listeningPorts(files: readonly Upload[]): Set<number> {
  const ports = new Set<number>();
  for (const { file, content } of files) {
    if (typeof content !== "string") continue;
    if (file.endsWith("/listener.yaml")) {
      for (const r of ((load(content) as Json).resources as Json[] | undefined) ?? []) {
        const port = ((r.address as Json | undefined)?.socket_address as Json | undefined)?.port_value;
        if (typeof port === "number") ports.add(port);
      }
    } else if (file.endsWith("/server.json")) {
      for (const port of Object.values(((JSON.parse(content) as Json).ports as Json | undefined) ?? {})) {
        if (typeof port === "number" && port > 0) ports.add(port);
      }
    } else if (file.endsWith("/esm.json")) {
      const address = (JSON.parse(content) as Json).client_address;
      if (typeof address === "string") ports.add(Number(address.split(":").pop()));
    }
  }
  return ports;
}

/**
 * Docker targets nothing listens on. A process's files are its own uploads or those of its writer container
 * (`<name>-files`, `<name>-envoy-files`; a namespace holder `<instance>-netns` shares its netns with the sidecar).
 */
function unservedDockerTargets(config: PrometheusConfig, resources: readonly RecordedResource[]): string[] {
  const containers = resources.filter((r) => r.type === CONTAINER);
  const unserved: string[] = [];
  for (const job of config.scrape_configs) {
    for (const target of (job.static_configs ?? []).flatMap((s) => s.targets)) {
      const [host, port] = [
        target.slice(0, target.lastIndexOf(":")),
        Number(target.slice(target.lastIndexOf(":") + 1)),
      ];
      const container = dockerContainerFor(containers, host);
      const name = String(container?.inputs.name ?? "").replace(/-netns$/, "");
      const writers = [name, `${name}-files`, `${name}-envoy-files`];
      const files = containers.filter((c) => writers.includes(String(c.inputs.name))).flatMap(uploads);
      if (!container || !listeningPorts(files).has(port)) unserved.push(`${job.job_name} ${target}`);
    }
  }
  return unserved;
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec?: { containers?: Array<{ ports?: Array<{ containerPort?: number }> }> };
}

/** Kubernetes jobs whose kept role and port match no container port of any pod with that role. */
function unservedKubernetesJobs(config: PrometheusConfig, resources: readonly RecordedResource[]): string[] {
  const pods = resources
    .filter((r) => /^kubernetes:apps\/v1:(Deployment|StatefulSet|DaemonSet)$/.test(r.type))
    .map((r) => (r.inputs.spec as { template?: PodTemplate } | undefined)?.template ?? {});
  const unserved: string[] = [];
  for (const job of config.scrape_configs) {
    if (!job.kubernetes_sd_configs) continue;
    const keep = (source: string): string | undefined =>
      job.relabel_configs?.find((r) => r.action === "keep" && r.source_labels?.[0]?.endsWith(source))?.regex;
    const role = keep("lucid_mesh_role");
    const port = Number(keep("__meta_kubernetes_pod_container_port_number"));
    const served = pods.some(
      (pod) =>
        pod.metadata?.labels?.[meshLabelKeys.role] === role &&
        (pod.spec?.containers ?? []).some((c) => (c.ports ?? []).some((p) => p.containerPort === port)),
    );
    if (!served) unserved.push(`${job.job_name} ${role}:${port}`);
  }
  return unserved;
}

describe("observability: every scrape target's port is served by what it scrapes", function () {
  this.timeout(300_000);

  describe("dev (Docker)", () => {
    let resources: readonly RecordedResource[];
    const config = prometheusConfig(stackMesh("dev"));
    before(async () => {
      resources = (await simulateStack(PROJECT_DIR, "dev")).recorder.resources;
    });

    it("scrapes something on every job", () => {
      const targets = config.scrape_configs.flatMap((j) => (j.static_configs ?? []).flatMap((s) => s.targets));
      assert.ok(targets.some((t) => t.includes("consul-esm")));
      assert.ok(targets.length > config.scrape_configs.length);
    });

    it("each target's port is a listener of the process it names (Envoy, Consul ports.https, consul-esm)", () => {
      assert.deepEqual(unservedDockerTargets(config, resources), []);
    });

    it("negative: a consul-esm target on a port esm.json does not bind is caught", () => {
      const broken = JSON.parse(JSON.stringify(config).replace(/(consul-esm):\d+"/g, '$1:8500"')) as PrometheusConfig;
      assert.deepEqual(unservedDockerTargets(broken, resources), [
        "consul-esm east-consul-esm:8500",
        "consul-esm west-consul-esm:8500",
      ]);
    });
  });

  describe("prod (Kubernetes)", () => {
    let resources: readonly RecordedResource[];
    const mesh = stackMesh("prod");
    before(async () => {
      resources = (await simulateStack(PROJECT_DIR, "prod")).recorder.resources;
    });

    it("each job's kept role and port is a containerPort of a pod with that role", () => {
      const scopes = prometheusScopes(mesh);
      assert.ok(scopes.length > 0);
      for (const scope of scopes) {
        assert.deepEqual(unservedKubernetesJobs(prometheusConfig(mesh, scope.name), resources), [], scope.name);
      }
    });

    it("negative: a job kept on a port no pod declares is caught", () => {
      const config = prometheusConfig(mesh, prometheusScopes(mesh)[0]!.name);
      const broken = JSON.parse(
        JSON.stringify(config).replace(/"regex":"8080"/g, '"regex":"8500"'),
      ) as PrometheusConfig;
      assert.deepEqual(unservedKubernetesJobs(broken, resources), [`consul-esm consul-esm:8500`]);
    });
  });
});
