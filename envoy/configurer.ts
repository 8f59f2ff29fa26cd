/**
 * Kuma-style configurers: each changes one concern of one Envoy object. A configurer whose input turns it off is a
 * no-op, so builders take them unconditionally and call sites read as a flat list of concerns.
 */
export type Configurer<T> = (target: T) => void;

export const noop = (): void => undefined;

/** Applies `configurer` only when `condition` holds; keeps call sites flat. */
export function configureIf<T>(condition: boolean, configurer: Configurer<T>): Configurer<T> {
  return condition ? configurer : noop;
}

export function applyAll<T>(target: T, configurers: readonly Configurer<T>[]): T {
  for (const configure of configurers) configure(target);
  return target;
}
