import { trainings } from "@db/schema";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { toTraining } from "@edge/trainings/views";
import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { PageQuerySchema, pageSize, selectPage } from "../pagination";
import { TrainingPageSchema, TrainingStatusSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/",
  tags: ["Trainings"],
  summary: "List your training runs",
  description: "Newest first; `status` lists runs in one status. Needs `trainings:read`.",
  security: bearerSecurity,
  request: { query: PageQuerySchema.extend({ status: TrainingStatusSchema.optional() }) },
  responses: {
    200: { description: "A page of runs", content: { "application/json": { schema: TrainingPageSchema } } },
    400: errorResponse("Invalid query (`validation_failed`)"),
    ...authErrorResponses,
  },
});

export const listTrainings = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "trainings:read");
  const query = c.req.valid("query");
  const { page, nextCursor } = await selectPage(
    c.var.db.select().from(trainings).$dynamic(),
    trainings.id,
    { cursor: query.cursor, limit: pageSize(c.var.config, query.limit), order: "newest" },
    eq(trainings.ownerId, principal.userId),
    query.status ? eq(trainings.status, query.status) : undefined,
  );
  return c.json({ items: page.map(toTraining), nextCursor }, 200);
});
