import { trainings } from "@db/schema";
import { ApiError } from "@edge/errors";
import { requireScope } from "@edge/middleware/authenticate";
import { createRouter, errorResponse } from "@edge/openapi";
import { publishTraining } from "@edge/trainings/events";
import { ownedTraining } from "@edge/trainings/owned";
import { activeTrainingStatuses, toTraining } from "@edge/trainings/views";
import { createRoute } from "@hono/zod-openapi";
import { and, eq, inArray, sql } from "drizzle-orm";
import { authErrorResponses, bearerSecurity } from "../common-responses";
import { TrainingIdParamSchema, TrainingSchema } from "./schema";

const route = createRoute({
  method: "post",
  path: "/{id}/cancel",
  tags: ["Trainings"],
  summary: "Cancel a training run",
  description: [
    "A queued or running run becomes `cancelled` at once; its trainer stops at its next epoch",
    "report and nothing it reports afterwards counts. Cancelling a cancelled run answers it again.",
    "Needs `trainings:write`.",
  ].join(" "),
  security: bearerSecurity,
  request: { params: TrainingIdParamSchema },
  responses: {
    200: { description: "The cancelled run", content: { "application/json": { schema: TrainingSchema } } },
    404: errorResponse("No such run among yours (`not_found`)"),
    409: errorResponse("The run already succeeded or failed (`training_finished`)"),
    ...authErrorResponses,
  },
});

export const cancelTraining = createRouter().openapi(route, async (c) => {
  const principal = requireScope(c, "trainings:write");
  const { id } = c.req.valid("param");
  const [cancelled] = await c.var.db
    .update(trainings)
    .set({ status: "cancelled", finishedAt: sql`now()`, updatedAt: sql`now()` })
    .where(
      and(
        eq(trainings.id, id),
        eq(trainings.ownerId, principal.userId),
        inArray(trainings.status, [...activeTrainingStatuses]),
      ),
    )
    .returning();
  if (cancelled) {
    c.executionCtx.waitUntil(publishTraining(c.env, cancelled, c.var.logger));
    return c.json(toTraining(cancelled), 200);
  }
  const run = await ownedTraining(c.var.db, principal.userId, id);
  if (run.status !== "cancelled") {
    throw new ApiError("training_finished", `The run already ${run.status}`, {
      details: { status: run.status },
    });
  }
  return c.json(toTraining(run), 200);
});
