/** File-based xDS: a listener.yaml or cluster.yaml holds `{resources: [...]}`, each resource carrying its `@type`. */
import type { Any } from "./types";

export interface DiscoveryFile<T extends Any> {
  resources: T[];
}

export function discoveryFile<T extends Any>(resources: readonly T[]): DiscoveryFile<T> {
  return { resources: [...resources] };
}
