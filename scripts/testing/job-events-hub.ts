import type { JobEventsRpc } from "@edge/durable-objects";
import type { TestWorker } from "./test-worker";

/** An owner's job-events hub, as the test Worker's `JOB_EVENTS` binding reaches it. */
export async function jobEventsHub(worker: TestWorker, ownerId: string) {
  // Miniflare types the namespace without its class; the calls made on it are the RPC interface's.
  const namespace = (await worker.mf.getDurableObjectNamespace(
    "JOB_EVENTS",
  )) as unknown as DurableObjectNamespace<JobEventsRpc>;
  return namespace.get(namespace.idFromName(ownerId));
}
