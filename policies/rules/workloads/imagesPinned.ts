import { resourceRule } from "../../lib/policy";
import { asString, at } from "../../lib/props";
import { WORKLOAD_TYPES, containersOf, podSpecOf } from "../../lib/workloads";
import type { ResourceInput } from "../../lib/types";
import { types } from "../../lib/types";

export const imagesPinnedDefaults = {
  /** Tags can be moved; a digest cannot. Off by default because the seed pins by version tag. */
  requireDigest: false,
};
export type ImagesPinnedConfig = typeof imagesPinnedDefaults;

/** What is wrong with an image reference, or undefined when it is pinned. */
export function imageProblem(image: string, config: ImagesPinnedConfig): string | undefined {
  // A Docker image ID (from RemoteImage.imageId) is content-addressed.
  if (/^sha256:[a-f0-9]{64}$/i.test(image) || /@sha256:[a-f0-9]{64}$/i.test(image)) return undefined;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.lastIndexOf(":");
  const tag = colon < 0 ? undefined : lastSegment.slice(colon + 1);
  if (tag === undefined) return `image ${image} has no tag, so it means latest; pin a version tag or @sha256 digest.`;
  if (/(^|[-_.])latest$/i.test(tag))
    return `image ${image} uses a moving "latest" tag; pin a version tag or @sha256 digest.`;
  if (config.requireDigest) return `image ${image} is pinned by tag only; append its @sha256 digest.`;
  return undefined;
}

function imagesOf(input: ResourceInput): Array<[string, string]> {
  if (input.type === types.dockerContainer) return [["image", asString(at(input.props, "image")) ?? ""]];
  if (input.type === types.dockerRemoteImage) return [["name", asString(at(input.props, "name")) ?? ""]];
  return containersOf(podSpecOf(input.type, input.props)).map((c) => [
    `${c.kind} ${c.name}`,
    asString(c.spec.image) ?? "",
  ]);
}

/** Every image is pinned, so a deploy runs exactly what was reviewed. */
export function checkImagesPinned(input: ResourceInput, config: ImagesPinnedConfig): string[] {
  const problems: string[] = [];
  for (const [where, image] of imagesOf(input)) {
    const problem = image === "" ? "no image is set; set a pinned image." : imageProblem(image, config);
    if (problem) problems.push(`${where}: ${problem}`);
  }
  return problems;
}

export const imagesPinned = resourceRule(
  {
    name: "lucid-workloads-images-pinned",
    description: "Require every container image to be pinned to a version tag or digest, never latest.",
    severity: "high",
    appliesTo: [types.dockerContainer, types.dockerRemoteImage, ...WORKLOAD_TYPES],
    defaults: imagesPinnedDefaults,
    configSchema: {
      properties: {
        requireDigest: {
          type: "boolean",
          default: imagesPinnedDefaults.requireDigest,
          description: "Also require an @sha256 digest on tagged images.",
        },
      },
    },
  },
  checkImagesPinned,
);
