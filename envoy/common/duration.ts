/**
 * A protobuf JSON Duration ("0.250s", "15s"). Proto3 JSON writes 0, 3, 6 or 9 fractional digits; we do the same
 * so the text reads the way Envoy echoes it back in config_dump.
 */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`duration: ${seconds} is not a non-negative number`);
  const totalNanos = Math.round(seconds * 1e9);
  const whole = Math.floor(totalNanos / 1e9);
  const nanos = totalNanos - whole * 1e9;
  if (nanos === 0) return `${whole}s`;
  const digits = nanos % 1e6 === 0 ? 3 : nanos % 1e3 === 0 ? 6 : 9;
  const fraction = String(nanos).padStart(9, "0").slice(0, digits);
  return `${whole}.${fraction}s`;
}
