import { trainings } from "@db/schema";
import { queueUnavailable } from "@edge/errors";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { createTraining } from "@edge/trainings/create";
import { enqueueTrain, trainMessage } from "@edge/trainings/queue-messages";
import { toTraining } from "@edge/trainings/views";
import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { CreateTrainingSchema, TrainingSchema } from "./schema";

const route = createRoute({
  method: "post",
  path: "/",
  tags: ["Trainings"],
  summary: "Fine-tune a model on a dataset",
  description: [
    "Creates a `queued` training run and queues it for a trainer. Answers 202 at once; follow",
    "`Location`, or its event stream. A successful run adds the next registry version of `name`",
    "with the dataset and base model as lineage and the run's metrics. Needs `trainings:write`.",
  ].join(" "),
  security: bearerSecurity,
  request: { body: { required: true, content: { "application/json": { schema: CreateTrainingSchema } } } },
  responses: {
    202: { description: "Queued", content: { "application/json": { schema: TrainingSchema } } },
    400: errorResponse(
      "Invalid body or a limit exceeded (`validation_failed`), unknown shipped model (`unknown_model`)",
    ),
    404: errorResponse("The dataset or base version is not among yours (`not_found`)"),
    422: errorResponse("The dataset lacks train or val images (`dataset_empty`)"),
    503: errorResponse("Nothing was created: the queue is unavailable (`queue_unavailable`)"),
    ...authErrorResponses,
  },
});

export const postTraining = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "trainings:write");
  const run = await createTraining(c.var.db, c.var.config, {
    ownerId: principal.userId,
    body: c.req.valid("json"),
    traceparent: c.var.trace.traceparent,
  });
  try {
    await enqueueTrain(c.env.TRAIN_QUEUE, [trainMessage(run)]);
  } catch (error) {
    // Nothing half-accepted: a run that could not be queued does not exist.
    await c.var.db.delete(trainings).where(eq(trainings.id, run.id));
    throw queueUnavailable("The training run", error);
  }
  c.var.logger.info("training queued", { trainingId: run.id, baseModel: run.baseModel, epochs: run.epochs });
  c.header("Location", `/v1/trainings/${run.id}`);
  return c.json(toTraining(run), 202);
});
