import { openInThread } from "./onnx-session";
import type { ModelSession, WorkerReply, WorkerRequest } from "./runtime";

/**
 * Worker-thread host of one onnxruntime session (see `runtime.ts`). Requests are handled strictly
 * one after another, so runs never overlap and a dispose waits for the run before it.
 */

declare const self: Worker;

let session: ModelSession | null = null;

const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => self.postMessage(message, transfer);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function handle(request: WorkerRequest): Promise<void> {
  switch (request.type) {
    case "open":
      try {
        session = await openInThread(request.model, request.options);
        reply({ type: "opened", inputs: session.inputs, outputs: session.outputs });
      } catch (error) {
        reply({ type: "failed", id: null, message: messageOf(error) });
      }
      return;
    case "run":
      try {
        if (session === null) throw new Error("no model session is open");
        const output = await session.run(request.input, request.dims, request.outputName);
        reply({ type: "ran", id: request.id, output }, [output.data.buffer as ArrayBuffer]);
      } catch (error) {
        reply({ type: "failed", id: request.id, message: messageOf(error) });
      }
      return;
    case "dispose":
      await session?.dispose();
      session = null;
      reply({ type: "disposed" });
      return;
  }
}

let queue = Promise.resolve();
self.addEventListener("message", (event: MessageEvent<WorkerRequest>) => {
  queue = queue.then(() => handle(event.data));
});
