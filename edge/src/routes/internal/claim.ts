import { JobClaimRequestSchema, JobClaimSchema } from "@common/contracts/job-claim";
import { errorFields } from "@common/logger";
import { claimJob } from "@edge/jobs/claim";
import { publishJobEvents } from "@edge/jobs/events";
import { createRouter } from "@edge/openapi";
import { createRoute, z } from "@hono/zod-openapi";

const route = createRoute({
  method: "post",
  path: "/jobs/{jobId}/claim",
  hide: true,
  request: {
    params: z.object({ jobId: z.uuid() }),
    body: { required: true, content: { "application/json": { schema: JobClaimRequestSchema } } },
  },
  responses: {
    200: {
      description: "Claimed, or already finished",
      content: { "application/json": { schema: JobClaimSchema } },
    },
  },
});

/**
 * The inference service claims a job before working on it (see `common/contracts/job-claim.ts`).
 * Both answers are 200; only a failure to record (database unavailable) is not, and the message
 * comes back later.
 */
export const postJobClaim = createRouter().openapi(route, async (c) => {
  const { jobId } = c.req.valid("param");
  const { attempt } = c.req.valid("json");
  const { claim, ownerId, event } = await claimJob(c.var.db, c.var.config, jobId, attempt);
  if (ownerId && event) {
    // Live views show the job running; a missed event is harmless (waits end on the database).
    c.executionCtx.waitUntil(
      publishJobEvents(c.env, ownerId, [event]).catch((error) =>
        c.var.logger.warn("job event not published", { jobId, ...errorFields(error) }),
      ),
    );
  }
  return c.json(claim, 200);
});
