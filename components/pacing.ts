/**
 * Declaring a big mesh in batches.
 *
 * The SDK keeps every resource's registration machinery (outputs, promises, serialized inputs) alive until its
 * registration finishes, so a program that declares 13,000 resources in one synchronous sweep holds all of them at
 * once: gigabytes under mocks, where registrations finish only after the sweep. The components that declare one
 * resource (or a few) per service therefore declare them in batches and call a `Pace` between batches.
 *
 * `pulumi up` and `pulumi preview` pass no pace: every batch follows the last with no wait, the way it always did.
 * The offline render passes one that waits until the registrations so far have finished, which bounds memory by the
 * batch size. Pacing never changes what is declared (the same names, inputs, parents and dependencies), only when.
 */

/** Called between batches of declarations. */
export type Pace = () => Promise<void>;

/** Per batch: small enough that a batch's registrations stay tens of megabytes under mocks. */
export const BATCH_SIZE = {
  /**
   * Sidecars, each with its certificate (three tls resources) and its containers or Kubernetes objects. Measured at
   * 1,000 services under mocks: 2 per batch peaked at ~0.7 GB RSS in 40–41 s, 5 per batch at ~1.0 GB in 43 s.
   */
  sidecars: 2,
} as const;

/**
 * Calls `declare` for every item in order, awaiting `pace` after every `batchSize` items (not after the last). With
 * no pace it never awaits, so the whole loop runs synchronously, before this function returns its promise.
 */
export async function declareInBatches<T>(
  items: readonly T[],
  batchSize: number,
  pace: Pace | undefined,
  declare: (item: T) => void,
): Promise<void> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be ≥ 1, got ${batchSize}`);
  for (let i = 0; i < items.length; i++) {
    declare(items[i]!);
    if (pace && (i + 1) % batchSize === 0 && i + 1 < items.length) await pace();
  }
}
