/**
 * Every workflow in .github/workflows/ passes GitHub's own workflow parser (@actions/workflow-parser, the schema the
 * Actions service and the VS Code extension use: github.com/actions/languageservices workflow-parser), and every
 * action is pinned by a full commit SHA.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type * as WorkflowParserModule from "@actions/workflow-parser";
import { load } from "js-yaml";
import { PROJECT_DIR } from "./helpers";

const WORKFLOWS = path.join(PROJECT_DIR, ".github", "workflows");

type WorkflowParser = typeof WorkflowParserModule;

/** The parser ships as ES modules only: a dynamic import() loads it from this CommonJS test. */
function loadParser(): Promise<WorkflowParser> {
  return import("@actions/workflow-parser");
}

/** What GitHub's parser reports for a workflow: schema errors, then conversion errors (jobs, needs, matrix). */
async function workflowErrors(parser: WorkflowParser, name: string, content: string): Promise<string[]> {
  const parsed = parser.parseWorkflow({ name, content }, new parser.NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (parsed.value === undefined) return errors.length > 0 ? errors : ["no workflow"];
  const template = await parser.convertWorkflowTemplate(parsed.context, parsed.value);
  return [...errors, ...(template.errors ?? []).map((e) => e.Message)];
}

/** Every `uses:` of every step, with the text after it on the line (the version comment). */
function usesLines(content: string): { uses: string; comment: string }[] {
  return [...content.matchAll(/^\s*(?:-\s+)?uses:\s*([^\s#]+)\s*(?:#\s*(.*))?$/gm)].map((m) => ({
    uses: m[1] ?? "",
    comment: m[2] ?? "",
  }));
}

/** A remote action pinned to a full commit: `owner/repo[/path]@<40 hex>`, with its version in a comment. */
function pinProblem(uses: string, comment: string): string | undefined {
  if (uses.startsWith("./") || uses.startsWith("docker://")) return undefined;
  if (!/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/.test(uses)) return `${uses} is not pinned to a 40-hex commit SHA`;
  if (!/^v\d+(\.\d+)*$/.test(comment)) return `${uses} has no version comment (# vX.Y.Z)`;
  return undefined;
}

const workflowFiles = fs
  .readdirSync(WORKFLOWS)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

describe("GitHub workflows (.github/workflows)", () => {
  let parser: WorkflowParser;
  before(async () => {
    parser = await loadParser();
  });

  it("has the offline gate, the preview and the renewal run", () => {
    assert.deepEqual(workflowFiles, ["certificate-renewal.yml", "pr-gate.yml", "pulumi-preview.yml"]);
  });

  for (const file of workflowFiles) {
    it(`${file} passes GitHub's workflow parser`, async () => {
      const content = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
      assert.deepEqual(await workflowErrors(parser, file, content), []);
    });

    it(`${file} pins every action by full commit SHA`, () => {
      const content = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
      const uses = usesLines(content);
      assert.ok(uses.length > 0, "no uses: found");
      assert.deepEqual(
        uses.map((u) => pinProblem(u.uses, u.comment)).filter((p) => p !== undefined),
        [],
      );
    });
  }

  it("the parser refuses what GitHub refuses: an unknown key, a job without runs-on, a needs: on no job", async () => {
    const bad = [
      "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stepz:\n      - run: echo\n",
      "on: pull_request\njobs:\n  a:\n    steps:\n      - run: echo\n",
      "on: pull_request\njobs:\n  a:\n    needs: nothing\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo\n",
    ];
    for (const content of bad) {
      const errors = await workflowErrors(parser, "bad.yml", content);
      assert.ok(errors.length > 0, `expected errors for:\n${content}`);
    }
    assert.deepEqual(
      await workflowErrors(
        parser,
        "good.yml",
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo\n",
      ),
      [],
    );
  });

  it("the pin check refuses a tag, a branch and a short SHA, and wants the version comment", () => {
    assert.match(pinProblem("actions/checkout@v7", "") ?? "", /not pinned/);
    assert.match(pinProblem("actions/checkout@main", "") ?? "", /not pinned/);
    assert.match(pinProblem("actions/checkout@3d3c42e", "v7.0.1") ?? "", /not pinned/);
    assert.match(pinProblem("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1", "") ?? "", /version comment/);
    assert.equal(pinProblem("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"), undefined);
  });

  it("the preview and renewal set PULUMI_BACKEND_URL (Pulumi.yaml's backend.url would win over a login)", () => {
    for (const file of ["pulumi-preview.yml", "certificate-renewal.yml"]) {
      const doc = load(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")) as {
        jobs: Record<string, { env?: Record<string, string> }>;
      };
      const jobs = Object.values(doc.jobs).filter((j) => j.env !== undefined);
      assert.ok(jobs.length > 0, file);
      for (const job of jobs) assert.equal(job.env?.PULUMI_BACKEND_URL, "${{ secrets.PULUMI_BACKEND_URL }}", file);
    }
  });

  it("the renewal run ups with --refresh, replaces what is still due, then previews with --expect-no-changes", () => {
    const doc = load(fs.readFileSync(path.join(WORKFLOWS, "certificate-renewal.yml"), "utf8")) as {
      jobs: { renew: { steps: { uses?: string; with?: Record<string, unknown> }[] } };
    };
    const pulumiSteps = doc.jobs.renew.steps.filter((s) => s.uses?.startsWith("pulumi/actions@")).map((s) => s.with);
    assert.deepEqual(
      pulumiSteps.map((w) => [w?.command, w?.refresh ?? w?.replace ?? w?.["expect-no-changes"]]),
      [
        ["up", true],
        ["up", "${{ steps.due.outputs.urns }}"],
        ["preview", true],
      ],
    );
  });
});
