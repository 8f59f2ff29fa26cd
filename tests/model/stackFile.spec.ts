/**
 * Issue 20 items 3 and 4: the work a stack file causes is bounded (bytes, aliases, depth, expanded values), and a
 * file that is not UTF-8 is refused with the offset of its first bad byte instead of being read with U+FFFD.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { firstInvalidUtf8Offset, readStackFile, STACK_FILE_LIMITS, StackFileError } from "../../model/stackFile";
import { PROJECT_DIR } from "../helpers/stacks";

/**
 * The reference: UTF-8 is prefix-free, so the first invalid sequence starts where the longest prefix that a fatal
 * decoder accepts ends.
 */
function referenceOffset(bytes: Uint8Array): number | undefined {
  const decodes = (end: number): boolean => {
    try {
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(0, end));
      return true;
    } catch {
      return false;
    }
  };
  for (let end = bytes.length; end >= 0; end--) if (decodes(end)) return end === bytes.length ? undefined : end;
  return 0;
}

describe("model: reading a stack file", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lucid-stackfile-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: string | Buffer): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };
  const refused = (file: string, message: RegExp): void =>
    assert.throws(
      () => readStackFile(PROJECT_DIR, "dev", file),
      (e: unknown) => e instanceof StackFileError && message.test(e.message),
    );

  describe("UTF-8", () => {
    it("finds the first byte that is not UTF-8", () => {
      const cases: Array<[number[], number | undefined]> = [
        [[0x61, 0x62], undefined],
        [[0x61, 0xff], 1],
        [[0xc3, 0xa9, 0x80], 2], // é, then a lone continuation byte
        [[0x61, 0xe2, 0x82], 1], // € cut short at the end
        [[0x61, 0xe2, 0x82, 0x62], 1], // € cut short in the middle
        [[0xef, 0xbf, 0xbd, 0xff], 3], // a real U+FFFD, then a bad byte
        [[0xef, 0xbb, 0xbf, 0x61, 0xc0, 0xaf], 4], // BOM, then an overlong '/'
        [[0xed, 0xa0, 0x80], 0], // a UTF-16 surrogate
        [[0xf0, 0x9f, 0x98, 0x80, 0xf4, 0x90, 0x80, 0x80], 4], // 😀, then above U+10FFFF
      ];
      for (const [bytes, offset] of cases) {
        assert.equal(firstInvalidUtf8Offset(Uint8Array.from(bytes)), offset, JSON.stringify(bytes));
      }
    });

    it("agrees with a fatal decoder on random bytes", () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => {
          assert.equal(firstInvalidUtf8Offset(bytes), referenceOffset(bytes));
        }),
        { numRuns: 2000 },
      );
    });

    it("refuses a stack file that is not UTF-8, naming the offset", () => {
      const text = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"));
      const bytes = Buffer.concat([text.subarray(0, 100), Buffer.from([0xe9]), text.subarray(100)]);
      refused(
        write("latin1.yaml", bytes),
        /latin1\.yaml: not UTF-8: byte 0xe9 at offset 100 .*Fix: save the file as UTF-8/,
      );
    });
  });

  describe("bounds", () => {
    it("refuses a file larger than the limit without reading it", () => {
      const file = write("big.yaml", "");
      fs.truncateSync(file, STACK_FILE_LIMITS.maxBytes + 1);
      refused(file, new RegExp(`big\\.yaml is ${STACK_FILE_LIMITS.maxBytes + 1} bytes, more than the`));
    });

    it("refuses what is not a regular file, such as /dev/zero, without reading it", () => {
      refused("/dev/zero", /\/dev\/zero is not a regular file\. Fix: pass the stack file itself/);
      refused(dir, /is not a regular file/);
    });

    it("refuses more aliases than the limit (js-yaml maxAliases)", () => {
      const aliases = Array.from({ length: STACK_FILE_LIMITS.maxAliases + 1 }, () => "*a").join(", ");
      refused(write("aliases.yaml", `config:\n  a: &a 1\n  b: [${aliases}]\n`), /aliases exceeded maxAliases/);
    });

    it("refuses deeper nesting than the limit (js-yaml maxDepth)", () => {
      const deep = "[".repeat(STACK_FILE_LIMITS.maxDepth + 1) + "]".repeat(STACK_FILE_LIMITS.maxDepth + 1);
      refused(write("deep.yaml", `config:\n  a: ${deep}\n`), /nesting exceeded maxDepth/);
    });

    it("refuses a billion laughs within the alias limit, quickly", () => {
      const lines = ["config:", "  l0: &l0 [x, x, x, x, x, x, x, x, x, x]"];
      for (let i = 1; i <= 9; i++)
        lines.push(
          `  l${i}: &l${i} [${Array(10)
            .fill(`*l${i - 1}`)
            .join(", ")}]`,
        );
      const started = performance.now();
      refused(write("laughs.yaml", `${lines.join("\n")}\n`), /its aliases expand to more than 1000000 values/);
      assert.ok(performance.now() - started < 5000);
    });

    it("still reads the repo's stacks, and a few aliases", () => {
      assert.equal(readStackFile(PROJECT_DIR, "dev").stack, "dev");
      assert.equal(readStackFile(PROJECT_DIR, "prod").stack, "prod");
      const file = write("alias.yaml", "config:\n  a: &a { x: 1 }\n  b: *a\n");
      assert.deepEqual(readStackFile(PROJECT_DIR, "dev", file).config.b, { x: 1 });
    });
  });
});
