/** Typed view of the bootstrap (config/bootstrap/v3) and the overload manager (config/overload/v3). */
import type { AccessLog, Address, ConfigSource, Struct, TypedExtensionConfig } from "./core";
import type { Cluster } from "./cluster";

export interface OverloadAction {
  name: string;
  triggers: Array<{ name: string; threshold: { value: number } }>;
}

export interface OverloadManager {
  refresh_interval: string;
  resource_monitors: TypedExtensionConfig[];
  actions: OverloadAction[];
}

export interface RuntimeLayer {
  name: string;
  static_layer?: Struct;
  admin_layer?: Record<string, never>;
}

/** Bootstrap clusters are plain messages, not `Any`s: they carry no `@type`. */
export type StaticCluster = Omit<Cluster, "@type">;

export interface Bootstrap {
  node: { id: string; cluster: string; metadata: Struct };
  admin?: { address: Address; access_log: AccessLog[]; ignore_global_conn_limit: boolean };
  static_resources: { clusters: StaticCluster[] };
  dynamic_resources?: { lds_config: ConfigSource; cds_config: ConfigSource };
  stats_config?: { use_all_default_tags: boolean; stats_tags: Array<{ tag_name: string; fixed_value: string }> };
  overload_manager?: OverloadManager;
  layered_runtime?: { layers: RuntimeLayer[] };
  /** The server's DNS resolver: what every DNS cluster without its own `typed_dns_resolver_config` uses. */
  typed_dns_resolver_config?: TypedExtensionConfig;
}
