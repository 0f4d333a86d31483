import { errorFields } from "@common/logger";
import { images, jobs } from "@db/schema";
import { ApiError, queueUnavailable } from "@edge/errors";
import { pickShadowJobs } from "@edge/evaluations/shadow";
import { IdempotencyHeaderSchema, idempotently } from "@edge/idempotency";
import {
  admitJobs,
  assertAdmissible,
  backlogCountFields,
  currentLimits,
  fastRefusal,
} from "@edge/jobs/admission";
import { detectMessage, enqueueDetect } from "@edge/jobs/queue-messages";
import { toJob } from "@edge/jobs/views";
import { requireScope } from "@edge/middleware/authenticate";
import { resolveJobModel } from "@edge/models/resolve";
import { createRouter, errorResponse } from "@edge/openapi";
import { createRoute } from "@hono/zod-openapi";
import { and, eq, inArray, sql } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { CreateJobsSchema, QueuedJobsSchema } from "./schema";

const route = createRoute({
  method: "post",
  path: "/",
  tags: ["Jobs"],
  summary: "Run detection on one or more images",
  description: [
    "Creates one job per image and queues them. Answers 202 at once; follow `Location` (wait with",
    "`GET /v1/jobs/{id}?wait=30`). Send `Idempotency-Key` to make retries safe: the same key and body",
    "return the same answer, another body under the key is refused. Needs `jobs:write`.",
  ].join(" "),
  security: bearerSecurity,
  request: {
    headers: IdempotencyHeaderSchema,
    body: { required: true, content: { "application/json": { schema: CreateJobsSchema } } },
  },
  responses: {
    202: {
      description: "Queued",
      content: { "application/json": { schema: QueuedJobsSchema } },
    },
    400: errorResponse(
      "Invalid body (`validation_failed`, `malformed_json`, `unknown_model`, `too_many_images`)",
    ),
    404: errorResponse("An image, or the model version (`name@N`), is not among yours (`not_found`)"),
    409: errorResponse("Idempotency-Key reused with another body, or still in progress"),
    503: errorResponse(
      "Nothing was created: the queue is unavailable (`queue_unavailable`), the jobs ahead would not finish within the wait budget or you hold your share of them (`backlog_full`), or the database is saturated (`database_unavailable`); retry after `Retry-After`",
    ),
    ...authErrorResponses,
  },
});

export const createJobs = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "jobs:write");
  const config = c.var.config;
  const body = c.req.valid("json");
  const imageIds = [...new Set(body.imageIds ?? [body.imageId as string])];
  if (imageIds.length > config.MAX_IMAGES_PER_JOB_REQUEST) {
    throw new ApiError(
      "too_many_images",
      `At most ${config.MAX_IMAGES_PER_JOB_REQUEST} images per request; got ${imageIds.length}`,
    );
  }
  // A creation without a key met this isolate's estimate before authentication (shed-backlog),
  // which holds it there as one job; it meets the estimate again below, as a keyed one does once
  // no replay is found: before any statement of its own (the model's version lookup included),
  // with all its images, and with what the isolate admitted or counted while the caller was
  // looked up.
  const hold = c.var.admissionHold;
  const key = c.req.valid("header")["idempotency-key"];
  const refuseIfFull = () => {
    const refusal = fastRefusal(c.var.db, config, imageIds.length, hold?.held);
    if (refusal) throw refusal;
    hold?.hold(imageIds.length);
  };
  if (!key) refuseIfFull();
  const model = await resolveJobModel(c.var.db, config, principal.userId, body.model);

  const { body: response, replayed } = await idempotently(
    c.var.db,
    principal.userId,
    key,
    `POST /v1/jobs\n${JSON.stringify(body)}`,
    202,
    async () => {
      if (key) refuseIfFull();
      // One round trip: the caller's quota, the backlog (all owners and the caller's) and the
      // images; the drain figures alongside, read once per ADMISSION_CACHE_SECONDS per isolate.
      const [limits, [[usage], owned]] = await Promise.all([
        currentLimits(c.var.db, config, (work) => c.executionCtx.waitUntil(work)),
        c.var.db.batch([
          c.var.db
            .select({
              today: sql<number>`(select count(*) from ${jobs} where ${jobs.ownerId} = ${principal.userId} and ${jobs.createdAt} > now() - interval '1 day')::int`,
              ...backlogCountFields(principal.userId, config.MAX_UNFINISHED_JOBS),
            })
            .from(sql`(select 1) as one`),
          c.var.db
            .select()
            .from(images)
            .where(and(eq(images.ownerId, principal.userId), inArray(images.id, imageIds))),
        ]),
      ]);
      const { today, unfinished, ownerUnfinished } = usage ?? { today: 0, unfinished: 0, ownerUnfinished: 0 };
      if (today + imageIds.length > config.JOBS_PER_DAY) {
        throw new ApiError(
          "quota_exceeded",
          `Daily job quota reached: ${today} of ${config.JOBS_PER_DAY} used in the last 24 hours`,
          { headers: { "Retry-After": "3600" } },
        );
      }
      // A cheap early refusal without the admission lock; admitJobs decides atomically.
      assertAdmissible(c.var.db, limits, { unfinished, ownerUnfinished, requested: imageIds.length }, hold);
      const byId = new Map(owned.map((image) => [image.id, image]));
      const missing = imageIds.filter((id) => !byId.has(id));
      if (missing.length)
        throw new ApiError("not_found", "Image not found", { details: { imageIds: missing } });

      const params = {
        conf: body.conf,
        iou: body.iou,
        maxDet: body.maxDet,
        classes: body.classes,
        tiling: body.tiling,
        ...(body.pixelSizeMm ? { pixelSizeMm: body.pixelSizeMm } : {}),
      };
      const created = await admitJobs(
        c.var.db,
        imageIds.map((imageId) => ({
          ownerId: principal.userId,
          imageId,
          model,
          params,
          traceparent: c.var.trace.traceparent,
        })),
        limits,
        hold,
      );
      // Before the enqueue, so a claim sees the pick; a failed pick only means no shadow run.
      await pickShadowJobs(
        c.var.db,
        principal.userId,
        model,
        created.map((job) => job.id),
      ).catch((error: unknown) => c.var.logger.warn("shadow pick failed", errorFields(error)));
      try {
        const messages = await Promise.all(
          created.map((job) => detectMessage(config, job, byId.get(job.imageId) as (typeof owned)[number])),
        );
        await enqueueDetect(c.env.DETECT_QUEUE, messages);
      } catch (error) {
        // Nothing half-accepted: jobs that could not be queued do not exist.
        await c.var.db.delete(jobs).where(
          inArray(
            jobs.id,
            created.map((job) => job.id),
          ),
        );
        throw queueUnavailable("Jobs", error);
      }
      c.var.logger.info("jobs queued", { count: created.length, model });
      return {
        jobs: created.map((job) => toJob(job, byId.get(job.imageId) as (typeof owned)[number])),
      };
    },
  );
  if (replayed) c.header("Idempotent-Replayed", "true");
  else {
    const ids = response.jobs.map((job) => job.id);
    c.header("Location", ids.length === 1 ? `/v1/jobs/${ids[0]}` : `/v1/jobs?ids=${ids.join(",")}`);
  }
  return c.json(response, 202);
});
