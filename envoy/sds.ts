/**
 * SDS files. The certificate chain and trust bundle are public and go inline; the private key is referenced by
 * path, so no secret ever lands in a ConfigMap or a rendered YAML file.
 *
 * An inline chain needs no file of its own to reload: each move into the watched directory makes the file
 * subscription re-read the SDS file (source/extensions/config_subscription/filesystem/filesystem_subscription_impl.cc,
 * the WatchedDirectory callback calls refresh()), and SdsApi::onConfigUpdate takes a secret whose hash changed;
 * Envoy reads from disk only the DataSources given by `filename` (source/common/secret/sds_api.cc,
 * TlsCertificateSdsApi::getDataSourceFilenames: here the key alone).
 */
import { envoyFiles, envoyNames } from "../model/names";
import { typeUrls } from "./typeUrls";
import type { Secret } from "./types";
import { discoveryFile, type DiscoveryFile } from "./resources";
import { toYaml } from "../model/yaml";

export interface SidecarPems {
  readonly certificateChainPem: string;
  readonly trustBundlePem: string;
}

export const PRIVATE_KEY_PATH = `${envoyFiles.secretsDirectory}/${envoyFiles.privateKeyPem}`;

export function certificateSecret(certificateChainPem: string): DiscoveryFile<Secret> {
  return discoveryFile<Secret>([
    {
      "@type": typeUrls.secret,
      name: envoyNames.certificateSecret,
      tls_certificate: {
        certificate_chain: { inline_string: certificateChainPem },
        private_key: { filename: PRIVATE_KEY_PATH },
      },
    },
  ]);
}

export function trustBundleSecret(trustBundlePem: string): DiscoveryFile<Secret> {
  return discoveryFile<Secret>([
    {
      "@type": typeUrls.secret,
      name: envoyNames.trustBundleSecret,
      validation_context: { trusted_ca: { inline_string: trustBundlePem } },
    },
  ]);
}

/**
 * A user-supplied edge certificate by file reference. Delivered over SDS because `watched_directory`, which reloads
 * the pair when a Kubernetes Secret volume swaps its `..data` symlink, applies only to an SDS-delivered
 * TlsCertificate (api/envoy/extensions/transport_sockets/tls/v3/common.proto, TlsCertificate.watched_directory).
 */
export function edgeCertificateSecret(): DiscoveryFile<Secret> {
  const dir = envoyFiles.edgeCertificateDirectory;
  return discoveryFile<Secret>([
    {
      "@type": typeUrls.secret,
      name: envoyNames.edgeCertificateSecret,
      tls_certificate: {
        certificate_chain: { filename: `${dir}/${envoyFiles.edgeCertificatePem}` },
        private_key: { filename: `${dir}/${envoyFiles.edgeKeyPem}` },
        watched_directory: { path: dir },
      },
    },
  ]);
}

/** certificate.yaml and trust-bundle.yaml, keyed by their names in `envoyFiles`. */
export function sdsFiles(pems: SidecarPems): Record<string, string> {
  if (/PRIVATE KEY/.test(pems.certificateChainPem) || /PRIVATE KEY/.test(pems.trustBundlePem)) {
    throw new Error("sdsFiles: a private key was passed as a public PEM; keys go only into key.pem");
  }
  return {
    [envoyFiles.certificateSds]: toYaml(certificateSecret(pems.certificateChainPem)),
    [envoyFiles.trustBundleSds]: toYaml(trustBundleSecret(pems.trustBundlePem)),
  };
}
