/** Stack config for Kubernetes: the API address each cluster's provider dials, and team namespaces. */
import { strict as assert } from "node:assert";
import { configError, rawMeshConfig } from "../helpers/stacks";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- raw stack config

describe("kubernetes stack config", () => {
  it("requires each Kubernetes cluster's Consul API address, as an IPv4 address", () => {
    const raw = rawMeshConfig("prod") as Obj;
    delete raw.clusters[0].kubernetes.consulApiAddress;
    assert.match(configError(raw), /clusters\[0\]\.kubernetes\.consulApiAddress/);
    const name = rawMeshConfig("prod") as Obj;
    name.clusters[0].kubernetes.consulApiAddress = "consul-server.lucid-mesh.svc";
    assert.match(configError(name), /reserved for the consul-server-api LoadBalancer/);
  });

  it("refuses one API address for two clusters: Pulumi keeps one provider per cluster", () => {
    const raw = rawMeshConfig("prod") as Obj;
    raw.clusters[1].kubernetes.consulApiAddress = raw.clusters[0].kubernetes.consulApiAddress;
    assert.match(configError(raw), /clusters\[1\]\.kubernetes\.consulApiAddress: 10\.10\.0\.50 is another cluster's/);
  });

  it("requires a patched service's team namespace, and refuses the mesh's own", () => {
    const raw = rawMeshConfig("prod") as Obj;
    const core = raw.services.findIndex((s: Obj) => s.name === "blockchain-core");
    delete raw.services[core].kubernetesNamespace;
    assert.match(configError(raw), new RegExp(`services\\[${core}\\]\\.kubernetesNamespace: the sidecar is patched`));
    const own = rawMeshConfig("prod") as Obj;
    own.services[core].kubernetesNamespace = "lucid-mesh";
    assert.match(configError(own), /lucid-mesh is the mesh's own namespace/);
  });
});
