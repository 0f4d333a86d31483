import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../../errors";
import { toJob } from "../../jobs/views";
import { requireScope } from "../../middleware/authenticate";
import { createRouter, errorResponse } from "../../openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { ownedJob } from "./owned";
import { JobIdParamSchema, JobSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/{id}",
  tags: ["Jobs"],
  summary: "A job, with its detections once it succeeded",
  description:
    "`wait=N` long-polls: the answer comes as soon as the job has finished, or after N seconds with its current state (at most JOB_WAIT_MAX_SECONDS). Needs `jobs:read`.",
  security: bearerSecurity,
  request: {
    params: JobIdParamSchema,
    query: z.object({
      wait: z.coerce
        .number()
        .int()
        .min(0)
        .default(0)
        .openapi({ description: "Seconds to wait for completion" }),
    }),
  },
  responses: {
    200: { description: "The job", content: { "application/json": { schema: JobSchema } } },
    400: errorResponse("Invalid `wait` (`validation_failed`)"),
    404: errorResponse("No such job among yours (`not_found`)"),
    ...authErrorResponses,
  },
});

const finished = (status: string) => status === "succeeded" || status === "failed";

export const getJob = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "jobs:read");
  const { id } = c.req.valid("param");
  const { wait } = c.req.valid("query");
  if (wait > c.var.config.JOB_WAIT_MAX_SECONDS) {
    throw new ApiError(
      "validation_failed",
      `wait must be at most ${c.var.config.JOB_WAIT_MAX_SECONDS} seconds`,
    );
  }
  const deadline = Date.now() + wait * 1000;
  let current = await ownedJob(c.var.db, principal.userId, id);
  // Poll gently: quick at first (jobs often finish within a second), then every 2 s.
  for (
    let delay = 250;
    !finished(current.job.status) && Date.now() + delay <= deadline;
    delay = Math.min(delay * 2, 2000)
  ) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    current = await ownedJob(c.var.db, principal.userId, id);
  }
  return c.json(toJob(current.job, current.image, current.detections), 200);
});
