/**
 * Small typed views of the Envoy v3 core messages we emit. Field names are the protos' JSON names
 * (node_modules/@grpc/grpc-js-xds/deps/envoy-api/envoy/config/core/v3). Only the fields we set are declared.
 */

/** A `google.protobuf.Any`: `@type` plus the message's own fields. */
export interface Any {
  "@type": string;
}

/** `google.protobuf.Duration` in its JSON form, such as "0.250s". */
export type Duration = string;

export interface SocketAddress {
  address: string;
  port_value: number;
}

export interface Address {
  socket_address: SocketAddress;
}

export interface TypedExtensionConfig {
  name: string;
  typed_config: Any;
}

export interface ConfigSource {
  path_config_source: { path: string; watched_directory: { path: string } };
  /** Left unset: AUTO, which Envoy reads as V3 (the only version it supports). */
  resource_api_version?: "V3";
}

export interface FractionalPercent {
  numerator: number;
  denominator: "HUNDRED";
}

export interface RuntimeFractionalPercent {
  runtime_key: string;
  default_value: FractionalPercent;
}

/** `google.protobuf.Struct`, as plain JSON. */
export type Struct = { [key: string]: string | number | boolean | Struct };

export interface Metadata {
  filter_metadata: Record<string, Struct>;
}

export interface AccessLog {
  name: string;
  typed_config: FileAccessLog;
}

export interface FileAccessLog extends Any {
  path: string;
  log_format?: { json_format: Struct };
}
