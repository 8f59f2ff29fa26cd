import { strict as assert } from "node:assert";
import type { Json } from "../../lib/props";
import { consulHardening } from "../../rules/consul/consulHardening";
import { GOSSIP_KEY, consulContainer, consulKubernetes, consulServerJson } from "../fixtures/mesh";
import type { ResourceUnderTest } from "../../../simulate/policyRunner";
import { runStackPolicy } from "../../../simulate/policyRunner";

async function messages(resources: ResourceUnderTest[], environment = "dev"): Promise<string[]> {
  const result = await runStackPolicy(consulHardening, resources, { config: { environment } });
  return result.violations.map((v) => v.message);
}

function server(edit: (s: Json) => void): Json {
  const s = consulServerJson();
  edit(s);
  return s;
}

describe("lucid-consul-hardening", () => {
  it("passes the generated agent config on Docker and on Kubernetes (dev: one server)", async () => {
    assert.deepEqual(await messages([consulContainer()]), []);
    assert.deepEqual(await messages(consulKubernetes()), []);
  });

  it("fails ACLs that are off or allow by default", async () => {
    const resources = [consulContainer(server((s) => (s.acl = { enabled: false, default_policy: "allow" })))];
    assert.deepEqual(await messages(resources), [
      "east-consul-server-0: ACLs are off; set acl.enabled to true in server.json.",
      'east-consul-server-0: ACLs allow by default; set acl.default_policy to "deny" in server.json.',
    ]);
  });

  it("fails without a gossip key in the secrets part, and a gossip key in server.json", async () => {
    assert.deepEqual(await messages(consulKubernetes(consulServerJson(), { acl: { tokens: {} } })), [
      "east-consul-server: gossip encryption is off; set encrypt (a base64 32-byte key) in secrets.json.",
    ]);
    assert.deepEqual(await messages([consulContainer(server((s) => (s.encrypt = GOSSIP_KEY)))]), [
      "east-consul-server-0: the gossip key is in server.json, which is not secret; move encrypt to secrets.json.",
    ]);
  });

  it("fails TLS without hostname verification", async () => {
    const resources = [consulContainer(server((s) => delete (s.tls as Json).internal_rpc))];
    assert.deepEqual(await messages(resources), [
      "east-consul-server-0: TLS verify_server_hostname is not on; set tls.internal_rpc.verify_server_hostname to true.",
    ]);
  });

  it("fails script checks", async () => {
    assert.deepEqual(await messages([consulContainer(server((s) => (s.enable_script_checks = true)))]), [
      "east-consul-server-0: enable_script_checks lets checks run arbitrary commands; set enable_script_checks to false.",
    ]);
  });

  it("fails a single server outside dev, and an even count", async () => {
    assert.deepEqual(await messages([consulContainer()], "prod"), [
      "east-consul-server-0: bootstrap_expect is 1; outside dev run an odd number of servers, at least 3.",
    ]);
    assert.deepEqual(await messages([consulContainer(server((s) => (s.bootstrap_expect = 4)))], "prod"), [
      "east-consul-server-0: bootstrap_expect is 4; outside dev run an odd number of servers, at least 3.",
    ]);
    assert.deepEqual(await messages([consulContainer(server((s) => (s.bootstrap_expect = 3)))], "prod"), []);
  });

  it("is strict (prod) when no environment is configured", async () => {
    const result = await runStackPolicy(consulHardening, [consulContainer()]);
    assert.equal(result.violations.length, 1);
  });

  // hashicorp/consul agent/config/default.go: ports.http = 8500 unless set; builder.go portVal: <= 0 is off.
  it("fails the plaintext HTTP API: ports.http on, or left to Consul's default 8500", async () => {
    const on = [consulContainer(server((s) => ((s.ports as Json).http = 8500)))];
    assert.deepEqual(await messages(on), [
      "east-consul-server-0: the plaintext HTTP API is on (ports.http 8500); set ports.http to -1 and serve the API on ports.https only.",
    ]);
    const unset = consulKubernetes(server((s) => delete (s.ports as Json).http));
    assert.deepEqual(await messages(unset), [
      "east-consul-server: the plaintext HTTP API is on (ports.http unset, so Consul's default 8500); set ports.http to -1 and serve the API on ports.https only.",
    ]);
  });
});
