import {
  TrainClaimRequestSchema,
  TrainClaimSchema,
  TrainItemPageSchema,
} from "@common/contracts/train-claim";
import { ApiError } from "@edge/errors";
import { database } from "@edge/middleware/database";
import { createRouter, errorResponse } from "@edge/openapi";
import { claimTraining } from "@edge/trainings/claim";
import { publishTraining } from "@edge/trainings/events";
import { trainingItems } from "@edge/trainings/items";
import { createRoute, z } from "@hono/zod-openapi";
import { serviceAuth } from "./service-auth";
import { trainingReports } from "./trainings-reports";

const IdParamSchema = z.object({ trainingId: z.uuid() });

const claimRoute = createRoute({
  method: "post",
  path: "/trainings/{trainingId}/claim",
  hide: true,
  request: {
    params: IdParamSchema,
    body: { required: true, content: { "application/json": { schema: TrainClaimRequestSchema } } },
  },
  responses: {
    200: {
      description: "Claimed, busy, or finished",
      content: { "application/json": { schema: TrainClaimSchema } },
    },
  },
});

const itemsRoute = createRoute({
  method: "get",
  path: "/trainings/{trainingId}/items",
  hide: true,
  request: {
    params: IdParamSchema,
    query: z.object({
      attempt: z.coerce.number().int().min(1),
      cursor: z.uuid().optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of the dataset with presigned image URLs",
      content: { "application/json": { schema: TrainItemPageSchema } },
    },
    409: errorResponse("The attempt is no longer current (`training_finished`): stop"),
  },
});

/**
 * The trainer service's API (`common/contracts/train-claim.ts`), mounted at `/internal/v1` beside
 * the inference service's and hidden from the public document; bearer `TRAINER_CALLBACK_TOKEN`.
 */
export const internalTrainingsRouter = createRouter();
internalTrainingsRouter.use("/trainings/*", serviceAuth("TRAINER_CALLBACK_TOKEN"), database());

internalTrainingsRouter.openapi(claimRoute, async (c) => {
  const { trainingId } = c.req.valid("param");
  const { delivery } = c.req.valid("json");
  const { claim, run } = await claimTraining(c.var.db, c.var.config, trainingId);
  c.var.logger.info("training claimed", { trainingId, delivery, outcome: claim.outcome });
  if (run) c.executionCtx.waitUntil(publishTraining(c.env, run, c.var.logger));
  return c.json(claim, 200);
});

internalTrainingsRouter.openapi(itemsRoute, async (c) => {
  const { trainingId } = c.req.valid("param");
  const { attempt, cursor } = c.req.valid("query");
  const result = await trainingItems(c.var.db, c.var.config, {
    id: trainingId,
    attempt,
    cursor,
    limit: c.var.config.TRAINING_ITEMS_PAGE_SIZE,
  });
  if ("stop" in result) {
    throw new ApiError("training_finished", `Attempt ${attempt} is no longer current (${result.stop})`, {
      details: { reason: result.stop },
    });
  }
  return c.json(result.page, 200);
});

internalTrainingsRouter.route("/", trainingReports);
