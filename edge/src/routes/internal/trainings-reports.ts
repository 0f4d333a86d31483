import {
  TrainFinishAnswerSchema,
  TrainFinishRequestSchema,
  TrainProgressAnswerSchema,
  TrainProgressRequestSchema,
  TrainUploadAnswerSchema,
  TrainUploadRequestSchema,
} from "@common/contracts/train-claim";
import { errorFields } from "@common/logger";
import { requestEvaluation } from "@edge/evaluations/create";
import { createRouter } from "@edge/openapi";
import { publishTraining } from "@edge/trainings/events";
import { finishTraining, startModelUpload } from "@edge/trainings/finish";
import { recordProgress } from "@edge/trainings/progress";
import { createRoute, z } from "@hono/zod-openapi";

const IdParamSchema = z.object({ trainingId: z.uuid() });

const json = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

const answer = <T extends z.ZodType>(description: string, schema: T) => ({
  200: { description, content: { "application/json": { schema } } },
});

const progressRoute = createRoute({
  method: "post",
  path: "/trainings/{trainingId}/progress",
  hide: true,
  request: { params: IdParamSchema, body: json(TrainProgressRequestSchema) },
  responses: answer("Continue, or stop (cancelled, finished, stale)", TrainProgressAnswerSchema),
});

const uploadRoute = createRoute({
  method: "post",
  path: "/trainings/{trainingId}/upload",
  hide: true,
  request: { params: IdParamSchema, body: json(TrainUploadRequestSchema) },
  responses: answer("A signed single-use upload URL, or stop", TrainUploadAnswerSchema),
});

const finishRoute = createRoute({
  method: "post",
  path: "/trainings/{trainingId}/finish",
  hide: true,
  request: { params: IdParamSchema, body: json(TrainFinishRequestSchema) },
  responses: answer("Recorded, or ignored (stale, cancelled, finished)", TrainFinishAnswerSchema),
});

/** The trainer's reports: progress per epoch, the model upload, the finish. */
export const trainingReports = createRouter();

trainingReports.openapi(progressRoute, async (c) => {
  const { trainingId } = c.req.valid("param");
  const { version: _version, attempt, ...epoch } = c.req.valid("json");
  const { answer, run } = await recordProgress(c.var.db, trainingId, attempt, epoch);
  if (run) c.executionCtx.waitUntil(publishTraining(c.env, run, c.var.logger));
  return c.json(answer, 200);
});

trainingReports.openapi(uploadRoute, async (c) => {
  const { trainingId } = c.req.valid("param");
  const { attempt } = c.req.valid("json");
  const ticket = await startModelUpload(c.var.db, c.var.config, {
    id: trainingId,
    attempt,
    baseUrl: new URL(c.req.url).origin,
  });
  return c.json(ticket, 200);
});

trainingReports.openapi(finishRoute, async (c) => {
  const { trainingId } = c.req.valid("param");
  const body = c.req.valid("json");
  const { answer, run, version } = await finishTraining(
    { db: c.var.db, bucket: c.env.IMAGES, config: c.var.config },
    trainingId,
    body,
  );
  c.var.logger.info("training finish", { trainingId, attempt: body.attempt, ...answer });
  if (run) c.executionCtx.waitUntil(publishTraining(c.env, run, c.var.logger));
  // The new version is evaluated on the dataset's val split at once; one not queued now is
  // queued by the sweeper.
  if (version) {
    await requestEvaluation(
      c.var.db,
      c.var.config,
      c.env.DETECT_QUEUE,
      version,
      c.var.trace.traceparent,
    ).catch((error: unknown) =>
      c.var.logger.warn("evaluation not queued", { trainingId, ...errorFields(error) }),
    );
  }
  return c.json(answer, 200);
});
