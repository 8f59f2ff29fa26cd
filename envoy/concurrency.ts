/**
 * Envoy's worker thread count. Without `--concurrency` Envoy starts one worker per hardware thread of the host
 * (source/server/options_impl.cc: `concurrency` defaults to std::thread::hardware_concurrency()), not per CPU of
 * the container's quota, so a 0.5-CPU sidecar on a 64-thread node would run 64 workers that the CFS quota throttles.
 */
export function envoyConcurrency(cpus: number): number {
  return Math.max(1, Math.ceil(cpus));
}
