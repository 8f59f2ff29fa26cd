import { strict as assert } from "node:assert";
import type { Json } from "../../lib/props";
import { checkPodSecurity, podSecurity } from "../../rules/workloads/podSecurity";
import { deployment, hardenedContainer } from "../fixtures/mesh";
import { runResourcePolicy } from "../../../simulate/policyRunner";

function podSpec(d: ReturnType<typeof deployment>): Json {
  return ((d.props.spec as Json).template as Json).spec as Json;
}

describe("lucid-workloads-pod-security", () => {
  it("passes a hardened Deployment, and a Pod", async () => {
    assert.deepEqual((await runResourcePolicy(podSecurity, deployment())).violations, []);
    const pod = {
      type: "kubernetes:core/v1:Pod",
      name: "p",
      props: { spec: { containers: [hardenedContainer("a", "x:1")] } },
    };
    assert.deepEqual(checkPodSecurity(pod, {}), []);
  });

  it("fails a container with every setting missing, naming each fix", () => {
    const d = deployment();
    const spec = podSpec(d);
    delete spec.securityContext;
    spec.containers = [{ name: "app", image: "hashicorp/http-echo:1.0.0" }];
    spec.initContainers = [];
    assert.deepEqual(checkPodSecurity(d, {}), [
      'container app is not hardened; set securityContext.runAsNonRoot: true; set securityContext.allowPrivilegeEscalation: false; set securityContext.capabilities.drop: ["ALL"]; set securityContext.seccompProfile.type: RuntimeDefault; set securityContext.readOnlyRootFilesystem: true; set resources.limits.cpu and resources.limits.memory.',
    ]);
  });

  it("fails an init container that may escalate", () => {
    const d = { ...deployment(), type: "kubernetes:apps/v1:StatefulSet" };
    const init = (podSpec(d).initContainers as Json[])[0] as Json;
    (init.securityContext as Json).allowPrivilegeEscalation = true;
    assert.deepEqual(checkPodSecurity(d, {}), [
      "initContainer envoy-init is not hardened; set securityContext.allowPrivilegeEscalation: false.",
    ]);
  });

  it("fails a container without a memory limit", () => {
    const d = { ...deployment(), type: "kubernetes:apps/v1:DaemonSet" };
    const app = (podSpec(d).containers as Json[])[0] as Json;
    app.resources = { limits: { cpu: "1" } };
    assert.deepEqual(checkPodSecurity(d, {}), ["container app is not hardened; set resources.limits.memory."]);
  });

  it("fails privileged containers, root users and added capabilities", () => {
    const d = deployment();
    const container = (podSpec(d).containers as Json[])[0] as Json;
    Object.assign(container.securityContext as Json, {
      privileged: true,
      runAsUser: 0,
      capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] },
    });
    assert.deepEqual(checkPodSecurity(d, {}), [
      `container ${String(container.name)} is not hardened; remove securityContext.privileged; run as a non-root user, not runAsUser: 0; remove securityContext.capabilities.add NET_ADMIN.`,
    ]);
  });

  it("fails a pod that shares the node's network namespace", () => {
    const d = deployment();
    podSpec(d).hostNetwork = true;
    assert.deepEqual(checkPodSecurity(d, {}), ["The pod shares the node's namespaces; remove spec.hostNetwork."]);
  });

  it("fails a hostPath volume of the Docker socket, or of a directory that holds it", () => {
    for (const path of ["/var/run/docker.sock", "/var/run", "/run/containerd/containerd.sock"]) {
      const d = deployment();
      podSpec(d).volumes = [{ name: "sock", hostPath: { path } }];
      assert.equal(checkPodSecurity(d, {}).length, 1, path);
      assert.match(
        checkPodSecurity(d, {})[0] ?? "",
        /^volume sock mounts hostPath .*: control of the container runtime is root on the node; remove it\.$/,
      );
    }
    const harmless = deployment();
    podSpec(harmless).volumes = [{ name: "data", hostPath: { path: "/srv/data" } }];
    assert.deepEqual(checkPodSecurity(harmless, {}), []);
  });
});
