/** Timing, memory and formatting helpers for the benchmark. No Pulumi, no mesh knowledge. */

/** Runs a full collection when node was started with --expose-gc (npm run bench does), so timings start clean. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
}

export interface Timed<T> {
  readonly ms: number;
  readonly value: T;
}

export function timeSync<T>(fn: () => T): Timed<T> {
  collectGarbage();
  const start = performance.now();
  const value = fn();
  return { ms: performance.now() - start, value };
}

export async function timeAsync<T>(fn: () => Promise<T>): Promise<Timed<T>> {
  collectGarbage();
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/** Runs `fn` `runs` times and keeps every duration; the value is the last run's. */
export function repeatSync<T>(runs: number, fn: () => T): { readonly runsMs: number[]; readonly value: T } {
  const runsMs: number[] = [];
  let value: T | undefined;
  for (let i = 0; i < Math.max(1, runs); i++) {
    const timed = timeSync(fn);
    runsMs.push(timed.ms);
    value = timed.value;
  }
  return { runsMs, value: value as T };
}

export const MB = 1024 * 1024;

/** The process's peak resident set so far, in MB (the kernel's high-water mark). */
export function peakRssMb(): number {
  // resourceUsage().maxRSS is in kilobytes.
  return process.resourceUsage().maxRSS / 1024;
}

/**
 * Samples `process.memoryUsage.rss()` on a timer, for the peak of one phase (the kernel's maxRSS only ever grows
 * over the whole process). Synchronous work blocks the timer, so `sample()` is also called at phase boundaries.
 */
export class RssSampler {
  private peak = 0;
  private timer: NodeJS.Timeout | undefined;

  start(intervalMs = 20): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    return this;
  }

  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
  }

  /** Stops sampling and returns the peak in MB. */
  stop(): number {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return this.peak / MB;
  }
}

export function min(values: readonly number[]): number {
  return values.length === 0 ? NaN : Math.min(...values);
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

export function max(values: readonly number[]): number {
  return values.reduce((a, b) => Math.max(a, b), values.length === 0 ? NaN : -Infinity);
}

/** `1234567` → `1.23 MB`, `2345` → `2.3 KB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "n/a";
  if (bytes >= MB) return `${(bytes / MB).toFixed(2)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} B`;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "n/a";
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function formatNumber(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

/** A plain-text table: the first column left-aligned, the others right-aligned. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
