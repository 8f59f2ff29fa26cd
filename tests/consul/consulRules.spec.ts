/** The simulated Consul's rules one by one, each with the case the real system refuses. */
import { recordedResource } from "../helpers/recorded";
import { strict as assert } from "node:assert";
import { intentionPrecedence } from "../../consul/configEntries";
import { goDurationSeconds } from "../../consul/goDuration";
import { consulSystem } from "../../simulate/consul";
import {
  AclRulesError,
  allowed,
  parseAclRules,
  permissionDenied,
  segmentAccess,
  type TokenAuthority,
} from "../../simulate/consul/aclRules";
import { consulIntentionPrecedence, storedEntry, validateEntry } from "../../simulate/consul/configEntries";
import { goDurationRoundTrip, goDurationString, parseGoDuration } from "../../simulate/consul/goDuration";
import { consulReadBack } from "../../simulate/consul/readBack";
import type { RecordedResource } from "../../simulate/recorder";
import { classifyChange } from "../../simulate/system";

function policies(...rules: string[]): TokenAuthority {
  return { kind: "policies", policies: rules.map(parseAclRules) };
}

function block(kind: string, segment: string, policy: string): string {
  return `${kind} ${JSON.stringify(segment)} {\n  policy = ${JSON.stringify(policy)}\n}\n`;
}

describe("simulated Consul: Go durations (go/src/time, as the provider reads them back)", () => {
  it("prints what Duration.String prints", () => {
    const cases: Array<[string, string]> = [
      ["60s", "1m0s"],
      ["30s", "30s"],
      ["0s", "0s"],
      ["0", "0s"],
      ["90s", "1m30s"],
      ["3600s", "1h0m0s"],
      ["1.5s", "1.5s"],
      ["250ms", "250ms"],
      ["0.25s", "250ms"],
      ["1m30s", "1m30s"],
    ];
    for (const [given, read] of cases) assert.equal(goDurationRoundTrip(given), read, given);
    assert.equal(goDurationString(1500n), "1.5µs");
  });

  it("refuses what ParseDuration refuses", () => {
    assert.throws(() => parseGoDuration("60"), /time: invalid duration "60"/);
    assert.throws(() => parseGoDuration("5 s"), /unknown unit/);
    assert.throws(() => parseGoDuration(""), /invalid duration/);
  });

  it("the program's whole-second durations are already in Go's form, so they read back unchanged", () => {
    for (const seconds of [0, 1, 10, 30, 59, 60, 61, 600, 3599, 3600, 86_400]) {
      const text = goDurationSeconds(seconds);
      assert.equal(goDurationRoundTrip(text), text);
      assert.equal(parseGoDuration(text), BigInt(seconds) * 1_000_000_000n);
    }
  });
});

describe("simulated Consul: ACL rules and their evaluation (acl/policy_authorizer.go, acl/policy_merger.go)", () => {
  it("an exact rule beats any prefix; the longest prefix beats shorter ones", () => {
    const p = [
      parseAclRules(
        block("service_prefix", "", "write") + block("service", "db", "read") + block("service_prefix", "db-", "deny"),
      ),
    ];
    assert.equal(segmentAccess(p, "service", "db"), "read");
    assert.equal(segmentAccess(p, "service", "db-replica"), "deny");
    assert.equal(segmentAccess(p, "service", "web"), "write");
    assert.equal(segmentAccess(p, "node", "web"), undefined);
  });

  it("write implies read; read does not give write; no rule is the default deny", () => {
    const token = policies(block("service", "web", "write") + block("node_prefix", "", "read"));
    assert.ok(allowed(token, { resource: "service", segment: "web", level: "read" }));
    assert.ok(!allowed(token, { resource: "node", segment: "n1", level: "write" }));
    assert.ok(!allowed(token, { resource: "service", segment: "db", level: "read" }));
    assert.ok(!allowed(token, { resource: "acl", level: "write" }));
  });

  it("deny wins when two policies of one token name the same rule", () => {
    const token = policies(block("service", "web", "write"), block("service", "web", "deny"));
    assert.ok(!allowed(token, { resource: "service", segment: "web", level: "read" }));
  });

  it('scalar rules (peering = "read") and the management token', () => {
    const token = policies('peering = "read"\n');
    assert.ok(allowed(token, { resource: "peering", level: "read" }));
    assert.ok(!allowed(token, { resource: "peering", level: "write" }));
    assert.ok(allowed({ kind: "management" }, { resource: "intention", segment: "x", level: "write" }));
    assert.ok(!allowed(token, { resource: "intention", segment: "x", level: "write" }));
  });

  it("refuses rules it cannot parse, as NewPolicyFromSource does", () => {
    assert.throws(() => parseAclRules('service "web" {\n  policy = "admin"\n}\n'), AclRulesError);
    assert.throws(() => parseAclRules('servce "web" {\n  policy = "read"\n}\n'), /unknown resource/);
    assert.throws(() => parseAclRules("service web\n"), AclRulesError);
  });

  it("words a denial as Consul does (acl/errors.go)", () => {
    assert.equal(
      permissionDenied("abc", { resource: "service", segment: "web", level: "write" }),
      `Permission denied: token with AccessorID 'abc' lacks permission 'service:write' on "web"`,
    );
  });
});

