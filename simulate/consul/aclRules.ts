/**
 * Consul ACL policies and their evaluation (hashicorp/consul acl/policy.go, acl/policy_authorizer.go,
 * acl/policy_merger.go): a token's policies are merged, a segment rule is found by exact name first and then by
 * the longest matching prefix, `write` implies `read`, and anything no rule covers falls to the default policy,
 * which the agent config sets to deny.
 *
 * Rules are read from the HCL the program writes. The parser accepts exactly the two forms Consul documents for
 * these resources, `kind "segment" { policy = "x" }` and `kind = "x"`, and refuses anything else, as Consul's
 * `NewPolicyFromSource` refuses what it cannot parse.
 */

export type Access = "deny" | "list" | "read" | "write";

/** Resources scoped by a name (a segment); each also has a `_prefix` form. */
export const SEGMENT_RESOURCES = ["agent", "event", "key", "node", "query", "service", "session"] as const;
export type SegmentResource = (typeof SEGMENT_RESOURCES)[number];
/** Resources with a single level and no segment. */
export const SCALAR_RESOURCES = ["acl", "keyring", "mesh", "operator", "peering"] as const;
export type ScalarResource = (typeof SCALAR_RESOURCES)[number];

export interface SegmentRule {
  readonly resource: SegmentResource;
  readonly segment: string;
  readonly prefix: boolean;
  readonly access: Access;
  /**
   * A service rule's `intentions` (acl/policy.go ServiceRule.Intentions). Unset, Consul derives it from the
   * policy: read for `read` and `write`, deny otherwise (acl/policy.go, ServiceRule's default).
   */
  readonly intentions?: Access;
}

export interface AclPolicyRules {
  readonly segments: readonly SegmentRule[];
  readonly scalars: Readonly<Partial<Record<ScalarResource, Access>>>;
}

export class AclRulesError extends Error {}

const ACCESS: readonly Access[] = ["deny", "list", "read", "write"];

function access(text: string, line: number): Access {
  if ((ACCESS as readonly string[]).includes(text)) return text as Access;
  throw new AclRulesError(`Failed to parse ACL rules: line ${line}: invalid policy ${JSON.stringify(text)}`);
}

/** Parses policy rules; throws `AclRulesError` with Consul's wording on anything it does not understand. */
export function parseAclRules(text: string): AclPolicyRules {
  const segments: SegmentRule[] = [];
  const scalars: Partial<Record<ScalarResource, Access>> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const block = /^([a-z_]+) "((?:[^"\\]|\\.)*)" \{$/.exec(line);
    if (block) {
      const [kind, segment] = [block[1]!, JSON.parse(`"${block[2]!}"`) as string];
      const body = /^policy = "([a-z]+)"$/.exec(lines[i + 1]?.trim() ?? "");
      const intentions = /^intentions = "([a-z]+)"$/.exec(lines[i + 2]?.trim() ?? "");
      const close = i + (intentions ? 3 : 2);
      if (!body || lines[close]?.trim() !== "}") {
        throw new AclRulesError(`Failed to parse ACL rules: line ${i + 1}: expected one policy in the block`);
      }
      const prefix = kind.endsWith("_prefix");
      const resource = prefix ? kind.slice(0, -"_prefix".length) : kind;
      if (!(SEGMENT_RESOURCES as readonly string[]).includes(resource)) {
        throw new AclRulesError(`Failed to parse ACL rules: line ${i + 1}: unknown resource ${JSON.stringify(kind)}`);
      }
      if (intentions && resource !== "service") {
        throw new AclRulesError(`Failed to parse ACL rules: line ${i + 3}: intentions apply to service rules only`);
      }
      segments.push({
        resource: resource as SegmentResource,
        segment,
        prefix,
        access: access(body[1]!, i + 2),
        ...(intentions ? { intentions: access(intentions[1]!, i + 3) } : {}),
      });
      i = close;
      continue;
    }
    const scalar = /^([a-z_]+) = "([a-z]+)"$/.exec(line);
    if (scalar && (SCALAR_RESOURCES as readonly string[]).includes(scalar[1]!)) {
      scalars[scalar[1] as ScalarResource] = access(scalar[2]!, i + 1);
      continue;
    }
    throw new AclRulesError(`Failed to parse ACL rules: line ${i + 1}: ${JSON.stringify(line)}`);
  }
  return { segments, scalars };
}

