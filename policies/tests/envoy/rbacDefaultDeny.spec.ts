import { strict as assert } from "node:assert";
import { sidecarFiles } from "../../../envoy";
import { allInstances } from "../../../model";
import type { Json } from "../../lib/props";
import { checkRbacDefaultDeny, rbacDefaultDeny, rbacDefaultDenyDefaults } from "../../rules/envoy/rbacDefaultDeny";
import { editEnvoy, named, sidecarConfigMap, sidecarContainer } from "../fixtures/mesh";
import { runResourcePolicy } from "../../../simulate/policyRunner";
import { stackMesh } from "../../../tests/helpers/stacks";

type Resource = ReturnType<typeof sidecarContainer>;

const check = (r: Resource): string[] => checkRbacDefaultDeny(r, rbacDefaultDenyDefaults);

function inboundFilters(document: Json): Json[] {
  const chain = (named(document, "inbound").filter_chains as Json[])[0] as Json;
  return chain.filters as Json[];
}

function httpFilters(document: Json): Json[] {
  const manager = inboundFilters(document).find((f) => f.name === "envoy.filters.network.http_connection_manager");
  return (manager?.typed_config as Json).http_filters as Json[];
}

function rbacRules(document: Json): Json {
  const rbac = httpFilters(document).find((f) => f.name === "envoy.filters.http.rbac");
  return (rbac?.typed_config as Json).rules as Json;
}

/** A sidecar of prod's session-recorder, a TCP service: network RBAC in front of tcp_proxy. */
function tcpSidecar(): Resource {
  const mesh = stackMesh("prod");
  const instance = allInstances(mesh).find((i) => i.service === "session-recorder")!;
  const uploads = Object.entries(sidecarFiles(mesh, instance)).map(([file, content]) => ({
    file: `/etc/envoy/${file}`,
    content,
  }));
  return {
    type: "docker:index/container:Container",
    name: `${instance.name}-sidecar`,
    urn: `urn:pulumi:prod::lucid-mesh::docker:index/container:Container::${instance.name}-sidecar`,
    props: { uploads, labels: [{ label: "lucid.mesh/role", value: "sidecar" }] },
  };
}

describe("lucid-envoy-rbac-default-deny", () => {
  it("passes the generated HTTP and TCP sidecars", () => {
    assert.deepEqual(check(sidecarContainer()), []);
    assert.deepEqual(check(sidecarConfigMap()), []);
    assert.deepEqual(check(tcpSidecar()), []);
  });

  it("fails an inbound HTTP listener without RBAC", () => {
    const r = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
      const filters = httpFilters(d);
      filters.splice(
        filters.findIndex((f) => f.name === "envoy.filters.http.rbac"),
        1,
      );
    });
    assert.deepEqual(check(r), [
      'listener "inbound" has no envoy.filters.http.rbac filter, so any mesh identity may call it; add one allowing only the callers intentions allow.',
    ]);
  });

  it("fails RBAC that denies only what it names", () => {
    const r = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
      rbacRules(d).action = "DENY";
    });
    assert.deepEqual(check(r), [
      'listener "inbound": RBAC action is DENY, which admits whoever no policy names; use action ALLOW listing the callers intentions allow.',
    ]);
  });

  it("fails RBAC without rules, which enforces nothing", () => {
    const r = editEnvoy(sidecarConfigMap(), "listener.yaml", (d) => {
      const rbac = httpFilters(d).find((f) => f.name === "envoy.filters.http.rbac")!;
      delete (rbac.typed_config as Json).rules;
    });
    assert.deepEqual(check(r), [
      'listener "inbound": RBAC has no rules, so it allows every caller; set rules.action: ALLOW with the allowed SPIFFE IDs.',
    ]);
  });

  it("fails a principal that allows anyone, or an identity from another trust domain", () => {
    const r = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
      rbacRules(d).policies = {
        callers: {
          permissions: [{ any: true }],
          principals: [
            { any: true },
            { authenticated: { principal_name: { exact: "spiffe://evil.example/ns/x/dc/y/svc/z" } } },
          ],
        },
      };
    });
    assert.deepEqual(check(r), [
      'listener "inbound": policy "callers": a principal allows any caller; name callers by SPIFFE ID.',
      'listener "inbound": policy "callers": principal spiffe://evil.example/ns/x/dc/y/svc/z is outside the trust domain lucid.mesh; allow only the mesh\'s SPIFFE IDs.',
    ]);
  });

  it("fails RBAC placed after the router", () => {
    const r = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
      const filters = httpFilters(d);
      const [rbac] = filters.splice(
        filters.findIndex((f) => f.name === "envoy.filters.http.rbac"),
        1,
      );
      filters.push(rbac!);
    });
    assert.deepEqual(check(r), [
      'listener "inbound": envoy.filters.http.rbac comes after envoy.filters.http.router; move it before.',
    ]);
  });

  it("fails a TCP listener without network RBAC, and honours the configured trust domain", async () => {
    const r = editEnvoy(tcpSidecar(), "listener.yaml", (d) => {
      const filters = inboundFilters(d);
      filters.splice(
        filters.findIndex((f) => f.name === "envoy.filters.network.rbac"),
        1,
      );
    });
    assert.deepEqual(check(r), [
      'listener "inbound" has no envoy.filters.network.rbac filter, so any mesh identity may call it; add one allowing only the callers intentions allow.',
    ]);
    const other = await runResourcePolicy(rbacDefaultDeny, tcpSidecar(), { config: { trustDomain: "other.mesh" } });
    assert.ok(other.violations.length > 0);
    assert.match(other.violations[0]!.message, /outside the trust domain other\.mesh/);
  });

  for (const make of [sidecarContainer, sidecarConfigMap]) {
    it(`${make.name}: fails a principal that is a prefix of the trust domain, which admits every identity`, () => {
      const r = editEnvoy(make(), "listener.yaml", (d) => {
        rbacRules(d).policies = {
          allowed_sources: {
            permissions: [{ any: true }],
            principals: [{ authenticated: { principal_name: { prefix: "spiffe://lucid.mesh/" } } }],
          },
        };
      });
      assert.deepEqual(check(r), [
        'listener "inbound": policy "allowed_sources": principal prefix "spiffe://lucid.mesh/" admits every identity it matches; list each caller\'s exact SPIFFE ID.',
      ]);
    });
  }

  it("fails an exact principal that is the trust domain rather than a workload, a disabled RBAC, and an empty listener file", () => {
    const domainOnly = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
      rbacRules(d).policies = {
        p: {
          permissions: [{ any: true }],
          principals: [{ authenticated: { principal_name: { exact: "spiffe://lucid.mesh/ns/lucid" } } }],
        },
      };
    });
    assert.deepEqual(check(domainOnly), [
      'listener "inbound": policy "p": principal spiffe://lucid.mesh/ns/lucid is not a workload SPIFFE ID; allow only spiffe://lucid.mesh/ns/<ns>/dc/<dc>/svc/<service> IDs.',
    ]);
    const disabled = editEnvoy(sidecarContainer(), "listener.yaml", (d) => {
      httpFilters(d).find((f) => f.name === "envoy.filters.http.rbac")!.disabled = true;
    });
    assert.deepEqual(check(disabled), [
      'listener "inbound": envoy.filters.http.rbac is disabled, so it enforces nothing; remove disabled.',
    ]);
    const empty = editEnvoy(sidecarConfigMap(), "listener.yaml", (d) => {
      d.resources = [];
    });
    assert.deepEqual(check(empty), [
      'this sidecar has no inbound listener ("inbound" on port 15001), so nothing proves it authorises callers; deliver the generated listener file.',
    ]);
  });
});
