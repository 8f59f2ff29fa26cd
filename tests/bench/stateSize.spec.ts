import { strict as assert } from "node:assert";
import type { RecordedResource } from "../../simulate/recorder";
import {
  checkpointEntryBytes,
  instanceMargin,
  partitionOf,
  SHARED_PARTITION,
  tallyStack,
  upCosts,
} from "../../bench/stateSize";

function resource(
  partial: Partial<RecordedResource> & Pick<RecordedResource, "urn" | "type" | "name">,
): RecordedResource {
  return {
    custom: true,
    dependencies: [],
    inputs: {},
    secretInputs: [],
    secretPaths: [],
    get redactedInputs() {
      return this.inputs;
    },
    ...partial,
  };
}

const urn = (type: string, name: string): string => `urn:pulumi:bench::lucid-mesh::${type}::${name}`;
const CLUSTERS = ["east", "west"];

describe("bench/stateSize", () => {
  const root = resource({
    urn: urn("lucid:mesh:LucidMesh", "lucid"),
    type: "lucid:mesh:LucidMesh",
    name: "lucid",
    custom: false,
  });
  const eastMesh = resource({
    urn: urn("lucid:mesh:ServiceMesh", "east"),
    type: "lucid:mesh:ServiceMesh",
    name: "east",
    custom: false,
    parent: root.urn,
  });
  const eastProvider = resource({
    urn: urn("pulumi:providers:docker", "east-docker"),
    type: "pulumi:providers:docker",
    name: "east-docker",
    parent: root.urn,
  });
  const labelled = resource({
    urn: urn("docker:index/container:Container", "c"),
    type: "docker:index/container:Container",
    name: "c",
    parent: root.urn,
    inputs: { labels: [{ label: "lucid.mesh/cluster", value: "west" }], uploads: [{ content: "x".repeat(100) }] },
  });
  const viaProvider = resource({
    urn: urn("docker:index/volume:Volume", "v"),
    type: "docker:index/volume:Volume",
    name: "v",
    parent: root.urn,
    provider: `${eastProvider.urn}::east-docker-id`,
  });
  const viaParent = resource({
    urn: urn("consul:index/service:Service", "s"),
    type: "consul:index/service:Service",
    name: "s",
    parent: eastMesh.urn,
  });
  const viaName = resource({
    urn: urn("tls:index/privateKey:PrivateKey", "west-svc-leaf-key"),
    type: "tls:index/privateKey:PrivateKey",
    name: "west-svc-leaf-key",
    parent: root.urn,
  });
  const shared = resource({
    urn: urn("tls:index/privateKey:PrivateKey", "lucid-root-key"),
    type: "tls:index/privateKey:PrivateKey",
    name: "lucid-root-key",
    parent: root.urn,
  });
  const all = [root, eastMesh, eastProvider, labelled, viaProvider, viaParent, viaName, shared];
  const byUrn = new Map(all.map((r) => [r.urn, r]));

  it("puts a resource in its cluster by label, then provider, then parent, then name, else shared", () => {
    assert.equal(partitionOf(labelled, byUrn, CLUSTERS), "west");
    assert.equal(partitionOf(viaProvider, byUrn, CLUSTERS), "east");
    assert.equal(partitionOf(viaParent, byUrn, CLUSTERS), "east");
    assert.equal(partitionOf(viaName, byUrn, CLUSTERS), "west");
    assert.equal(partitionOf(shared, byUrn, CLUSTERS), SHARED_PARTITION);
    assert.equal(partitionOf(root, byUrn, CLUSTERS), SHARED_PARTITION);
  });

  it("counts a custom resource's inputs twice in the checkpoint (inputs and echoed outputs), plus model outputs", () => {
    const inputBytes = JSON.stringify(labelled.inputs).length;
    const plain = checkpointEntryBytes(labelled, () => undefined);
    assert.equal(plain.inputBytes, inputBytes);
    assert.ok(plain.stateBytes > 2 * inputBytes, `${plain.stateBytes} > 2 × ${inputBytes}`);
    const withModel = checkpointEntryBytes(labelled, () => ({ certPem: "y".repeat(50) }));
    assert.ok(withModel.stateBytes >= plain.stateBytes + 50);
    const component = checkpointEntryBytes(eastMesh, () => undefined);
    assert.equal(component.inputBytes, 2);
  });

  it("tallies by type and partition, and the partitions add up to the stack", () => {
    const tally = tallyStack(all, () => undefined, CLUSTERS);
    assert.equal(tally.resources, all.length);
    assert.equal(tally.customResources, all.filter((r) => r.custom).length);
    assert.equal(tally.byType["tls:index/privateKey:PrivateKey"]?.resources, 2);
    assert.equal(tally.byType["lucid:mesh:ServiceMesh"]?.custom, false);
    const parts = Object.values(tally.byPartition);
    assert.equal(
      parts.reduce((n, p) => n + p.resources, 0),
      tally.resources,
    );
    assert.equal(
      parts.reduce((n, p) => n + p.stateBytes, 0),
      tally.stateBytes,
    );
    const costs = upCosts(tally);
    assert.equal(costs.singleStack.bytesWritten, tally.resources * tally.stateBytes);
    assert.ok(["east", "west"].includes(costs.largestCluster.cluster));
    assert.ok(costs.largestCluster.bytesWritten < costs.singleStack.bytesWritten);
  });

  it("takes the margin per extra instance, by custom type only, and refuses a shrinking pair", () => {
    const small = tallyStack([root, labelled], () => undefined, CLUSTERS);
    const extra = [1, 2, 3, 4].map((i) =>
      resource({
        urn: urn("docker:index/container:Container", `x${i}`),
        type: "docker:index/container:Container",
        name: `x${i}`,
      }),
    );
    const large = tallyStack([root, labelled, ...extra, eastMesh], () => undefined, CLUSTERS);
    const margin = instanceMargin({ instances: 1, tally: small }, { instances: 3, tally: large });
    assert.equal(margin.instances, 2);
    assert.equal(margin.customResources, 2);
    assert.equal(margin.allResources, 2.5);
    assert.equal(margin.byType["docker:index/container:Container"]?.resources, 2);
    assert.equal(margin.byType["lucid:mesh:ServiceMesh"], undefined);
    assert.throws(
      () => instanceMargin({ instances: 3, tally: large }, { instances: 3, tally: small }),
      /more instances/,
    );
  });
});
