/**
 * The lucid-mesh policy pack. The Pulumi engine runs this file (`pulumi preview --policy-pack policies`); tests
 * never import it, because constructing a PolicyPack starts a gRPC server and prints its port.
 *
 * LUCID_MESH_POLICY_ENV=dev serves advisory defaults; anything else serves prod's mandatory ones. A
 * `--policy-pack-config policies/config/<env>.json` file overrides either.
 */
import { PolicyPack } from "@pulumi/policy";
import { packConfigFor, packEnvironment, packLevels } from "./lib/packConfig";
import { allPolicies } from "./rules";

const environment = packEnvironment(process.env.LUCID_MESH_POLICY_ENV);

new PolicyPack(
  "lucid-mesh-policies",
  {
    description: "Service-mesh guardrails for lucid-mesh: mTLS, SPIFFE PKI, Consul hardening, Envoy limits, workloads.",
    enforcementLevel: packLevels[environment],
    policies: allPolicies,
  },
  packConfigFor(environment),
);
