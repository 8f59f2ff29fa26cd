import type { AgentConfig } from "../../lib/consulArtifacts";
import { consulAgentConfigs } from "../../lib/consulArtifacts";
import { stackRule } from "../../lib/policy";
import { asBoolean, asNumber, asString, at } from "../../lib/props";
import type { StackResource, StackViolation } from "../../lib/types";

export const consulHardeningDefaults = {
  /** Outside dev, servers must form a fault-tolerant quorum. Strict unless a stack's config says otherwise. */
  environment: "prod",
  minServers: 3,
};
export type ConsulHardeningConfig = typeof consulHardeningDefaults;

/** Consul 1.12+ `tls.internal_rpc` / `tls.defaults`, falling back to the deprecated top-level keys. */
function tlsFlag(server: unknown, key: string): boolean | undefined {
  return (
    asBoolean(at(server, "tls", "internal_rpc", key)) ??
    asBoolean(at(server, "tls", "defaults", key)) ??
    asBoolean(at(server, key))
  );
}

function checkAgent(agent: AgentConfig, config: ConsulHardeningConfig): string[] {
  const { server, secrets } = agent;
  const problems = agent.errors.map((e) => `${e}; fix the file.`);
  if (at(server, "acl", "enabled") !== true) problems.push("ACLs are off; set acl.enabled to true in server.json.");
  if (at(server, "acl", "default_policy") !== "deny") {
    problems.push('ACLs allow by default; set acl.default_policy to "deny" in server.json.');
  }
  if (server.encrypt !== undefined) {
    problems.push("the gossip key is in server.json, which is not secret; move encrypt to secrets.json.");
  }
  if (at(server, "acl", "tokens") !== undefined) {
    problems.push("ACL tokens are in server.json, which is not secret; move acl.tokens to secrets.json.");
  }
  if ((asString(secrets?.encrypt) ?? "") === "") {
    problems.push("gossip encryption is off; set encrypt (a base64 32-byte key) in secrets.json.");
  }
  for (const key of ["verify_incoming", "verify_outgoing", "verify_server_hostname"]) {
    if (tlsFlag(server, key) !== true) problems.push(`TLS ${key} is not on; set tls.internal_rpc.${key} to true.`);
  }
  // hashicorp/consul agent/config/default.go: ports.http defaults to 8500; builder.go portVal turns only a value
  // <= 0 into "off". So an absent ports.http is a plaintext API, as is any positive one.
  const httpPort = at(server, "ports", "http");
  const httpValue = asNumber(httpPort);
  if (httpValue === undefined || httpValue > 0) {
    problems.push(
      `the plaintext HTTP API is on (ports.http ${httpPort === undefined ? "unset, so Consul's default 8500" : JSON.stringify(httpPort)}); set ports.http to -1 and serve the API on ports.https only.`,
    );
  }
  for (const key of ["enable_script_checks", "enable_local_script_checks"]) {
    // Consul's default for both is false; only an explicit true runs scripts.
    if (server[key] === true) problems.push(`${key} lets checks run arbitrary commands; set ${key} to false.`);
  }
  if (server.server === true && config.environment !== "dev") {
    const expect = asNumber(server.bootstrap_expect);
    if (expect === undefined || expect < config.minServers || expect % 2 === 0) {
      problems.push(
        `bootstrap_expect is ${String(expect)}; outside dev run an odd number of servers, at least ${config.minServers}.`,
      );
    }
  }
  return problems;
}

/** Consul agents run with default-deny ACLs, gossip encryption, verified TLS and no script checks. */
export function checkConsulHardening(
  resources: readonly StackResource[],
  config: ConsulHardeningConfig,
): StackViolation[] {
  return consulAgentConfigs(resources).flatMap((agent) =>
    checkAgent(agent, config).map((problem) => ({
      urn: agent.resource.urn,
      message: `${agent.resource.name}: ${problem}`,
    })),
  );
}

export const consulHardening = stackRule(
  {
    name: "lucid-consul-hardening",
    description:
      "Require Consul agents to run with default-deny ACLs, gossip encryption, verified TLS and no script checks.",
    severity: "critical",
    defaults: consulHardeningDefaults,
    configSchema: {
      properties: {
        environment: {
          type: "string",
          enum: ["dev", "staging", "prod"],
          default: consulHardeningDefaults.environment,
          description: "The stack's environment; quorum size is only enforced outside dev.",
        },
        minServers: {
          type: "integer",
          minimum: 1,
          default: consulHardeningDefaults.minServers,
          description: "Fewest Consul servers outside dev.",
        },
      },
    },
  },
  checkConsulHardening,
);
