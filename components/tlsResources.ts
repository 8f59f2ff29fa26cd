/**
 * `tls.PrivateKey` and `tls.LocallySignedCert`, declared with only the properties the program sets or reads
 * (components/leanResource.ts): one of each per service instance, 12 and 18 Outputs in the SDK classes. Each
 * repeats what its SDK class adds to the request: the plugin version, the CA key wrapped as a secret input, and
 * the same additionalSecretOutputs, so the engine stores the private keys encrypted exactly as before
 * (tests/mesh/leanResources.spec.ts compares the requests).
 */
import * as pulumi from "@pulumi/pulumi";
import type * as tls from "@pulumi/tls";
import tlsPackage from "@pulumi/tls/package.json";
import { definedInputs, pluginVersion, readBack } from "./leanResource";

/** The version the `@pulumi/tls` classes ask the engine for (`utilities.resourceOptsDefaults`). */
export const TLS_PLUGIN_VERSION = pluginVersion(tlsPackage.version);
export const PRIVATE_KEY_TYPE = "tls:index/privateKey:PrivateKey";
export const LOCALLY_SIGNED_CERT_TYPE = "tls:index/locallySignedCert:LocallySignedCert";

/** The options the @pulumi/tls classes send: their plugin version, and the outputs kept secret in state. */
function tlsResourceOptions(opts: pulumi.CustomResourceOptions, secretOutputs: readonly string[]) {
  return pulumi.mergeOptions(pulumi.mergeOptions({ version: TLS_PLUGIN_VERSION }, opts), {
    additionalSecretOutputs: [...secretOutputs],
  });
}

/** A private key; the program reads only its PEM. */
export class PrivateKey extends pulumi.CustomResource {
  declare readonly privateKeyPem: pulumi.Output<string>;

  constructor(name: string, args: tls.PrivateKeyArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(
      PRIVATE_KEY_TYPE,
      name,
      { ...definedInputs(args), ...readBack(["privateKeyPem"]) },
      // As tls.PrivateKey: every private key format the provider returns is secret in state.
      tlsResourceOptions(opts, ["privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"]),
    );
  }
}

export type LocallySignedCertArgs = Omit<tls.LocallySignedCertArgs, "caPrivateKeyPemWo" | "caPrivateKeyPemWoVersion">;

/** A certificate signed by a CA key; the program reads only its PEM. */
export class LocallySignedCert extends pulumi.CustomResource {
  declare readonly certPem: pulumi.Output<string>;

  constructor(name: string, args: LocallySignedCertArgs, opts: pulumi.CustomResourceOptions = {}) {
    const { caPrivateKeyPem, ...rest } = args;
    super(
      LOCALLY_SIGNED_CERT_TYPE,
      name,
      {
        ...definedInputs(rest),
        // As tls.LocallySignedCert: the CA key is a secret input whatever the caller passed.
        ...(caPrivateKeyPem ? { caPrivateKeyPem: pulumi.secret(caPrivateKeyPem) } : {}),
        ...readBack(["certPem"]),
      },
      tlsResourceOptions(opts, ["caPrivateKeyPem", "caPrivateKeyPemWo"]),
    );
  }
}
