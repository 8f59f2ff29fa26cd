/** Resource type tokens the rules read, as the engine reports them. */
export const types = {
  dockerContainer: "docker:index/container:Container",
  dockerRemoteImage: "docker:index/remoteImage:RemoteImage",
  configMap: "kubernetes:core/v1:ConfigMap",
  secret: "kubernetes:core/v1:Secret",
  k8sService: "kubernetes:core/v1:Service",
  pod: "kubernetes:core/v1:Pod",
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  daemonSet: "kubernetes:apps/v1:DaemonSet",
  job: "kubernetes:batch/v1:Job",
  deploymentPatch: "kubernetes:apps/v1:DeploymentPatch",
  replicaSet: "kubernetes:apps/v1:ReplicaSet",
  consulService: "consul:index/service:Service",
  consulConfigEntry: "consul:index/configEntry:ConfigEntry",
  consulServiceIntentions: "consul:index/configEntryServiceIntentions:ConfigEntryServiceIntentions",
  privateKey: "tls:index/privateKey:PrivateKey",
  selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
  certRequest: "tls:index/certRequest:CertRequest",
  locallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
  stack: "pulumi:pulumi:Stack",
} as const;

/** What a resource check reads: the engine's view of one resource (inputs during Analyze, outputs in AnalyzeStack). */
export interface ResourceInput {
  readonly type: string;
  readonly name: string;
  readonly props: unknown;
}

/** One resource as a stack check sees it. */
export interface StackResource extends ResourceInput {
  readonly urn: string;
}

export interface StackViolation {
  readonly urn?: string;
  readonly message: string;
}
