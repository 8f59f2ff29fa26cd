/** Pulumi resource names of the PKI's resources (the contract in docs/ARCHITECTURE.md). */

export const pkiResourceNames = {
  rootKey: (mesh: string): string => `${mesh}-root-key`,
  root: (mesh: string): string => `${mesh}-root`,
  intermediateKey: (cluster: string): string => `${cluster}-intermediate-key`,
  intermediateCsr: (cluster: string): string => `${cluster}-intermediate-csr`,
  intermediate: (cluster: string): string => `${cluster}-intermediate`,
  leafKey: (cluster: string, service: string): string => `${cluster}-${service}-leaf-key`,
  leaf: (cluster: string, service: string): string => `${cluster}-${service}-leaf`,
  consulServerKey: (cluster: string): string => `${cluster}-consul-server-key`,
  consulServerCsr: (cluster: string): string => `${cluster}-consul-server-csr`,
  consulServer: (cluster: string): string => `${cluster}-consul-server`,
} as const;
