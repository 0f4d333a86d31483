import { createApp } from "../../edge/src/app";
import type { Bindings } from "../../edge/src/env";
import { handleQueue } from "./queues";
import { handleScheduled } from "./scheduled";

export { JobEvents } from "./job-events/durable-object";
export { RateLimiter } from "./rate-limiter/durable-object";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: handleQueue,
  scheduled: handleScheduled,
} satisfies ExportedHandler<Bindings>;
