import { ApiError } from "@edge/errors";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { applyReviewActions } from "@edge/reviews/apply-actions";
import { reviewPrecondition } from "@edge/reviews/if-match";
import { loadReviews, toJobReview } from "@edge/reviews/reviewed-set";
import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { JobIdParamSchema } from "../jobs/schema";
import { reviewableJob } from "./reviewable";
import { etagOf, IfMatchHeaderSchema, ReviewActionsResultSchema, ReviewActionsSchema } from "./schema";

const route = createRoute({
  method: "post",
  path: "/{id}/review/actions",
  tags: ["Review"],
  summary: "Accept, reject, reset, relabel, resize, draw or annotate indications; accept all above a score",
  description: [
    "Applies the actions in order, all or none, as one new review version, and records each in the",
    "audit history (who, when, before, after). The model's own output is never changed.",
    "`If-Match` must carry the review's current `ETag` (from `GET .../review` or the last action",
    "answer), or a list of tags that contains it, or `*` (any version); tags compare strongly",
    '(RFC 9110), so a weak tag `W/"3"` never matches. Without it 428 `precondition_required`;',
    "when someone else changed the review since, 412 `precondition_failed` with",
    "`details.currentVersion` (reload, then retry). Boxes are pixels of the original image (xyxy),",
    "must lie within it and keep x1 < x2, y1 < y2 once stored as 32-bit floats. Needs `jobs:write`.",
  ].join(" "),
  security: bearerSecurity,
  request: {
    params: JobIdParamSchema,
    headers: IfMatchHeaderSchema,
    body: { required: true, content: { "application/json": { schema: ReviewActionsSchema } } },
  },
  responses: {
    200: {
      description: "The review after the actions, with its new `ETag`",
      headers: { ETag: { schema: { type: "string" }, description: "The new review version, quoted" } },
      content: { "application/json": { schema: ReviewActionsResultSchema } },
    },
    400: errorResponse(
      "Invalid body, a box outside the image, or a class not the model's (`validation_failed`, `malformed_json`)",
    ),
    404: errorResponse("No such job among yours, or an `itemId` not of this job (`not_found`)"),
    409: errorResponse(
      "The job has not succeeded (`job_not_finished`), or too many drawn boxes (`review_limit_reached`)",
    ),
    412: errorResponse("`If-Match` is not the current version (`precondition_failed`)"),
    428: errorResponse("`If-Match` is missing (`precondition_required`)"),
    ...authErrorResponses,
  },
});

export const reviewActions = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "jobs:write");
  const { id } = c.req.valid("param");
  const { actions } = c.req.valid("json");
  const ifMatch = c.req.valid("header")["if-match"];
  if (ifMatch === undefined) {
    throw new ApiError("precondition_required", "Send If-Match with the review's ETag");
  }
  const precondition = reviewPrecondition(ifMatch);
  if (precondition === null) {
    throw new ApiError("precondition_failed", 'If-Match must be the review\'s ETag, e.g. "3"');
  }
  const limit = c.var.config.REVIEW_MAX_ACTIONS_PER_REQUEST;
  if (actions.length > limit) {
    throw new ApiError("validation_failed", `At most ${limit} actions per request; got ${actions.length}`);
  }
  const { image, job } = await reviewableJob(c.var.db, principal.userId, id);
  const { version, added } = await applyReviewActions(c.var.db, {
    jobId: id,
    image,
    actor: { userId: principal.userId, apiKeyId: principal.apiKeyId ?? null },
    precondition,
    actions,
    maxAdded: c.var.config.REVIEW_MAX_ADDED_PER_JOB,
    classes: job.modelClasses ?? null,
  });
  const state = (await loadReviews(c.var.db, [id])).get(id) ?? { version, items: [] };
  c.var.logger.info("review updated", { jobId: id, version, actions: actions.length });
  c.header("ETag", etagOf(state.version));
  return c.json({ ...toJobReview(id, image, state), added }, 200);
});
