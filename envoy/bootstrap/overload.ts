/**
 * Overload protection, after Envoy's edge best practices: shed heap before the container's memory limit kills
 * the process, and cap downstream connections globally.
 */
import type { Configurer } from "../configurer";
import { extensionNames, typeUrls } from "../typeUrls";
import type { Any, Bootstrap } from "../types";

interface FixedHeapConfig extends Any {
  max_heap_size_bytes: number;
}

interface DownstreamConnectionsConfig extends Any {
  max_active_downstream_connections: number;
}

/** Envoy's RSS exceeds its heap (fragmentation, thread stacks), so the heap budget is a share of the container's. */
export const HEAP_SHARE_OF_MEMORY = 0.8;
export const MAX_DOWNSTREAM_CONNECTIONS = 50000;
/** Per-listener cap for the inbound listener, set through the static runtime layer. */
export const INBOUND_CONNECTION_LIMIT = 10000;

export function maxHeapBytes(memoryMb: number): number {
  return Math.floor(memoryMb * HEAP_SHARE_OF_MEMORY) * 1024 * 1024;
}

export function overloadManager(memoryMb: number): Configurer<Bootstrap> {
  return (bootstrap) => {
    const heap = extensionNames.fixedHeap;
    const heapConfig: FixedHeapConfig = { "@type": typeUrls.fixedHeap, max_heap_size_bytes: maxHeapBytes(memoryMb) };
    const connections: DownstreamConnectionsConfig = {
      "@type": typeUrls.downstreamConnections,
      max_active_downstream_connections: MAX_DOWNSTREAM_CONNECTIONS,
    };
    bootstrap.overload_manager = {
      refresh_interval: "0.250s",
      resource_monitors: [
        { name: heap, typed_config: heapConfig },
        { name: extensionNames.globalConnections, typed_config: connections },
      ],
      actions: [
        { name: "envoy.overload_actions.shrink_heap", triggers: [{ name: heap, threshold: { value: 0.95 } }] },
        {
          name: "envoy.overload_actions.stop_accepting_requests",
          triggers: [{ name: heap, threshold: { value: 0.98 } }],
        },
      ],
    };
  };
}

/**
 * A static layer plus an admin layer (so operators can flip runtime keys during an incident). The static layer
 * leaves out `overload.global_downstream_max_connections`: the resource monitor above replaces that key, and
 * Envoy ignores the key when both are set.
 */
export function layeredRuntime(listenerLimits: Readonly<Record<string, number>>): Configurer<Bootstrap> {
  return (bootstrap) => {
    const staticLayer = Object.fromEntries(
      Object.entries(listenerLimits).map(([listener, limit]) => [
        `envoy.resource_limits.listener.${listener}.connection_limit`,
        limit,
      ]),
    );
    bootstrap.layered_runtime = {
      layers: [
        { name: "static_layer_0", static_layer: staticLayer },
        { name: "admin_layer_0", admin_layer: {} },
      ],
    };
  };
}
