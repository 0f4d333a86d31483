import { createApp } from "../../edge/src/app";
import type { Bindings } from "../../edge/src/env";

export { RateLimiter } from "./rate-limiter/durable-object";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Bindings>;
