/**
 * Lists the top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`).
 * `node --import tsx bench/profile.ts <file.cpuprofile> [count]`
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

function label(frame: CallFrame): string {
  const where = frame.url ? `${frame.url.split("/").slice(-2).join("/")}:${frame.lineNumber + 1}` : "";
  return `${frame.functionName || "(anonymous)"} ${where}`.trim();
}

/** Self time per function (by name and location), largest first. */
export function topSelfTime(profile: CpuProfile, count = 25): { totalMs: number; top: SelfTime[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    if (node) self.set(label(node.callFrame), (self.get(label(node.callFrame)) ?? 0) + delta);
  });
  const top = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, ms: us / 1000, share: total === 0 ? 0 : us / total }));
  return { totalMs: total / 1000, top };
}

if (require.main === module) {
  const [file, count] = process.argv.slice(2);
  if (!file) {
    console.error("usage: bench/profile.ts <file.cpuprofile> [count]");
    process.exit(2);
  }
  const { totalMs, top } = topSelfTime(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, Number(count ?? 25));
  console.log(`total ${totalMs.toFixed(0)} ms`);
  for (const t of top) {
    console.log(
      `${t.ms.toFixed(1).padStart(9)} ms ${(t.share * 100).toFixed(1).padStart(5)}%  ${t.name.slice(0, 140)}`,
    );
  }
}
