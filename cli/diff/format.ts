/** The mesh diff as Markdown (for a pull-request comment) and as JSON. */
import { diffLines, type MeshDiff } from "./meshDiff";

/** GitHub refuses comments over 65,536 characters; the patches are cut well before that. */
const PATCH_BUDGET = 40_000;
const PATCH_LINES = 150;

function fence(language: string, text: string): string {
  // A patch may itself hold ``` (a YAML block with Markdown); a longer fence cannot be closed by it.
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const marks = "`".repeat(longest + 1);
  return `${marks}${language}\n${text.replace(/\n$/, "")}\n${marks}`;
}

function cut(patch: string): string {
  const lines = patch.split("\n");
  if (lines.length <= PATCH_LINES) return patch;
  return `${lines.slice(0, PATCH_LINES).join("\n")}\n… ${lines.length - PATCH_LINES} more lines (see the render artifact)\n`;
}

export function meshDiffMarkdown(diff: MeshDiff): string {
  const lines = diffLines(diff);
  const out = [`### Mesh diff`, "", `\`${diff.base}\` → \`${diff.head}\``, ""];
  if (lines.length === 0) {
    out.push("No change to the mesh: same services, instances, allowed edges, Envoy files, certificates and policy.");
    return `${out.join("\n")}\n`;
  }
  const count = (n: number, what: string): string => `${n} ${what}`;
  out.push(
    [
      count(diff.services.added.length + diff.services.removed.length, "services"),
      count(diff.instances.added.length + diff.instances.removed.length, "instances"),
      count(diff.edges.added.length + diff.edges.removed.length, "allowed edges"),
      count(
        diff.envoyFiles.added.length + diff.envoyFiles.removed.length + diff.envoyFiles.changed.length,
        "Envoy files",
      ),
      count(diff.certificates.reissued.length, "certificates reissued"),
      count(diff.restarts.length, "restarts"),
      count(diff.policy.new.length, "new violations"),
      count(diff.policy.resolved.length, "resolved"),
    ].join(" · "),
    "",
    fence("diff", lines.join("\n")),
  );
  let budget = PATCH_BUDGET;
  for (const file of diff.envoyFiles.changed) {
    const patch = cut(file.patch);
    if (patch.length > budget) {
      out.push("", `… patches of further Envoy files are in the render artifact.`);
      break;
    }
    budget -= patch.length;
    out.push("", `<details><summary><code>${file.path}</code></summary>`, "", fence("diff", patch), "", "</details>");
  }
  return `${out.join("\n")}\n`;
}

export function meshDiffJson(diff: MeshDiff): string {
  return `${JSON.stringify(diff, null, 2)}\n`;
}