/** The permission an API call needs, as Consul names it in a denial (`service:write`). */
export type Permission =
  | { readonly resource: SegmentResource; readonly segment: string; readonly level: "read" | "write" }
  | { readonly resource: ScalarResource; readonly level: "read" | "write" }
  /** Intentions are granted by a `service` rule's `intentions` field (acl/policy_authorizer.go, IntentionRead/Write). */
  | { readonly resource: "intention"; readonly segment: string; readonly level: "read" | "write" };

/** What a token holds: the management token, or the merged rules of its policies. */
export type TokenAuthority =
  { readonly kind: "management" } | { readonly kind: "policies"; readonly policies: readonly AclPolicyRules[] };

/** Deny beats write beats read beats list when two policies of one token name the same rule (policy_merger.go). */
function stronger(a: Access, b: Access): Access {
  const rank: Record<Access, number> = { list: 0, read: 1, write: 2, deny: 3 };
  return rank[a] >= rank[b] ? a : b;
}

function grants(held: Access | undefined, level: "read" | "write"): boolean {
  if (held === undefined || held === "deny") return false;
  return level === "read" ? held === "read" || held === "write" : held === "write";
}

/** A service rule's intentions access, explicit or derived from its policy (acl/policy.go). */
function intentionsOf(rule: SegmentRule): Access {
  if (rule.intentions !== undefined) return rule.intentions;
  return rule.access === "read" || rule.access === "write" ? "read" : "deny";
}

/** The access a token's policies give on a segment resource: exact rule, else longest prefix, else none. */
export function segmentAccess(
  policies: readonly AclPolicyRules[],
  resource: SegmentResource,
  segment: string,
  field: (rule: SegmentRule) => Access = (r) => r.access,
): Access | undefined {
  const rules = policies.flatMap((p) => p.segments.filter((r) => r.resource === resource));
  const exact = rules.filter((r) => !r.prefix && r.segment === segment);
  if (exact.length > 0) return exact.map(field).reduce(stronger);
  const prefixes = rules.filter((r) => r.prefix && segment.startsWith(r.segment));
  if (prefixes.length === 0) return undefined;
  const longest = Math.max(...prefixes.map((r) => r.segment.length));
  return prefixes
    .filter((r) => r.segment.length === longest)
    .map(field)
    .reduce(stronger);
}

/** Whether the token may do what `permission` names, under `default_policy = "deny"`. */
export function allowed(authority: TokenAuthority, permission: Permission): boolean {
  if (authority.kind === "management") return true;
  if (permission.resource === "intention") {
    return grants(segmentAccess(authority.policies, "service", permission.segment, intentionsOf), permission.level);
  }
  if ("segment" in permission) {
    return grants(segmentAccess(authority.policies, permission.resource, permission.segment), permission.level);
  }
  const held = authority.policies
    .map((p) => p.scalars[permission.resource])
    .filter((a): a is Access => a !== undefined);
  return grants(held.length > 0 ? held.reduce(stronger) : undefined, permission.level);
}

/** Consul's denial (acl/errors.go, `PermissionDeniedError`). */
export function permissionDenied(accessor: string, permission: Permission): string {
  const on = "segment" in permission ? ` on ${JSON.stringify(permission.segment)}` : "";
  return `Permission denied: token with AccessorID '${accessor}' lacks permission '${permission.resource}:${permission.level}'${on}`;
}
