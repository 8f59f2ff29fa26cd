/**
 * Go's `time.ParseDuration` and `time.Duration.String` (go/src/time/format.go, time.go), which the Consul provider
 * uses between what it is given and what it reads back (hashicorp/terraform-provider-consul
 * consul/resource_consul_service.go: `time.ParseDuration` on write, `Definition.Interval.String()` on read).
 * Nanoseconds as a bigint, so no precision is lost.
 */

const UNIT_NANOS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

export class GoDurationError extends Error {}

/** `time.ParseDuration`: `1m30s`, `1.5h`, `300ms`, `0`. Throws Go's message on bad input. */
export function parseGoDuration(text: string): bigint {
  const invalid = (): GoDurationError => new GoDurationError(`time: invalid duration ${JSON.stringify(text)}`);
  let rest = text;
  let negative = false;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    negative = rest.startsWith("-");
    rest = rest.slice(1);
  }
  if (rest === "0") return 0n;
  if (rest === "") throw invalid();
  let total = 0n;
  const part = /^(\d*)(?:\.(\d*))?([^\d.]+)/;
  while (rest !== "") {
    const m = part.exec(rest);
    if (!m || (m[1] === "" && (m[2] ?? "") === "")) throw invalid();
    const unit = UNIT_NANOS[m[3]!];
    if (unit === undefined) {
      throw new GoDurationError(`time: unknown unit ${JSON.stringify(m[3])} in duration ${JSON.stringify(text)}`);
    }
    const whole = BigInt(m[1] || "0") * unit;
    const fraction = m[2] ?? "";
    const fractional = fraction === "" ? 0n : (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length);
    total += whole + fractional;
    rest = rest.slice(m[0].length);
  }
  return negative ? -total : total;
}

/** `fmtFrac`: the fraction of `v` with `precision` digits, trailing zeros dropped. */
function fraction(v: bigint, precision: number): { text: string; rest: bigint } {
  let digits = "";
  let print = false;
  let value = v;
  for (let i = 0; i < precision; i++) {
    const digit = value % 10n;
    print ||= digit !== 0n;
    if (print) digits = `${digit}${digits}`;
    value /= 10n;
  }
  return { text: print ? `.${digits}` : "", rest: value };
}

/** `time.Duration.String`: `1m0s`, `1h0m0s`, `1.5s`, `250ms`, `0s`. */
export function goDurationString(nanos: bigint): string {
  if (nanos === 0n) return "0s";
  const sign = nanos < 0n ? "-" : "";
  const u = nanos < 0n ? -nanos : nanos;
  if (u < 1_000_000_000n) {
    if (u < 1_000n) return `${sign}${u}ns`;
    const [precision, unit] = u < 1_000_000n ? [3, "µs"] : [6, "ms"];
    const { text, rest } = fraction(u, precision);
    return `${sign}${rest}${text}${unit}`;
  }
  const { text, rest: seconds } = fraction(u, 9);
  if (seconds < 60n) return `${sign}${seconds}${text}s`;
  const minutes = seconds / 60n;
  const s = `${seconds % 60n}${text}s`;
  if (minutes < 60n) return `${sign}${minutes}m${s}`;
  return `${sign}${minutes / 60n}h${minutes % 60n}m${s}`;
}

/** What the provider stores for a duration it was given: parsed by Go, printed by Go. */
export function goDurationRoundTrip(text: string): string {
  return goDurationString(parseGoDuration(text));
}
