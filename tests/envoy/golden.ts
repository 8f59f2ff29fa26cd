/** Golden files: compared byte for byte, rewritten only with UPDATE_GOLDEN=1 (review the diff). */
import { strict as assert } from "assert";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import { dirname, join } from "path";

// Under golden/ so `prettier --check .` leaves the generator's exact bytes alone (.prettierignore).
export const TESTDATA = join(__dirname, "testdata", "golden");

export function assertGolden(relativePath: string, actual: string): void {
  const path = join(TESTDATA, relativePath);
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `missing golden ${relativePath}: run with UPDATE_GOLDEN=1 and review the diff`);
  assert.equal(
    actual,
    readFileSync(path, "utf8"),
    `${relativePath} differs from its golden (UPDATE_GOLDEN=1 rewrites it)`,
  );
}
