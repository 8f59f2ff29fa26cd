/** File-based SDS and xDS sources. Each watches its directory, so a ConfigMap's atomic symlink swap reloads it. */
import { envoyFiles, envoyNames } from "../../model/names";
import type { ConfigSource, SdsSecretConfig } from "../types";

export function pathConfigSource(directory: string, file: string): ConfigSource {
  return {
    path_config_source: { path: `${directory}/${file}`, watched_directory: { path: directory } },
    resource_api_version: "V3",
  };
}

export function certificateSecretConfig(): SdsSecretConfig {
  return {
    name: envoyNames.certificateSecret,
    sds_config: pathConfigSource(envoyFiles.secretsDirectory, envoyFiles.certificateSds),
  };
}

export function trustBundleSecretConfig(): SdsSecretConfig {
  return {
    name: envoyNames.trustBundleSecret,
    sds_config: pathConfigSource(envoyFiles.secretsDirectory, envoyFiles.trustBundleSds),
  };
}
