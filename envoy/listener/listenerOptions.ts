/** Listener-level configurers: filter chains, buffer limits, listener filters. */
import type { Configurer } from "../configurer";
import { extensionNames, typeUrls } from "../typeUrls";
import type { FilterChain, Listener } from "../types";

/** Edge best practice: bound per-connection buffering so a slow peer cannot pin memory. */
export const CONNECTION_BUFFER_LIMIT_BYTES = 32768;

export function filterChains(...chains: FilterChain[]): Configurer<Listener> {
  return (listener) => {
    listener.filter_chains.push(...chains);
  };
}

export function bufferLimit(bytes = CONNECTION_BUFFER_LIMIT_BYTES): Configurer<Listener> {
  return (listener) => {
    listener.per_connection_buffer_limit_bytes = bytes;
  };
}

/** The gateway reads SNI from the ClientHello without terminating TLS. */
export function tlsInspector(): Configurer<Listener> {
  return (listener) => {
    listener.listener_filters = [
      { name: extensionNames.tlsInspector, typed_config: { "@type": typeUrls.tlsInspector } },
    ];
  };
}

/** Listeners that must keep working when the global connection limit is reached (metrics). */
export function ignoreGlobalConnectionLimit(): Configurer<Listener> {
  return (listener) => {
    listener.ignore_global_conn_limit = true;
  };
}
