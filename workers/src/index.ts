import { createApp } from "../../edge/src/app";
import type { Bindings } from "../../edge/src/env";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Bindings>;
