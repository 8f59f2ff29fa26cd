/**
 * A split mesh: the same model deployed as several stacks instead of one (docs/split-stacks.md).
 *
 * - `<env>-root`: the root CA; signs each cluster's intermediate CSR.
 * - `<env>-<cluster>`: everything of one cluster, with the cluster's intermediate key (never leaves this stack).
 * - `<env>-peering-<a>-<b>`: the Consul peering between two clusters.
 *
 * The mesh model stays in one place, `lucid-mesh:mesh` of `Pulumi.<env>.yaml`; each part's stack file holds only
 * `lucid-mesh:part`, naming that file and its role. Pure: no Pulumi, no file system.
 */
import type { Mesh } from "./mesh";
import { didYouMean, MeshConfigError, type ConfigProblem } from "./validate";

export const PART_CONFIG_KEY = "lucid-mesh:part";

export type StackPart =
  | { readonly role: "root" }
  | { readonly role: "cluster"; readonly cluster: string }
  | { readonly role: "peering"; readonly clusters: readonly [string, string] };

/** `lucid-mesh:part` as written in a part's stack file. */
export interface PartConfig {
  /** The environment whose `Pulumi.<env>.yaml` holds the shared `lucid-mesh:mesh`. */
  readonly mesh: string;
  readonly part: StackPart;
}

/** A stack of a split mesh: its name and what it declares. */
export interface SplitStack {
  readonly stack: string;
  readonly part: StackPart;
}

/** Stack names of the parts of env's mesh (clusters and pairs in name order). */
export function rootStackName(env: string): string {
  return `${env}-root`;
}
export function clusterStackName(env: string, cluster: string): string {
  return `${env}-${cluster}`;
}
export function peeringStackName(env: string, a: string, b: string): string {
  const [first, second] = [a, b].sort();
  return `${env}-peering-${first}-${second}`;
}

function sortedClusterNames(mesh: Mesh): string[] {
  return mesh.clusters.map((c) => c.name).sort();
}

/** Every stack a split of `mesh` needs: the root, one per cluster, one per pair of clusters. */
export function splitStacks(env: string, mesh: Mesh): SplitStack[] {
  const clusters = sortedClusterNames(mesh);
  const pairs = clusters.flatMap((a, i) => clusters.slice(i + 1).map((b): [string, string] => [a, b]));
  return [
    { stack: rootStackName(env), part: { role: "root" } },
    ...clusters.map((cluster): SplitStack => ({
      stack: clusterStackName(env, cluster),
      part: { role: "cluster", cluster },
    })),
    ...pairs.map(([a, b]): SplitStack => ({
      stack: peeringStackName(env, a, b),
      part: { role: "peering", clusters: [a, b] },
    })),
  ];
}

/** What a split refuses before anything runs: names that collide, and what a split cannot carry yet. */
export function splitProblems(env: string, mesh: Mesh): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, string>();
  for (const s of splitStacks(env, mesh)) {
    const owner = describePart(s.part);
    const other = seen.get(s.stack);
    if (other) {
      problems.push({
        path: "clusters",
        message: `the split stack name ${s.stack} would hold both ${other} and ${owner}`,
        fix: "rename the cluster: a split mesh names its stacks <env>-root, <env>-<cluster> and <env>-peering-<a>-<b>",
      });
    }
    seen.set(s.stack, owner);
  }
  if (mesh.observability.prometheus) {
    problems.push({
      path: "observability.prometheus",
      message:
        "the mesh-wide Prometheus scrapes every cluster with each cluster's token, so no part of a split mesh can hold it",
      fix: "set observability.prometheus: false for a split mesh, or deploy it as one stack",
    });
  }
  return problems;
}

