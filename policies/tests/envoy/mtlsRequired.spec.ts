import { strict as assert } from "node:assert";
import { dump } from "js-yaml";
import { checkMtlsRequired, mtlsRequired, mtlsRequiredDefaults } from "../../rules/envoy/mtlsRequired";
import type { Json } from "../../lib/props";
import { editEnvoy, gatewayConfigMap, named, sidecarConfigMap, sidecarContainer } from "../fixtures/mesh";
import { runResourcePolicy } from "../../../simulate/policyRunner";

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
      'cluster "upstream_blockchain-core" matches the server\'s SAN by exact blockchain-core.lucid (san_type DNS), which admits other identities; match san_type URI exactly against spiffe://lucid.mesh/ns/<ns>/dc/<dc>/svc/blockchain-core.',
    ]);
  });

  it("fails an upstream cluster that connects in plaintext", () => {
    const r = editEnvoy(sidecarContainer(), "cluster.yaml", (d) => {
      const cluster = named(d, "upstream_blockchain-core");
      delete cluster.transport_socket;
      delete cluster.transport_socket_matches;
    });
    assert.deepEqual(check(r), [
      'cluster "upstream_blockchain-core" connects without mTLS; give it a transport_socket with an UpstreamTlsContext and the service certificate.',
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

  // ---- The gaps of issue 19, each on the Docker sidecar and on the Kubernetes ConfigMap ----

  const carriers = [
    ["Docker", sidecarContainer],
    ["Kubernetes", sidecarConfigMap],
  ] as const;

  for (const [platform, make] of carriers) {
    it(`${platform}: fails transport_socket_matches without a default transport_socket (plaintext to unmatched endpoints)`, () => {
      const r = editEnvoy(make(), "cluster.yaml", (d) => {
        delete named(d, "upstream_blockchain-core").transport_socket;
      });
      assert.deepEqual(check(r), [
        'cluster "upstream_blockchain-core" has transport_socket_matches but no default transport_socket, so endpoints that match no entry get plaintext; add a default transport_socket with an UpstreamTlsContext.',
      ]);
    });

    it(`${platform}: fails an upstream SAN matcher that is a prefix, not an exact SPIFFE ID`, () => {
      const r = editEnvoy(make(), "cluster.yaml", (d) => {
        const combined = (upstreamTls(d).common_tls_context as Json).combined_validation_context as Json;
        (combined.default_validation_context as Json).match_typed_subject_alt_names = [
          { san_type: "URI", matcher: { prefix: "spiffe://lucid.mesh/" } },
        ];
      });
      assert.deepEqual(check(r), [
        'cluster "upstream_blockchain-core" matches the server\'s SAN by prefix spiffe://lucid.mesh/ (san_type URI), which admits other identities; match san_type URI exactly against spiffe://lucid.mesh/ns/<ns>/dc/<dc>/svc/blockchain-core.',
      ]);
    });

    it(`${platform}: fails an exact SAN that pins another service than the cluster's upstream`, () => {
      const r = editEnvoy(make(), "cluster.yaml", (d) => {
        const combined = (upstreamTls(d).common_tls_context as Json).combined_validation_context as Json;
        (combined.default_validation_context as Json).match_typed_subject_alt_names = [
          { san_type: "URI", matcher: { exact: "spiffe://lucid.mesh/ns/lucid/dc/east/svc/session-api" } },
        ];
      });
      assert.match(
        check(r).join("\n"),
        /expects the server to be spiffe:\/\/lucid.mesh\/ns\/lucid\/dc\/east\/svc\/session-api, not service "blockchain-core"/,
      );
    });

    it(`${platform}: fails trust_chain_verification ACCEPT_UNTRUSTED on the inbound listener and on an upstream`, () => {
      const inbound = editEnvoy(make(), "listener.yaml", (d) => {
        const common = inboundTls(d).common_tls_context as Json;
        // validation_context_type is a oneof: the SDS bundle moves into a combined context beside the override.
        common.combined_validation_context = {
          default_validation_context: { trust_chain_verification: "ACCEPT_UNTRUSTED" },
          validation_context_sds_secret_config: common.validation_context_sds_secret_config,
        };
        delete common.validation_context_sds_secret_config;
      });
      assert.deepEqual(check(inbound), [
        'listener "inbound" filter chain 0 sets trust_chain_verification: ACCEPT_UNTRUSTED, so any certificate is accepted; remove it (VERIFY_TRUST_CHAIN is the default).',
      ]);
      const upstream = editEnvoy(make(), "cluster.yaml", (d) => {
        const combined = (upstreamTls(d).common_tls_context as Json).combined_validation_context as Json;
        (combined.default_validation_context as Json).trust_chain_verification = "ACCEPT_UNTRUSTED";
      });
      assert.deepEqual(check(upstream), [
        'cluster "upstream_blockchain-core" sets trust_chain_verification: ACCEPT_UNTRUSTED, so any certificate is accepted; remove it (VERIFY_TRUST_CHAIN is the default).',
      ]);
    });

    it(`${platform}: fails a second plaintext listener on a public address next to the mTLS one`, () => {
      const r = editEnvoy(make(), "listener.yaml", (d) => {
        const copy = structuredClone(named(d, "inbound"));
        copy.name = "inbound_plain";
        copy.address = { socket_address: { address: "0.0.0.0", port_value: 15002 } };
        for (const chain of copy.filter_chains as Json[]) delete chain.transport_socket;
        (d.resources as Json[]).push(copy);
      });
      assert.deepEqual(check(r), [
        'listener "inbound_plain" filter chain 0 is a second plaintext listener on a public address, routing {"prefix":"/"}; serve mesh traffic only on the mTLS inbound listener, or bind it to 127.0.0.1.',
      ]);
    });

    it(`${platform}: fails a public TLS listener without client certificates unless it carries the edge marker`, () => {
      const addListener = (name: string, metadata?: Json) =>
        editEnvoy(make(), "listener.yaml", (d) => {
          const copy = structuredClone(named(d, "inbound"));
          copy.name = name;
          copy.address = { socket_address: { address: "0.0.0.0", port_value: 8443 } };
          if (metadata) copy.metadata = metadata;
          const chain = (copy.filter_chains as Json[])[0] as Json;
          delete ((chain.transport_socket as Json).typed_config as Json).require_client_certificate;
          (d.resources as Json[]).push(copy);
        });
      assert.deepEqual(check(addListener("public_tls")), [
        'listener "public_tls" filter chain 0 terminates TLS on a public address without requiring client certificates; set require_client_certificate: true, or mark it as the edge (name edge_…).',
      ]);
      // The edge contract: the name prefix edge_, or filter_metadata["lucid.mesh"].edge = true.
      assert.deepEqual(check(addListener("edge_https")), []);
      assert.deepEqual(check(addListener("public_tls", { filter_metadata: { "lucid.mesh": { edge: true } } })), []);
    });

    it(`${platform}: an edge listener must still terminate TLS`, () => {
      const r = editEnvoy(make(), "listener.yaml", (d) => {
        const copy = structuredClone(named(d, "inbound"));
        copy.name = "edge_http";
        copy.address = { socket_address: { address: "0.0.0.0", port_value: 8080 } };
        for (const chain of copy.filter_chains as Json[]) delete chain.transport_socket;
        (d.resources as Json[]).push(copy);
      });
      assert.match(check(r).join("\n"), /listener "edge_http" filter chain 0 is a second plaintext listener/);
    });

    it(`${platform}: fails closed on an empty listener file, and on one with no listeners`, () => {
      const withListenerFile = (text: string) => {
        const r = make();
        if (r.type === "kubernetes:core/v1:ConfigMap") (r.props.data as Record<string, string>)["listener.yaml"] = text;
        else
          (r.props.uploads as Array<{ file: string; content: string }>).find((u) =>
            u.file.endsWith("listener.yaml"),
          )!.content = text;
        return r;
      };
      assert.deepEqual(check(withListenerFile("")), [
        "listener.yaml is not valid YAML (expected a document, but the input is empty); fix the file so its TLS settings can be checked.",
        'this sidecar has no inbound listener ("inbound" on port 15001), so nothing proves it requires mTLS; deliver a listener file with the inbound mTLS listener.',
      ]);
      assert.deepEqual(check(withListenerFile("resources: []\n")), [
        'this sidecar has no inbound listener ("inbound" on port 15001), so nothing proves it requires mTLS; deliver a listener file with the inbound mTLS listener.',
      ]);
    });
  }

  it("fails closed on the Docker writer of a sidecar's config (role envoy-config) that carries no Envoy config", () => {
    const r = sidecarContainer();
    r.props.labels = (r.props.labels as Array<{ label: string; value: string }>).map((l) =>
      l.label === "lucid.mesh/role" ? { ...l, value: "envoy-config" } : l,
    );
    r.props.uploads = (r.props.uploads as Array<{ file: string }>).filter((u) => !u.file.startsWith("/etc/envoy/"));
    assert.deepEqual(check(r), [
      "this sidecar carries no Envoy config (/etc/envoy/listener.yaml), so nothing proves it requires mTLS; deliver the generated files.",
    ]);
  });

  it("fails ACCEPT_UNTRUSTED in the SDS trust bundle, in a Docker upload and in a Kubernetes Secret", () => {
    const bundle = dump({
      resources: [
        {
          "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret",
          name: "mesh_trust_bundle",
          validation_context: { trusted_ca: { inline_string: "x" }, trust_chain_verification: "ACCEPT_UNTRUSTED" },
        },
      ],
    });
    const container = sidecarContainer();
    (container.props.uploads as Array<{ file: string; content: string }>).push({
      file: "/etc/envoy-secrets/trust-bundle.yaml",
      content: bundle,
    });
    const secret = {
      type: "kubernetes:core/v1:Secret",
      name: "east-api-gateway-certs",
      urn: "urn:pulumi:dev::lucid-mesh::kubernetes:core/v1:Secret::east-api-gateway-certs",
      props: { metadata: { labels: { "lucid.mesh/role": "sidecar" } }, stringData: { "trust-bundle.yaml": bundle } },
    };
    const expected = [
      'SDS secret "mesh_trust_bundle" sets trust_chain_verification: ACCEPT_UNTRUSTED, so any certificate is accepted; remove it (VERIFY_TRUST_CHAIN is the default).',
    ];
    assert.deepEqual(check(container), expected);
    assert.deepEqual(check(secret), expected);
  });

  it("leaves the generated health and metrics listeners alone: they serve fixed paths only", () => {
    assert.deepEqual(check(sidecarContainer()), []);
  });
});
