import { reviewEvents, users } from "@db/schema";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { JobIdParamSchema } from "../jobs/schema";
import { PageQuerySchema, pageSize, toPage } from "../pagination";
import { reviewableJob } from "./reviewable";
import { ReviewEventPageSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/{id}/review/history",
  tags: ["Review"],
  summary: "The audit history of a job's review",
  description:
    "Every review change, newest first: action, indication, the review version it produced, who (user, and API key if one was used), when, and the indication's state before and after. Append-only. Needs `jobs:read`.",
  security: bearerSecurity,
  request: { params: JobIdParamSchema, query: PageQuerySchema },
  responses: {
    200: {
      description: "A page of events",
      content: { "application/json": { schema: ReviewEventPageSchema } },
    },
    400: errorResponse("Invalid query (`validation_failed`)"),
    404: errorResponse("No such job among yours (`not_found`)"),
    409: errorResponse("The job has not succeeded (`job_not_finished`)"),
    ...authErrorResponses,
  },
});

export const reviewHistory = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "jobs:read");
  const { id } = c.req.valid("param");
  const query = c.req.valid("query");
  const limit = pageSize(c.var.config, query.limit);
  await reviewableJob(c.var.db, principal.userId, id);
  const rows = await c.var.db
    .select({ event: reviewEvents, email: users.email })
    .from(reviewEvents)
    .leftJoin(users, eq(users.id, reviewEvents.actorId))
    .where(and(eq(reviewEvents.jobId, id), query.cursor ? lt(reviewEvents.id, query.cursor) : undefined))
    .orderBy(desc(reviewEvents.id))
    .limit(limit + 1);
  const { page, nextCursor } = toPage(
    rows.map((row) => ({ ...row, id: row.event.id })),
    limit,
  );
  const items = page.map(({ event, email }) => ({
    id: event.id,
    version: event.version,
    action: event.action,
    itemId: event.itemId,
    actor: { userId: event.actorId, email, apiKeyId: event.apiKeyId },
    at: event.createdAt.toISOString(),
    before: event.before,
    after: event.after,
  }));
  return c.json({ items, nextCursor }, 200);
});
