import { trainings } from "@db/schema";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { toTraining } from "@edge/trainings/views";
import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { PageQuerySchema, pageSize, toPage } from "../pagination";
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
  const limit = pageSize(c.var.config, query.limit);
  const rows = await c.var.db
    .select()
    .from(trainings)
    .where(
      and(
        eq(trainings.ownerId, principal.userId),
        query.cursor ? lt(trainings.id, query.cursor) : undefined,
        query.status ? eq(trainings.status, query.status) : undefined,
      ),
    )
    .orderBy(desc(trainings.id))
    .limit(limit + 1);
  const { page, nextCursor } = toPage(rows, limit);
  return c.json({ items: page.map(toTraining), nextCursor }, 200);
});
