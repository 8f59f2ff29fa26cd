/** Locale-independent ordering, so output never depends on the machine it was made on. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
