/**
 * Issue 18 item 1: the edge. A request from outside the mesh reaches api-gateway's app in the dev and prod renders:
 * the platform publishes the edge port, the sidecar's public listener there terminates TLS without asking for a
 * client certificate, admits the client, rate-limits, strips any client-sent XFCC, and routes to the local app.
 */
import { strict as assert } from "node:assert";
import { X509Certificate } from "node:crypto";
import { load } from "js-yaml";
import { sdsFiles, sidecarConfig, sidecarFiles } from "../../envoy";
import { validateConfigSetSync } from "../../envoy/validator";
import { leafSans } from "../../pki";
import { simulateMesh } from "../../simulate/stack";
import type {
  AddressPrincipal,
  Bootstrap,
  DownstreamTlsContext,
  HttpConnectionManager,
  HttpRbac,
  Listener,
} from "../../envoy/types";
import { allInstances, findService, parseMeshConfig, type Mesh } from "../../model";
import { envoyFiles } from "../../model/names";
import type { RecordedResource } from "../../simulate/recorder";
import { simulateStack } from "../../simulate/stack";
import { PROJECT_DIR, configError, rawMeshConfig, stackMesh } from "../helpers/stacks";

const HCM = "envoy.filters.network.http_connection_manager";

/** What one sidecar's files say, however the platform carries them. */
interface SidecarFiles {
  readonly listeners: Listener[];
  readonly bootstrap: Bootstrap;
  readonly certificateChainPem?: string;
}

function parseFiles(files: Record<string, string>): SidecarFiles {
  const listeners = (load(files[envoyFiles.listeners]!) as { resources: Listener[] }).resources;
  const bootstrap = load(files[envoyFiles.bootstrap]!) as Bootstrap;
  const sds = files[envoyFiles.certificateSds];
  const chain = sds
    ? (load(sds) as { resources: Array<{ tls_certificate: { certificate_chain: { inline_string: string } } }> })
        .resources[0]!.tls_certificate.certificate_chain.inline_string
    : undefined;
  return { listeners, bootstrap, ...(chain ? { certificateChainPem: chain } : {}) };
}

/** A Docker sidecar's files, as its writer (role envoy-config) uploads them into the volumes the sidecar mounts. */
function dockerSidecarFiles(writer: RecordedResource): SidecarFiles {
  const uploads = writer.inputs.uploads as Array<{ file: string; content: string }>;
  return parseFiles(Object.fromEntries(uploads.map((u) => [u.file.split("/").pop()!, u.content])));
}

/** IPv4 CIDR membership, enough for RBAC's direct_remote_ip principals. */
function inCidr(ip: string, prefix: string, length: number): boolean {
  const toInt = (a: string): number => a.split(".").reduce((n, o) => n * 256 + Number(o), 0);
  if (length === 0) return true;
  const mask = 2 ** 32 - 2 ** (32 - length);
  return (toInt(ip) & mask) >>> 0 === (toInt(prefix) & mask) >>> 0;
}

interface Walk {
  readonly listener: Listener;
  readonly upstream: string;
}

/**
 * Follows a TLS request from `clientIp` to `port` through the listener bound there: TLS without client
 * certificate, rate limit and RBAC filters, then the first matching route. Throws where Envoy would refuse.
 */
function walkRequest(files: SidecarFiles, port: number, clientIp: string, path: string): Walk {
  const listener = files.listeners.find((l) => l.address.socket_address.port_value === port);
  assert.ok(listener, `no listener on ${port}`);
  assert.equal(listener.address.socket_address.address, "0.0.0.0", "reachable from outside the workload");
  const chain = listener.filter_chains[0]!;
  const tls = chain.transport_socket?.typed_config as DownstreamTlsContext | undefined;
  assert.ok(tls, "terminates TLS");
  assert.notEqual(tls.require_client_certificate, true, "a client without a certificate is let in");
  assert.ok(tls.common_tls_context.tls_certificate_sds_secret_configs.length > 0, "serves a certificate");
  const hcm = chain.filters.find((f) => f.name === HCM)?.typed_config as HttpConnectionManager;
  const names = hcm.http_filters.map((f) => f.name);
  assert.ok(names.includes("envoy.filters.http.local_ratelimit"), "rate-limited");
  const rbac = hcm.http_filters.find((f) => f.name === "envoy.filters.http.rbac")?.typed_config as
    HttpRbac<AddressPrincipal> | undefined;
  assert.ok(rbac, "RBAC decides who may call");
  const admitted = Object.values(rbac.rules.policies).some((p) =>
    p.principals.some((x) => inCidr(clientIp, x.direct_remote_ip.address_prefix, x.direct_remote_ip.prefix_len)),
  );
  assert.ok(admitted, `RBAC admits ${clientIp}`);
  const route = hcm
    .route_config!.virtual_hosts.flatMap((v) => v.routes)
    .find((r) => path.startsWith("prefix" in r.match ? r.match.prefix : r.match.path));
  assert.ok(route?.route, `a route for ${path}`);
  return { listener, upstream: route.route.cluster };
}

