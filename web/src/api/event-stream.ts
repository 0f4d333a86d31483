import type { ApiClient } from "./client";
import type { JobStatus } from "./types";

/** The `job` object of `/v1/jobs/events` (the one webhooks carry). */
export type JobEvent = {
  type: string;
  job: {
    id: string;
    status: JobStatus;
    imageId: string;
    detectionCount: number | null;
    error: string | null;
  };
};

/**
 * Splits a text/event-stream into `data` payloads of complete events (comments skipped), and the
 * last reconnection delay (`retry:`) the server announced among them.
 */
export function parseEventBlocks(buffer: string): { events: string[]; rest: string; retryMs?: number } {
  const blocks = buffer.replaceAll("\r\n", "\n").split("\n\n");
  const rest = blocks.pop() ?? "";
  const retry = blocks
    .flatMap((block) => block.split("\n"))
    .filter((line) => /^retry:\s*\d+$/.test(line))
    .at(-1);
  const events = blocks
    .map((block) =>
      block
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart())
        .join("\n"),
    )
    .filter((data) => data.length > 0);
  return retry ? { events, rest, retryMs: Number(retry.slice("retry:".length)) } : { events, rest };
}

const isJobEvent = (value: unknown): value is JobEvent =>
  typeof value === "object" && value !== null && "job" in value && typeof value.job === "object";

/**
 * Follows every change to the user's jobs. EventSource cannot send an Authorization header, so
 * the stream is read through fetch; it reconnects after a drop (the server's `retry:` delay, else
 * 2 s) until stopped. A `reconnect` event (the server ended the stream) is not a job event.
 */
export function followJobEvents(api: ApiClient, onEvent: (event: JobEvent) => void): () => void {
  const controller = new AbortController();
  let retryMs = 2000;
  async function run() {
    while (!controller.signal.aborted) {
      try {
        const response = await api.request("/v1/jobs/events", { signal: controller.signal });
        if (!response.ok || !response.body) throw new Error(`events answered ${response.status}`);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const parsed = parseEventBlocks(buffer + value);
          buffer = parsed.rest;
          retryMs = parsed.retryMs ?? retryMs;
          for (const data of parsed.events) {
            const event: unknown = JSON.parse(data);
            if (isJobEvent(event)) onEvent(event);
          }
        }
      } catch {
        if (controller.signal.aborted || !api.session) return;
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
  void run();
  return () => controller.abort();
}
