/**
 * The metrics listener. Admin stays on loopback; this listener exposes exactly one admin path, so a scraper can
 * read /stats/prometheus and nothing else (no /quitquitquit, no /config_dump with its secrets' names).
 */
import { envoyNames } from "../../model/names";
import { buildFilterChain, buildHttpConnectionManager, buildListener } from "../builders";
import { ANY_ADDRESS } from "../common/address";
import type { Listener, Route } from "../types";
import { router } from "./router";
import { httpHardening } from "./hardening";
import { httpConnectionManager } from "./filters";
import { bufferLimit, filterChains, ignoreGlobalConnectionLimit } from "./listenerOptions";

export const PROMETHEUS_PATH = "/stats/prometheus";

export function prometheusRoutes(): Route[] {
  return [
    // Exact path match: no prefix tricks reach other admin handlers.
    { match: { path: PROMETHEUS_PATH }, route: { cluster: envoyNames.adminCluster, prefix_rewrite: PROMETHEUS_PATH } },
    { match: { prefix: "/" }, direct_response: { status: 404 } },
  ];
}

export function prometheusListener(metricsPort: number): Listener {
  const name = envoyNames.prometheusListener;
  const hcm = buildHttpConnectionManager(name, httpHardening(), router(name, prometheusRoutes()));
  return buildListener(
    name,
    ANY_ADDRESS,
    metricsPort,
    filterChains(buildFilterChain(name, httpConnectionManager(hcm))),
    bufferLimit(),
    ignoreGlobalConnectionLimit(),
  );
}
