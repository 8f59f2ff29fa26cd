/**
 * Pure generators of every Envoy file, from the resolved mesh. Components call `sidecarFiles`, `sdsFiles` and
 * `gatewayFiles`; tests and the policy pack use the object builders.
 */
export { sidecarFiles, sidecarConfig, configFiles, type EnvoyConfigObjects } from "./sidecar";
export { sdsFiles, certificateSecret, trustBundleSecret, PRIVATE_KEY_PATH, type SidecarPems } from "./sds";
export { gatewayFiles, gatewayConfig, gatewayBootstrap, gatewayClusters, gatewayListener } from "./gateway";
export { toYaml } from "../model/yaml";
export { duration } from "./common/duration";
export { sidecarBootstrap } from "./bootstrap/sidecar";
export { sidecarListeners, healthListener, inboundListener, outboundListener, prometheusListener } from "./listener";
export { upstreamCluster, upstreamClusters } from "./cluster/upstream";
export { localAppCluster, adminCluster, tracingCluster } from "./cluster/static";
export { buildBootstrap } from "./bootstrap/bootstrap";
export { buildCluster, buildFilterChain, buildHttpConnectionManager, buildListener } from "./builders";
export { typeUrls, extensionNames } from "./typeUrls";
export type { Configurer } from "./configurer";
export type * from "./types";
