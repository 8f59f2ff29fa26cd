/** Kubernetes objects as the program declares them, checked against Kubernetes' own schemas (kubernetes-models). */
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { Job } from "kubernetes-models/batch/v1/Job";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Container } from "kubernetes-models/v1/Container";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Volume } from "kubernetes-models/v1/Volume";

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

/** Pulumi type token → schema-checked model, for every kind the program creates. */
const MODELS: Record<string, ModelClass> = {
  "kubernetes:apps/v1:Deployment": Deployment,
  "kubernetes:apps/v1:StatefulSet": StatefulSet,
  "kubernetes:batch/v1:Job": Job,
  "kubernetes:policy/v1:PodDisruptionBudget": PodDisruptionBudget,
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": ClusterRole,
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": ClusterRoleBinding,
  "kubernetes:rbac.authorization.k8s.io/v1:Role": Role,
  "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": RoleBinding,
  "kubernetes:core/v1:ConfigMap": ConfigMap,
  "kubernetes:core/v1:Namespace": Namespace,
  "kubernetes:core/v1:Secret": Secret,
  "kubernetes:core/v1:Service": Service,
  "kubernetes:core/v1:ServiceAccount": ServiceAccount,
};

export function isKubernetesType(type: string): boolean {
  return type.startsWith("kubernetes:") && !type.startsWith("kubernetes:index");
}

function apiVersionAndKind(type: string): { apiVersion: string; kind: string } {
  const [, groupVersion = "", kind = ""] = type.split(":");
  const [group, version] = groupVersion.split("/");
  return { apiVersion: group === "core" ? (version ?? "v1") : groupVersion, kind };
}

/** The manifest a resource's inputs describe (what `kubectl apply` would be sent). */
export function toManifest(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const { apiVersion, kind } = apiVersionAndKind(type);
  return { apiVersion, kind: kind.replace(/Patch$/, ""), ...inputs };
}

function errorText(error: unknown): string {
  if (error && typeof error === "object" && "errors" in error && Array.isArray(error.errors)) {
    return (error.errors as Array<{ instancePath?: string; message?: string }>)
      .map((e) => `${e.instancePath || "/"}: ${e.message ?? "invalid"}`)
      .join("; ");
  }
  return error instanceof Error ? error.message : String(error);
}

function check(model: ModelClass, data: unknown): string[] {
  try {
    new model(data as never).validate();
    return [];
  } catch (error) {
    return [errorText(error)];
  }
}

/**
 * Schema errors for one declared object, or [] when it is valid. A Patch is partial by design, so its containers
 * and volumes are checked one by one instead of the whole object.
 */
export function validateKubernetesResource(type: string, inputs: Record<string, unknown>): string[] {
  if (type.endsWith("Patch")) {
    const template = ((inputs.spec as Record<string, unknown> | undefined)?.template ?? {}) as Record<string, unknown>;
    const podSpec = (template.spec ?? {}) as { containers?: unknown[]; volumes?: unknown[] };
    return [
      ...(podSpec.containers ?? []).flatMap((c, i) => check(Container, c).map((e) => `containers[${i}]: ${e}`)),
      ...(podSpec.volumes ?? []).flatMap((v, i) => check(Volume, v).map((e) => `volumes[${i}]: ${e}`)),
    ];
  }
  const model = MODELS[type];
  if (!model) return [`no schema known for ${type}: add it to artifacts/kubernetes.ts`];
  return check(model, toManifest(type, inputs));
}
