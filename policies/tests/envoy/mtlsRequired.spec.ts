import { strict as assert } from "node:assert";
import { checkMtlsRequired, mtlsRequired, mtlsRequiredDefaults } from "../../rules/envoy/mtlsRequired";
import type { Json } from "../../lib/props";
import { editEnvoy, gatewayConfigMap, named, sidecarConfigMap, sidecarContainer } from "../fixtures/mesh";
import { runResourcePolicy } from "../harness";

function inboundTls(document: Json): Json {
  const listener = named(document, "inbound");
  const chain = (listener.filter_chains as Json[])[0] as Json;
  return (chain.transport_socket as Json).typed_config as Json;
}

function upstreamTls(document: Json): Json {
  const cluster = named(document, "upstream_blockchain-core");
  const socket = (cluster.transport_socket ??
    (cluster.transport_socket_matches as Json[])[0]?.transport_socket) as Json;
  return socket.typed_config as Json;
}

const check = (r: ReturnType<typeof sidecarContainer>): string[] => checkMtlsRequired(r, mtlsRequiredDefaults);

describe("lucid-envoy-mtls-required", () => {
  it("passes the generated sidecar, as a Docker container and as a ConfigMap, and the gateway", async () => {
    assert.deepEqual(check(sidecarContainer()), []);
    assert.deepEqual(check(sidecarConfigMap()), []);
    assert.deepEqual(check(gatewayConfigMap()), []);
    assert.deepEqual((await runResourcePolicy(mtlsRequired, sidecarContainer())).violations, []);
  });

  it("is not applicable to other resource types", async () => {
    const result = await runResourcePolicy(mtlsRequired, {
      type: "tls:index/privateKey:PrivateKey",
      name: "k",
      props: {},
    });
    assert.match(result.notApplicable ?? "", /applies only to/);
  });

  it("fails an inbound listener that accepts plaintext", () => {
    const r = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
      delete ((named(d, "inbound").filter_chains as Json[])[0] as Json).transport_socket;
    });
    assert.deepEqual(check(r), [
      'listener "inbound" filter chain 0 accepts plaintext; add an envoy.transport_sockets.tls transport socket with a DownstreamTlsContext.',
    ]);
  });

  it("fails an inbound listener that does not require client certificates", () => {
    const r = editEnvoy(sidecarConfigMap(), "listener.yaml", (d) => {
      inboundTls(d).require_client_certificate = false;
    });
    assert.deepEqual(check(r), [
      'listener "inbound" filter chain 0 does not require client certificates; set require_client_certificate: true.',
    ]);
  });

  it("fails an inbound listener without a validation context", () => {
    const r = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
      const common = inboundTls(d).common_tls_context as Json;
      delete common.validation_context_sds_secret_config;
      delete common.combined_validation_context;
    });
    assert.deepEqual(check(r), [
      'listener "inbound" filter chain 0 has no validation context; set common_tls_context.validation_context_sds_secret_config to the trust bundle (or an inline trusted_ca).',
    ]);
  });

  it("fails an inbound listener with an implicit or old minimum TLS version", () => {
    const implicit = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
      delete (inboundTls(d).common_tls_context as Json).tls_params;
    });
    assert.deepEqual(check(implicit), [
      'listener "inbound" filter chain 0 leaves the minimum TLS version implicit; set common_tls_context.tls_params.tls_minimum_protocol_version to TLSv1_2.',
    ]);
    const old = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
      (inboundTls(d).common_tls_context as Json).tls_params = { tls_minimum_protocol_version: "TLSv1_1" };
    });
    assert.deepEqual(check(old), [
      'listener "inbound" filter chain 0: tls_minimum_protocol_version is TLSv1_1; set common_tls_context.tls_params.tls_minimum_protocol_version to TLSv1_2 or later.',
    ]);
  });

  it("honours a stricter minTlsVersion from config", async () => {
    const result = await runResourcePolicy(mtlsRequired, sidecarContainer(), { config: { minTlsVersion: "TLSv1_3" } });
    assert.ok(result.violations.length > 0);
    assert.match(result.violations[0]?.message ?? "", /to TLSv1_3 or later\.$/);
  });

  it("fails an upstream cluster without SPIFFE SAN matching", () => {
    const r = editEnvoy(sidecarContainer(), "cluster.yaml", (d) => {
      const common = upstreamTls(d).common_tls_context as Json;
      const combined = common.combined_validation_context as Json;
      (combined.default_validation_context as Json).match_typed_subject_alt_names = [
        { san_type: "DNS", matcher: { exact: "blockchain-core.lucid" } },
      ];
    });
    assert.deepEqual(check(r), [
      'cluster "upstream_blockchain-core" does not pin the server\'s SPIFFE ID; add match_typed_subject_alt_names with san_type URI and the spiffe:// ID of the upstream service.',
    ]);
  });

  it("fails an upstream cluster that connects in plaintext", () => {
    const r = editEnvoy(sidecarContainer(), "cluster.yaml", (d) => {
      const cluster = named(d, "upstream_blockchain-core");
      delete cluster.transport_socket;
      delete cluster.transport_socket_matches;
    });
    assert.deepEqual(check(r), [
      'cluster "upstream_blockchain-core" connects without mTLS; give every transport socket an UpstreamTlsContext with the service certificate.',
    ]);
  });

  it("reports a file it cannot parse", () => {
    const r = sidecarConfigMap();
    (r.props.data as Record<string, string>)["listener.yaml"] = "resources: [\n";
    assert.match(
      check(r)[0] ?? "",
      /^listener\.yaml is not valid YAML .*; fix the file so its TLS settings can be checked\.$/,
    );
  });
});
