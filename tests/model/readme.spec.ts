import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { schemaKeyPaths } from "../../model/schemaKeys";
import { PROJECT_DIR } from "../helpers/stacks";

describe("README: the stack config reference", () => {
  const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
  const section = readme.split("## Stack config reference")[1]?.split("\n## ")[0] ?? "";
  const documented = new Set([...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]));

  it("documents every key of the schema", () => {
    const keys = schemaKeyPaths();
    assert.ok(keys.length > 90, `expected the whole schema, got ${keys.length} keys`);
    assert.deepEqual(
      keys.filter((k) => !documented.has(k)),
      [],
    );
  });

  it("documents no key the schema does not have", () => {
    const keys = new Set(schemaKeyPaths());
    assert.deepEqual(
      [...documented].filter((k) => k !== undefined && !keys.has(k)),
      [],
    );
  });
});
