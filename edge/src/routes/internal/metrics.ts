import { operationsFigures } from "@edge/metrics/operations-figures";
import { prometheusExposition } from "@edge/metrics/prometheus";
import { createRouter } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";

const route = createRoute({
  method: "get",
  path: "/metrics",
  hide: true,
  responses: { 200: { description: "Prometheus text exposition format" } },
});

/** The backlog and recent outcomes as Prometheus gauges; read-only, `OPERATIONS_TOKEN`. */
export const getMetrics = createRouter().openapi(route, async (c) => {
  const figures = await operationsFigures(c.var.db, c.var.config.OPERATIONS_CACHE_SECONDS);
  const { body, contentType } = await prometheusExposition(figures);
  return c.body(body, 200, { "Content-Type": contentType, "Cache-Control": "no-store" });
});
