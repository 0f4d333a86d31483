import { createApp } from "@edge/app";
import type { Bindings } from "@edge/env";
import { handleQueue } from "./queues";
import { handleScheduled } from "./scheduled";

export { JobEvents } from "./job-events/durable-object";
export { RateLimiter } from "./rate-limiter/durable-object";
export { TrainingEvents } from "./training-events/durable-object";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: handleQueue,
  scheduled: handleScheduled,
} satisfies ExportedHandler<Bindings>;
