/**
 * Which HTTP listeners write an access log: the traffic listeners (inbound, edge, outbound), so every request
 * through the mesh leaves a line. The health and Prometheus listeners write none: kubelet's probe and the scrape
 * hit them every few seconds from every instance, and their stats (`http.health.*`, `http.prometheus.*`) already
 * count them. Consul's equivalents, the prometheus/stats/ready listeners its bootstrap adds
 * (hashicorp/consul command/connect/envoy/bootstrap_config.go, generateListenerConfig), and Istio's 15090 and 15021
 * listeners (istio/istio tools/packaging/common/envoy_bootstrap.json) carry no access_log either.
 */
import type { Configurer } from "../configurer";
import type { HttpConnectionManager } from "../types";
import { httpAccessLog } from "../common/accessLog";

export function requestAccessLog(): Configurer<HttpConnectionManager> {
  return (hcm) => {
    hcm.access_log = [httpAccessLog()];
  };
}
