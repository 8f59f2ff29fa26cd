/** File-based SDS and xDS sources. Each watches its directory, so a ConfigMap's atomic symlink swap reloads it. */
import { envoyFiles, envoyNames } from "../../model/names";
import type { ConfigSource, SdsSecretConfig } from "../types";

export function pathConfigSource(directory: string, file: string): ConfigSource {
  // resource_api_version stays unset: AUTO, which Envoy reads as V3 (the only version it supports).
  return { path_config_source: { path: `${directory}/${file}`, watched_directory: { path: directory } } };
}

export function certificateSecretConfig(): SdsSecretConfig {
  return {
    name: envoyNames.certificateSecret,
    sds_config: pathConfigSource(envoyFiles.secretsDirectory, envoyFiles.certificateSds),
  };
}

/** The user-supplied edge certificate's SDS file sits in the config directory: it holds no key, only paths. */
export function edgeCertificateSecretConfig(): SdsSecretConfig {
  return {
    name: envoyNames.edgeCertificateSecret,
    sds_config: pathConfigSource(envoyFiles.directory, envoyFiles.edgeCertificateSds),
  };
}

export function trustBundleSecretConfig(): SdsSecretConfig {
  return {
    name: envoyNames.trustBundleSecret,
    sds_config: pathConfigSource(envoyFiles.secretsDirectory, envoyFiles.trustBundleSds),
  };
}