export function describePart(part: StackPart): string {
  if (part.role === "root") return "the root CA";
  if (part.role === "cluster") return `cluster ${part.cluster}`;
  return `the peering of ${part.clusters[0]} and ${part.clusters[1]}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const ENV_NAME = /^[a-z0-9][a-z0-9_.-]*$/i;

/**
 * Reads `lucid-mesh:part` (the shape only; `checkPart` checks it against the mesh). Throws one MeshConfigError
 * listing every problem, with its path and the fix.
 */
export function parsePartConfig(raw: unknown, source = PART_CONFIG_KEY): PartConfig {
  const fail = (problems: ConfigProblem[]): never => {
    throw new MeshConfigError(problems, source);
  };
  const example = "mesh: dev, role: cluster, cluster: east";
  if (!isRecord(raw)) {
    return fail([{ path: "(root)", message: "must be a mapping", fix: `write it as { ${example} }` }]);
  }
  const problems: ConfigProblem[] = [];
  const known = ["mesh", "role", "cluster", "clusters"];
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) {
      const suggestion = didYouMean(key, known);
      problems.push({
        path: key,
        message: `unknown key "${key}"${suggestion ? `. Did you mean "${suggestion}"?` : ""}`,
        fix: `remove it; the keys are ${known.join(", ")}`,
      });
    }
  }
  const mesh = raw.mesh;
  if (typeof mesh !== "string" || !ENV_NAME.test(mesh)) {
    problems.push({
      path: "mesh",
      message: mesh === undefined ? "required" : `${JSON.stringify(mesh)} is not an environment name`,
      fix: "name the environment whose Pulumi.<env>.yaml holds lucid-mesh:mesh, such as dev",
    });
  }
  const role = raw.role;
  let part: StackPart | undefined;
  if (role === "root") {
    if (raw.cluster !== undefined || raw.clusters !== undefined) {
      problems.push({ path: "role", message: "the root holds no cluster", fix: "remove cluster/clusters" });
    }
    part = { role: "root" };
  } else if (role === "cluster") {
    if (typeof raw.cluster !== "string" || raw.cluster === "") {
      problems.push({ path: "cluster", message: "required for role cluster", fix: "name the cluster, such as east" });
    } else part = { role: "cluster", cluster: raw.cluster };
  } else if (role === "peering") {
    const pair = raw.clusters;
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((c) => typeof c === "string") || pair[0] === pair[1]) {
      problems.push({
        path: "clusters",
        message: "required for role peering: two different cluster names",
        fix: "write clusters: [east, west]",
      });
    } else {
      const [a, b] = [...(pair as string[])].sort() as [string, string];
      part = { role: "peering", clusters: [a, b] };
    }
  } else {
    problems.push({
      path: "role",
      message: role === undefined ? "required" : `unknown role ${JSON.stringify(role)}`,
      fix: 'use one of "root", "cluster", "peering"',
    });
  }
  if (problems.length > 0 || part === undefined) return fail(problems);
  return { mesh: mesh as string, part };
}

/**
 * Checks a part against the mesh it belongs to and the stack it runs as: its clusters exist, the mesh can be split,
 * and the stack has the name the other parts' StackReferences use.
 */
export function checkPart(config: PartConfig, mesh: Mesh, stack: string, source = PART_CONFIG_KEY): void {
  const names = sortedClusterNames(mesh);
  const problems: ConfigProblem[] = [];
  const checkCluster = (path: string, name: string): void => {
    if (names.includes(name)) return;
    const suggestion = didYouMean(name, names);
    problems.push({
      path,
      message: `unknown cluster "${name}" in mesh ${config.mesh}${suggestion ? `. Did you mean "${suggestion}"?` : ""}`,
      fix: `name a cluster of Pulumi.${config.mesh}.yaml: ${names.join(", ")}`,
    });
  };
  if (config.part.role === "cluster") checkCluster("cluster", config.part.cluster);
  if (config.part.role === "peering") config.part.clusters.forEach((c, i) => checkCluster(`clusters[${i}]`, c));
  const expected = stackNameOf(config.mesh, config.part);
  if (problems.length === 0 && expected !== stack) {
    problems.push({
      path: "(root)",
      message: `stack ${stack} declares ${describePart(config.part)}, which the other stacks of mesh ${config.mesh} reference as ${expected}`,
      fix: `deploy it as stack ${expected} (Pulumi.${expected}.yaml), or change role/cluster to what ${stack} should hold`,
    });
  }
  problems.push(
    ...splitProblems(config.mesh, mesh).map((p) => ({ ...p, path: `(Pulumi.${config.mesh}.yaml) ${p.path}` })),
  );
  if (problems.length > 0) throw new MeshConfigError(problems, source);
}

/** The stack a part should be deployed as, to check a stack file's name against what it declares. */
export function stackNameOf(env: string, part: StackPart): string {
  if (part.role === "root") return rootStackName(env);
  if (part.role === "cluster") return clusterStackName(env, part.cluster);
  return peeringStackName(env, part.clusters[0], part.clusters[1]);
}

/** Stack outputs the parts read from each other. */
export const SPLIT_OUTPUT_NAMES = {
  /** Root: the root certificate (public). */
  rootCertPem: "rootCertPem",
  /** Root: `{ [cluster]: { certPem, csrPem } }`, each intermediate and the CSR it was signed from (public). */
  intermediates: "intermediates",
  /** Root: the shared Docker WAN network's name, when the mesh has Docker clusters. */
  dockerWanNetwork: "dockerWanNetwork",
  /** Cluster: its intermediate CSR (public; the key stays in the stack). */
  intermediateCsrPem: "intermediateCsrPem",
  /** Cluster: whether it still waits for the root's signature (then it declares only the key and CSR). */
  awaitingSignature: "awaitingSignature",
  /** Cluster: `{ address, datacenter, caPem }`, how the peering stacks reach its Consul (public). */
  consulApi: "consulApi",
  /** Cluster: the Consul management token the peering stacks use (a secret output). */
  consulToken: "consulToken",
} as const;
