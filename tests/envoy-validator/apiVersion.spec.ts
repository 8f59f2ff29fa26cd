import { strict as assert } from "node:assert";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { ENVOY_VALIDATOR_API, sidecarSchema } from "../../model/schema";

const XDS = path.dirname(require.resolve("@grpc/grpc-js-xds/package.json"));
const ENVOY_API = path.join(XDS, "deps", "envoy-api");

// The validator checks Envoy files against these protos; the recorded version must be the one installed, and the
// pinned image must run that API's release. On an upgrade of @grpc/grpc-js-xds, read the package's deps/envoy-api
// submodule commit in grpc/grpc-node, find its "Mirrored from envoyproxy/envoy @" line in envoyproxy/data-plane-api,
// and update ENVOY_VALIDATOR_API, these fingerprints and the image together.
describe("the Envoy API the validator checks, recorded beside the pinned image", () => {
  it("is the installed @grpc/grpc-js-xds", () => {
    const { name, version } = JSON.parse(readFileSync(path.join(XDS, "package.json"), "utf8")) as {
      name: string;
      version: string;
    };
    assert.equal(`${name}@${version}`, ENVOY_VALIDATOR_API.protos);
  });

  it("has the protos of data-plane-api f8b75d1e and not those of a later commit", () => {
    // f8b75d1e renamed Cluster field 57 to its plural.
    const cluster = readFileSync(path.join(ENVOY_API, "envoy/config/cluster/v3/cluster.proto"), "utf8");
    assert.match(cluster, /repeated string lrs_report_endpoint_metrics = 57;/);
    // d1002657 (2024-07-23) moved generic_proxy out of contrib into envoy/extensions.
    assert.equal(existsSync(path.join(ENVOY_API, "envoy/extensions/filters/network/generic_proxy")), false);
  });

  it("pins the sidecar image to that API's release", () => {
    const image = sidecarSchema.parse({}).image;
    assert.ok(image.startsWith(`envoyproxy/envoy:v${ENVOY_VALIDATOR_API.envoyRelease}.`), image);
  });
});