function appAddressOf(files: SidecarFiles, cluster: string): string {
  const found = files.bootstrap.static_resources.clusters.find((c) => c.name === cluster);
  assert.ok(found, `cluster ${cluster} in the bootstrap`);
  const { address, port_value } = found.load_assignment!.endpoints[0]!.lb_endpoints[0]!.endpoint.address.socket_address;
  return `${address}:${port_value}`;
}

describe("issue 18 item 1: the edge", function () {
  this.timeout(120_000);
  const dev = stackMesh("dev");
  const prod = stackMesh("prod");
  let devResources: readonly RecordedResource[] = [];
  let prodResources: readonly RecordedResource[] = [];

  before(async () => {
    devResources = [...(await simulateStack(PROJECT_DIR, "dev")).recorder.resources];
    prodResources = [...(await simulateStack(PROJECT_DIR, "prod")).recorder.resources];
  });

  it("dev: a client on the Docker host reaches api-gateway's app through 127.0.0.1:8443", () => {
    const edge = findService(dev, "api-gateway").edge!;
    const containers = devResources.filter((r) => r.type === "docker:index/container:Container");
    const sidecar = containers.find((c) => c.inputs.name === "east-api-gateway-1-sidecar");
    assert.ok(sidecar);
    // The sidecar joins the namespace holder (by ID: networkMode is `container:<holder id>`), which publishes the port.
    const holder = containers.find((c) => c.inputs.name === "east-api-gateway-1-netns");
    assert.ok(holder, "the container holding the sidecar's network namespace");
    assert.match(String(sidecar.inputs.networkMode), /^container:east-api-gateway-1-.*netns/);
    const ports = holder.inputs.ports as Array<{ internal: number; external: number; ip: string }>;
    assert.deepEqual(ports, [{ internal: edge.port, external: 8443, ip: "127.0.0.1", protocol: "tcp" }]);
    const writer = containers.find((c) => c.inputs.name === "east-api-gateway-1-envoy-files");
    assert.ok(writer, "the writer of the sidecar's files");
    const files = dockerSidecarFiles(writer);
    const walk = walkRequest(files, ports[0]!.internal, "172.17.0.1", "/orders/42");
    assert.equal(walk.listener.name, "edge");
    assert.equal(walk.upstream, "local_app");
    assert.equal(appAddressOf(files, walk.upstream), "127.0.0.1:8080", "api-gateway's app");
    // Clients check the server certificate against the edge's DNS name.
    const san = new X509Certificate(files.certificateChainPem!).subjectAltName ?? "";
    assert.match(san, /DNS:api\.lucid\.localhost/);
    assert.match(san, /URI:spiffe:\/\/lucid\.mesh\/ns\/lucid\/dc\/east\/svc\/api-gateway/);
    // Nothing else is published: no other container maps a port on the host, apart from Consul's API.
    const published = containers.filter((c) => (c.inputs.ports as unknown[] | undefined)?.length);
    for (const c of published)
      assert.ok(c === holder || String(c.inputs.name).includes("consul"), String(c.inputs.name));
  });

  it("prod: a client reaches api-gateway's app through the api-gateway-edge Service of the configured type", () => {
    const edge = findService(prod, "api-gateway").edge!;
    for (const cluster of ["east", "west"]) {
      const inCluster = prodResources.filter((r) => r.urn.includes(`${cluster}-api-gateway`));
      const service = inCluster.find(
        (r) =>
          r.type === "kubernetes:core/v1:Service" &&
          (r.inputs.metadata as { name: string }).name === "api-gateway-edge",
      );
      assert.ok(service, `${cluster}: the edge Service`);
      const spec = service.inputs.spec as {
        type: string;
        selector: Record<string, string>;
        ports: Array<{ port: number; targetPort: number }>;
      };
      assert.equal(spec.type, edge.serviceType);
      assert.deepEqual(
        spec.ports.map((p) => [p.port, p.targetPort]),
        [[8443, 8443]],
      );
      const deployment = inCluster.find((r) => r.type === "kubernetes:apps/v1:Deployment");
      assert.ok(deployment);
      const template = (deployment.inputs.spec as { template: { metadata: { labels: Record<string, string> } } })
        .template;
      for (const [k, v] of Object.entries(spec.selector)) assert.equal(template.metadata.labels[k], v, `selects ${k}`);
      const configMap = inCluster.find((r) => r.type === "kubernetes:core/v1:ConfigMap");
      assert.ok(configMap);
      const files = parseFiles(configMap.inputs.data as Record<string, string>);
      const walk = walkRequest(files, spec.ports[0]!.targetPort, "203.0.113.7", "/");
      assert.equal(walk.upstream, "local_app");
      assert.equal(appAddressOf(files, walk.upstream), "127.0.0.1:8080");
    }
  });

  it("the edge never forwards a client-sent XFCC: nothing overrides Envoy's default SANITIZE", () => {
    for (const mesh of [dev, prod]) {
      for (const instance of allInstances(mesh).filter((i) => i.service === "api-gateway")) {
        const edge = sidecarConfig(mesh, instance).listeners.resources.find((l) => l.name === "edge")!;
        const hcm = edge.filter_chains[0]!.filters.find((f) => f.name === HCM)!.typed_config as HttpConnectionManager;
        assert.equal(hcm.forward_client_cert_details, undefined);
        assert.equal(hcm.set_current_client_cert_details, undefined);
        assert.equal(hcm.use_remote_address, true, "hardened like every 0.0.0.0 listener");
        assert.equal(hcm.common_http_protocol_options?.headers_with_underscores_action, "REJECT_REQUEST");
        assert.equal(edge.per_connection_buffer_limit_bytes, 32768);
        const runtime = sidecarConfig(mesh, instance).bootstrap.layered_runtime?.layers[0]?.static_layer;
        assert.equal(runtime?.["envoy.resource_limits.listener.edge.connection_limit"], 10000);
      }
    }
  });

  it("only edge services have a listener without client certificates", () => {
    for (const mesh of [dev, prod]) {
      for (const instance of allInstances(mesh)) {
        const plain = sidecarConfig(mesh, instance)
          .listeners.resources.filter((l) =>
            l.filter_chains.some((c) => {
              const tls = c.transport_socket?.typed_config as DownstreamTlsContext | undefined;
              return tls !== undefined && tls.require_client_certificate !== true;
            }),
          )
          .map((l) => l.name);
        assert.deepEqual(plain, instance.service === "api-gateway" ? ["edge"] : [], instance.name);
      }
    }
  });

  it("the model refuses an edge port the workload already uses, an edge on a TCP service, and two on one Docker host", () => {
    const raw = rawMeshConfig("dev");
    const api = (raw.services as Array<Record<string, unknown>>).find((s) => s.name === "api-gateway")!;
    api.edge = { port: 15001, dnsNames: ["api.example.com"] };
    assert.match(configError(raw), /services\[0\]\.edge\.port: port 15001 is already the sidecar\.proxyPort/);
    api.edge = { port: 8443, dnsNames: ["api.example.com"] };
    api.protocol = "tcp";
    assert.match(configError(raw), /services\[0\]\.edge: .*tcp/);
    api.protocol = "http";
    api.instances = 2;
    assert.match(configError(raw), /would each publish 127\.0\.0\.1:8443; dockerd refuses the second/);
    api.instances = 1;
    const mesh: Mesh = parseMeshConfig(raw);
    assert.deepEqual(findService(mesh, "api-gateway").edge?.allowedClientCidrs, ["0.0.0.0/0"]);
  });

  describe("a user-supplied certificate", () => {
    const withCertificate = (stack: "dev" | "prod"): Record<string, unknown> => {
      const raw = rawMeshConfig(stack);
      const api = (raw.services as Array<Record<string, unknown>>).find((s) => s.name === "api-gateway")!;
      api.edge = {
        port: 8443,
        dnsNames: ["api.lucid.example.com"],
        certificate: stack === "prod" ? { kubernetesSecret: "api-gateway-tls" } : { dockerHostPath: "/srv/api-tls" },
      };
      return raw;
    };

    it("the edge serves it over SDS from a file in the config directory, by path only, valid against Envoy's protos", () => {
      const mesh = parseMeshConfig(withCertificate("prod"));
      const instance = allInstances(mesh).find((i) => i.service === "api-gateway")!;
      const edge = sidecarConfig(mesh, instance).listeners.resources.find((l) => l.name === "edge")!;
      const tls = edge.filter_chains[0]!.transport_socket!.typed_config as DownstreamTlsContext;
      assert.deepEqual(tls.common_tls_context.tls_certificate_sds_secret_configs, [
        {
          name: "edge_certificate",
          sds_config: {
            path_config_source: {
              path: "/etc/envoy/edge-certificate.yaml",
              watched_directory: { path: "/etc/envoy" },
            },
          },
        },
      ]);
      const files = sidecarFiles(mesh, instance);
      const sds = load(files["edge-certificate.yaml"]!) as { resources: Array<Record<string, unknown>> };
      assert.deepEqual(sds.resources[0]!.tls_certificate, {
        certificate_chain: { filename: "/etc/envoy-edge/tls.crt" },
        private_key: { filename: "/etc/envoy-edge/tls.key" },
        watched_directory: { path: "/etc/envoy-edge" },
      });
      assert.doesNotMatch(files["edge-certificate.yaml"]!, /BEGIN/);
      const pems = sdsFiles({ certificateChainPem: "chain", trustBundlePem: "bundle" });
      const set = [
        ...Object.entries(files).map(([name, content]) => ({ path: `/etc/envoy/${name}`, content })),
        ...Object.entries(pems).map(([name, content]) => ({ path: `/etc/envoy-secrets/${name}`, content })),
      ];
      assert.deepEqual(
        validateConfigSetSync(set).filter((i) => i.severity === "error"),
        [],
      );
      // The mesh leaf keeps only mesh names: the user's certificate carries the public ones.
      assert.ok(!leafSans(mesh, instance.cluster, "api-gateway").dnsNames.includes("api.lucid.example.com"));
    });

    it("Kubernetes mounts the TLS Secret into the Envoy container; Docker the host directory, read-only", async () => {
      const prod = await simulateMesh("prod", withCertificate("prod"));
      const deployments = prod.recorder.resources.filter(
        (r) => r.type === "kubernetes:apps/v1:Deployment" && r.urn.includes("api-gateway"),
      );
      assert.equal(deployments.length, 2);
      for (const deployment of deployments) {
        const pod = (
          deployment.inputs.spec as {
            template: {
              spec: {
                containers: Array<{ name: string; volumeMounts: Array<Record<string, unknown>> }>;
                volumes: Array<Record<string, unknown>>;
              };
            };
          }
        ).template.spec;
        const envoy = pod.containers.find((c) => c.name === "envoy")!;
        assert.deepEqual(
          envoy.volumeMounts.find((m) => m.mountPath === "/etc/envoy-edge"),
          { name: "edge-certificate", mountPath: "/etc/envoy-edge", readOnly: true },
        );
        assert.deepEqual(
          pod.volumes.find((v) => v.name === "edge-certificate"),
          { name: "edge-certificate", secret: { secretName: "api-gateway-tls", defaultMode: 0o440 } },
        );
      }
      const dev = await simulateMesh("dev", withCertificate("dev"));
      const sidecar = dev.recorder.resources.find((r) => r.inputs.name === "east-api-gateway-1-sidecar")!;
      assert.deepEqual(
        (sidecar.inputs.volumes as Array<{ containerPath: string }>).filter(
          (v) => v.containerPath === "/etc/envoy-edge",
        ),
        [{ hostPath: "/srv/api-tls", containerPath: "/etc/envoy-edge", readOnly: true }],
      );
    });

    it("the model asks for the certificate's source on every platform the service runs on, or for dnsNames", () => {
      const raw = withCertificate("prod");
      const api = (raw.services as Array<Record<string, unknown>>).find((s) => s.name === "api-gateway")!;
      api.edge = { certificate: { dockerHostPath: "/srv/api-tls" } };
      assert.match(configError(raw), /edge\.certificate\.kubernetesSecret: cluster east runs on kubernetes/);
      api.edge = { port: 8443 };
      assert.match(configError(raw), /edge\.dnsNames: the mesh CA needs the names clients use/);
    });
  });
});
