/** The tls provider's model: keys (keys.ts), their DER (encoding.ts), the four resources (models.ts) and which inputs replace them (system.ts). */
export { generatePrivateKey, type GeneratedKey, type KeyAlgorithmName, type PrivateKeyInputs } from "./keys";
export type { SubjectInputs } from "./encoding";
export {
  createCertRequest,
  createLocallySignedCert,
  createSelfSignedCert,
  createTlsModels,
  readyForRenewal,
  TLS_TYPES,
  tlsModels,
  type CertRequestInputs,
  type IssuedCertificate,
  type IssueOptions,
  type LocallySignedCertInputs,
  type SanInputs,
  type SelfSignedCertInputs,
  type TlsModelOptions,
} from "./models";
export { tlsSystem } from "./system";
