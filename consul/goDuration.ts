/**
 * Durations as Go's `time.Duration.String()` prints them (go/src/time/time.go): the Consul provider reads every check
 * duration back that way (`check.Definition.Interval.String()` in hashicorp/terraform-provider-consul
 * consul/resource_consul_service.go), so declaring `60s` would read back as `1m0s` and diff on every `up`.
 */

/** Whole seconds as Go prints them: `0s`, `30s`, `1m0s`, `1h2m3s`. */
export function goDurationSeconds(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0) throw new Error(`not a whole number of seconds: ${seconds}`);
  if (seconds === 0) return "0s";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
