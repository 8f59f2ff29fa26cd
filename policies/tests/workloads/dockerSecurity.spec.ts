import { strict as assert } from "node:assert";
import { checkDockerSecurity, dockerSecurity } from "../../rules/workloads/dockerSecurity";
import { consulContainer, sidecarContainer } from "../fixtures/mesh";
import { runResourcePolicy } from "../../../simulate/policyRunner";

const check = (r: ReturnType<typeof sidecarContainer>): string[] => checkDockerSecurity(r, {});

describe("lucid-workloads-docker-security", () => {
  it("passes the generated sidecar and Consul server containers", async () => {
    assert.deepEqual(check(sidecarContainer()), []);
    assert.deepEqual(check(consulContainer()), []);
    assert.deepEqual((await runResourcePolicy(dockerSecurity, sidecarContainer())).violations, []);
  });

  it("fails a privileged container", () => {
    const r = sidecarContainer();
    r.props.privileged = true;
    assert.deepEqual(check(r), [
      "the container runs privileged, with every capability and device of the host; remove privileged.",
    ]);
  });

  it("fails the host's network, PID and IPC namespaces, but not another container's", () => {
    const r = sidecarContainer();
    Object.assign(r.props, { networkMode: "host", pidMode: "host", ipcMode: "host" });
    assert.deepEqual(check(r), [
      "the container shares the host's network namespace (networkMode: host); use the cluster network or another container's namespace.",
      "the container shares the host's pid namespace (pidMode: host); use the cluster network or another container's namespace.",
      "the container shares the host's ipc namespace (ipcMode: host); use the cluster network or another container's namespace.",
    ]);
    const joined = sidecarContainer();
    joined.props.networkMode = "container:east-api-gateway-1";
    assert.deepEqual(check(joined), []);
  });

  it("fails the Docker socket mounted as a volume or a bind mount, or through a parent directory", () => {
    const volume = sidecarContainer();
    volume.props.volumes = [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }];
    assert.deepEqual(check(volume), [
      "the container mounts /var/run/docker.sock from the host, which exposes /var/run/docker.sock: control of the container runtime is root on the host; remove the mount.",
    ]);
    const parent = sidecarContainer();
    parent.props.mounts = [{ type: "bind", source: "/run/", target: "/host-run" }];
    assert.deepEqual(check(parent), [
      "the container mounts /run/ from the host, which exposes /run/docker.sock: control of the container runtime is root on the host; remove the mount.",
    ]);
    const named = sidecarContainer();
    named.props.volumes = [{ volumeName: "certs", containerPath: "/etc/envoy-secrets" }];
    assert.deepEqual(check(named), []);
  });

  it("fails capabilities that amount to root on the host", () => {
    const r = sidecarContainer();
    r.props.capabilities = { drops: ["ALL"], adds: ["CAP_SYS_ADMIN", "NET_BIND_SERVICE"] };
    assert.deepEqual(check(r), ["the container adds SYS_ADMIN; remove them from capabilities.adds."]);
  });
});
