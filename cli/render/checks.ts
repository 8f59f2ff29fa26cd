/** The render's artifact checks: every Envoy file set through the validator, every Kubernetes object by schema. */
import { configFilesOf, type EnvoyFileSet } from "../../artifacts/envoy";
import { isKubernetesType, validateKubernetesResource } from "../../artifacts/kubernetes";
import { validateConfigSetSync } from "../../envoy/validator";
import type { RecordedResource } from "../../simulate/recorder";
import type { ArtifactIssue } from "./types";

export interface EnvoyCheck {
  readonly configSets: number;
  readonly files: number;
  readonly errors: readonly ArtifactIssue[];
  readonly warnings: number;
}

/** Validates each file set as one proxy's config (bootstrap plus its file-based LDS/CDS/SDS). */
export function checkEnvoySets(
  sets: readonly EnvoyFileSet[],
  directories: readonly string[],
  onEach: (done: number) => void = () => {},
): EnvoyCheck {
  const errors: ArtifactIssue[] = [];
  let warnings = 0;
  let files = 0;
  sets.forEach((set, i) => {
    const configFiles = configFilesOf(set);
    files += configFiles.length;
    for (const issue of validateConfigSetSync(configFiles)) {
      if (issue.severity === "warning") {
        warnings++;
        continue;
      }
      const where = issue.path ? `${issue.file}: ${issue.path}` : issue.file;
      errors.push({ subject: directories[i] ?? set.source, message: `${where}: ${issue.message}` });
    }
    onEach(i + 1);
  });
  return { configSets: sets.length, files, errors, warnings };
}

export interface KubernetesCheck {
  readonly objects: number;
  readonly errors: readonly ArtifactIssue[];
}

/** Schema-checks every declared Kubernetes object against Kubernetes' own models. */
export function checkKubernetesObjects(resources: readonly RecordedResource[]): KubernetesCheck {
  const errors: ArtifactIssue[] = [];
  let objects = 0;
  for (const r of resources) {
    if (!isKubernetesType(r.type)) continue;
    objects++;
    for (const message of validateKubernetesResource(r.type, r.inputs)) errors.push({ subject: r.urn, message });
  }
  return { objects, errors };
}
