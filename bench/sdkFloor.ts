/**
 * The Pulumi SDK's own floor under mocks: how long it takes to register as many resources as the mesh has, when
 * each is trivial (one custom resource type, five small inputs, echoed back) and the program does nothing else.
 * Same conditions as the render: SDK debug aids off, declared in batches with the same settle() between them.
 * Whatever the mesh takes beyond this is ours; what this takes is the SDK's.
 */
import * as pulumi from "@pulumi/pulumi";
import { declareInBatches } from "../components/pacing";
import { settle } from "../simulate/recorder";
import { withoutSdkDebugAids } from "../simulate/sdkDebugAids";
import { timeAsync } from "./measure";

/** Trivial resources per batch: each weighs a fraction of a sidecar's. */
const BATCH = 100;

class TrivialResource extends pulumi.CustomResource {
  constructor(name: string, index: number, opts: pulumi.CustomResourceOptions) {
    super(
      "bench:index:Trivial",
      name,
      { name, index, labels: { app: "bench", tier: "floor" }, ports: [8080, 15001], enabled: true },
      opts,
    );
  }
}

class TrivialGroup extends pulumi.ComponentResource {
  constructor(name: string) {
    super("bench:index:Group", name, {}, {});
    this.registerOutputs({});
  }
}

/** Mocks for the floors: every resource's state is its inputs, with no provider model behind it. */
export function useEchoMocks(project: string, stack: string): Promise<void> {
  return pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
      call: (args) => args.inputs,
    },
    project,
    stack,
    false,
  );
}

/** Registers `count` trivial resources (one component per 10) under mocks; returns the wall time in ms. */
export async function measureSdkFloor(count: number): Promise<number> {
  await useEchoMocks("bench-floor", "floor");
  const timed = await timeAsync(() =>
    withoutSdkDebugAids(async () => {
      let group: TrivialGroup | undefined;
      const indices = Array.from({ length: count }, (_, i) => i);
      await declareInBatches(indices, BATCH, settle, (i) => {
        if (i % 10 === 0) group = new TrivialGroup(`group-${i}`);
        new TrivialResource(`trivial-${i}`, i, { parent: group });
      });
      await settle();
    }),
  );
  return timed.ms;
}
