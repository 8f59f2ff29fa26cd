/**
 * `cpus` on its way to dockerd and back. The provider parses the string with docker/cli's `opts.ParseCPUs`
 * (kreuzwerker/terraform-provider-docker internal/provider/resource_docker_container_funcs.go,
 * resourceDockerContainerCreate) and reads `HostConfig.NanoCPUs` back with `nanoInt64ToDecimalString`
 * (internal/provider/helpers.go). `cpus` is ForceNew, so any string that does not survive the round trip replaces
 * the container on every `up`.
 */

const NANO = 1_000_000_000n;

/** docker/cli opts/opts.go ParseCPUs: a decimal number of CPUs, as an integer number of nano-CPUs. */
export function parseCpus(value: string): bigint {
  const match = /^(\d*)(?:\.(\d*))?$/.exec(value.trim());
  if (!match || (match[1] === "" && (match[2] ?? "") === ""))
    throw new Error(`failed to parse ${value} as a rational number`);
  const whole = BigInt(match[1] || "0");
  const fraction = (match[2] ?? "").replace(/0+$/, "");
  if (fraction.length > 9) throw new Error("value is too precise");
  return whole * NANO + BigInt(fraction.padEnd(9, "0") || "0");
}

/** internal/provider/helpers.go nanoInt64ToDecimalString, quirks included (0.05 CPUs reads back as "0.1"). */
export function nanoToDecimalString(nano: bigint): string {
  if (nano === 0n) return "0";
  const whole = nano / NANO;
  const fraction = (nano % NANO).toString().padStart(9, "0");
  const nine = `${whole}.${fraction}`; // big.Rat FloatString(9)
  if ((nine.match(/0/g) ?? []).length === 9) {
    // big.Rat FloatString(1): rounds half away from zero to one decimal place.
    const tenths = (nano * 10n + NANO / 2n) / NANO;
    return `${tenths / 10n}.${tenths % 10n}`;
  }
  return nine.replace(/0+$/, "");
}

/** The string the provider reads back for a declared `cpus`: declare this and the second `up` is quiet. */
export function cpusAsReadBack(value: string): string {
  return nanoToDecimalString(parseCpus(value));
}

/** The `cpus` input for a number of CPUs: the provider's own read-back form, so the second `up` is quiet. */
export function dockerCpus(cpus: number): string {
  return cpusAsReadBack(String(cpus));
}
