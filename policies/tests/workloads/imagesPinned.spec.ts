import { strict as assert } from "node:assert";
import { checkImagesPinned, imagesPinned, imagesPinnedDefaults } from "../../rules/workloads/imagesPinned";
import { deployment, sidecarContainer } from "../fixtures/mesh";
import { runResourcePolicy } from "../../../simulate/policyRunner";

const container = (image: string) => ({ type: "docker:index/container:Container", name: "c", props: { image } });
const check = (r: { type: string; name: string; props: Record<string, unknown> }): string[] =>
  checkImagesPinned(r, imagesPinnedDefaults);

describe("lucid-workloads-images-pinned", () => {
  it("passes version tags, digests and image IDs", () => {
    assert.deepEqual(check(sidecarContainer()), []);
    assert.deepEqual(check(deployment()), []);
    assert.deepEqual(check(container("localhost:5000/envoy:v1.31.10")), []);
    assert.deepEqual(check(container(`sha256:${"a".repeat(64)}`)), []);
    assert.deepEqual(check(container(`envoyproxy/envoy@sha256:${"b".repeat(64)}`)), []);
  });

  it("fails the seed's envoyproxy/envoy:v1.28-latest", () => {
    assert.deepEqual(check(container("envoyproxy/envoy:v1.28-latest")), [
      'image: image envoyproxy/envoy:v1.28-latest uses a moving "latest" tag; pin a version tag or @sha256 digest.',
    ]);
  });

  it("fails an untagged image, including behind a registry port", () => {
    assert.deepEqual(check(container("localhost:5000/envoy")), [
      "image: image localhost:5000/envoy has no tag, so it means latest; pin a version tag or @sha256 digest.",
    ]);
  });

  it("fails a RemoteImage and a Kubernetes init container on latest", () => {
    assert.deepEqual(
      check({
        type: "docker:index/remoteImage:RemoteImage",
        name: "consul",
        props: { name: "hashicorp/consul:latest" },
      }),
      ['name: image hashicorp/consul:latest uses a moving "latest" tag; pin a version tag or @sha256 digest.'],
    );
    const d = deployment();
    const spec = (d.props.spec as { template: { spec: { initContainers: Array<{ image: string }> } } }).template.spec;
    spec.initContainers[0]!.image = "busybox";
    assert.deepEqual(check(d), [
      "initContainer envoy-init: image busybox has no tag, so it means latest; pin a version tag or @sha256 digest.",
    ]);
  });

  it("requires digests when configured", async () => {
    const result = await runResourcePolicy(imagesPinned, container("hashicorp/consul:1.20.6"), {
      config: { requireDigest: true },
    });
    assert.deepEqual(
      result.violations.map((v) => v.message),
      ["image: image hashicorp/consul:1.20.6 is pinned by tag only; append its @sha256 digest."],
    );
  });
});