describe("simulated Consul: config entry validation (agent/structs/config_entry*.go)", () => {
  const valid = { Sources: [{ Name: "web", Action: "allow" }] };
  const refuse = (kind: string, name: string, entry: unknown): string | undefined =>
    validateEntry(kind, name, JSON.stringify(entry))?.message;

  it("service-intentions: accepts a plain allow, refuses what validate refuses", () => {
    assert.equal(refuse("service-intentions", "db", valid), undefined);
    assert.equal(refuse("service-intentions", "db", { Sources: [] }), "At least one source is required");
    assert.equal(
      refuse("service-intentions", "db", { Sources: [{ Name: "web", Action: "maybe" }] }),
      "Sources[0].Action must be set to 'allow' or 'deny'",
    );
    assert.match(
      refuse("service-intentions", "db", { Sources: [{ Name: "we*", Action: "allow" }] })!,
      /partial values/,
    );
    assert.match(
      refuse("service-intentions", "db", { Sources: [{ Name: "web", Action: "allow", Type: "external" }] })!,
      /Type must be set to 'consul'/,
    );
    assert.match(
      refuse("service-intentions", "db", { Sources: [valid.Sources[0], valid.Sources[0]] })!,
      /more than once/,
    );
    // The same name from a peer is another source.
    assert.equal(
      refuse("service-intentions", "db", { Sources: [valid.Sources[0], { ...valid.Sources[0], Peer: "west" }] }),
      undefined,
    );
  });

  it("exported-services: name default, consumers required, no peer wildcard", () => {
    const exports = { Services: [{ Name: "db", Consumers: [{ Peer: "west" }] }] };
    assert.equal(refuse("exported-services", "default", exports), undefined);
    assert.match(refuse("exported-services", "other", exports)!, /must be "default"/);
    assert.match(
      refuse("exported-services", "default", { Services: [{ Name: "db", Consumers: [] }] })!,
      /at least one consumer/,
    );
    assert.match(
      refuse("exported-services", "default", { Services: [{ Name: "db", Consumers: [{ Peer: "*" }] }] })!,
      /wildcard/,
    );
  });

  it("service-resolver: Redirect.Peer without Redirect.Service is refused (issue 15 item 1)", () => {
    assert.equal(
      refuse("service-resolver", "db", { Redirect: { Peer: "west" } }),
      "Redirect.Peer defined without Redirect.Service",
    );
    assert.equal(refuse("service-resolver", "db", { Redirect: { Peer: "west", Service: "db" } }), undefined);
  });

  it("unknown kinds, bad names of singletons, and JSON that does not parse", () => {
    assert.match(refuse("service-defualts", "db", {})!, /invalid config entry kind/);
    assert.match(refuse("proxy-defaults", "db", {})!, /only "global"/);
    assert.match(validateEntry("mesh", "mesh", "{")!.message, /failed to unmarshal/);
  });
});

describe("simulated Consul: what the provider reads back", () => {
  function entry(kind: string, name: string, config: unknown): RecordedResource {
    const inputs = { kind, name, configJson: JSON.stringify(config) };
    return recordedResource("consul:index/configEntry:ConfigEntry", name, inputs, `urn:x::${name}`);
  }
  const read = consulReadBack["consul:index/configEntry:ConfigEntry"]!;
  const deployment = { resources: [], outputsOf: () => undefined };

  it("Consul's precedence: exact→exact 9, *→exact 8, exact→* 6, *→* 5 (computeIntentionPrecedence)", () => {
    assert.deepEqual(
      [
        consulIntentionPrecedence("db", "web"),
        consulIntentionPrecedence("db", "*"),
        consulIntentionPrecedence("*", "web"),
        consulIntentionPrecedence("*", "*"),
      ],
      [9, 8, 6, 5],
    );
  });

  it("intentions: Consul adds Precedence and Type and sorts by precedence, so a bare entry diffs", () => {
    const bare = entry("service-intentions", "db", {
      Sources: [
        { Name: "*", Action: "deny" },
        { Name: "web", Action: "allow" },
      ],
    });
    const stored = storedEntry(
      "service-intentions",
      "db",
      JSON.parse(String(bare.inputs.configJson)) as Record<string, unknown>,
    );
    assert.deepEqual(stored.Sources, [
      { Name: "web", Action: "allow", Type: "consul", Precedence: 9 },
      { Name: "*", Action: "deny", Type: "consul", Precedence: 8 },
    ]);
    assert.notEqual(read(bare, deployment).configJson, bare.inputs.configJson);
    // Declared the way Consul stores it (any key order), diffConfigJSON suppresses the diff.
    const full = entry("service-intentions", "db", {
      Sources: [
        { Precedence: 9, Name: "web", Action: "allow", Type: "consul" },
        { Name: "*", Action: "deny", Type: "consul", Precedence: 8 },
      ],
    });
    assert.equal(read(full, deployment).configJson, full.inputs.configJson);
  });

  it("the program writes Consul's precedence for every combination of exact and wildcard", () => {
    for (const [destination, source] of [
      ["db", "web"],
      ["db", "*"],
      ["*", "web"],
      ["*", "*"],
    ] as const) {
      assert.equal(intentionPrecedence(destination, source), consulIntentionPrecedence(destination, source));
    }
  });

  it("ForceNew as the provider schemas say: a new node or service ID replaces a registration, new checks update it", () => {
    const service = { urn: "u", type: "consul:index/service:Service", name: "s" };
    assert.equal(classifyChange([consulSystem], service, ["node"])?.action, "replace");
    assert.equal(classifyChange([consulSystem], service, ["serviceId"])?.action, "replace");
    assert.equal(classifyChange([consulSystem], service, ["checks", "port"])?.action, "update");
    const entry = { urn: "e", type: "consul:index/configEntry:ConfigEntry", name: "e" };
    assert.equal(classifyChange([consulSystem], entry, ["configJson"])?.action, "update");
    assert.equal(classifyChange([consulSystem], entry, ["kind"])?.action, "replace");
  });

  it("exported-services come back as written", () => {
    const exports = entry("exported-services", "default", {
      Services: [{ Name: "db", Consumers: [{ Peer: "west" }] }],
    });
    assert.equal(read(exports, deployment).configJson, exports.inputs.configJson);
  });
});
