import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { loadReviews, toJobReview } from "@edge/reviews/reviewed-set";
import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { JobIdParamSchema } from "../jobs/schema";
import { reviewableJob } from "./reviewable";
import { etagOf, JobReviewSchema } from "./schema";

const route = createRoute({
  method: "get",
  path: "/{id}/review",
  tags: ["Review"],
  summary: "Read a job's reviewed set",
  description: [
    "Every indication of the job: the model's detections (with the reviewer's decision, label, box",
    "and note, and the model's `original` output) and boxes reviewers drew. Never-reviewed jobs show",
    "version 0 and every detection `pending`. The `ETag` header is the review version: send it as",
    "`If-Match` with review actions. Needs `jobs:read`.",
  ].join(" "),
  security: bearerSecurity,
  request: { params: JobIdParamSchema },
  responses: {
    200: {
      description: "The review",
      headers: { ETag: { schema: { type: "string" }, description: "The review version, quoted" } },
      content: { "application/json": { schema: JobReviewSchema } },
    },
    404: errorResponse("No such job among yours (`not_found`)"),
    409: errorResponse("The job has not succeeded (`job_not_finished`)"),
    ...authErrorResponses,
  },
});

export const getReview = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "jobs:read");
  const { id } = c.req.valid("param");
  const { image } = await reviewableJob(c.var.db, principal.userId, id);
  const state = (await loadReviews(c.var.db, [id])).get(id) ?? { version: 0, items: [] };
  c.header("ETag", etagOf(state.version));
  c.header("Cache-Control", "no-store");
  return c.json(toJobReview(id, image, state), 200);
});
