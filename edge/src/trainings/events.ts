import type { Logger } from "@common/logger";
import { errorFields } from "@common/logger";
import type { Bindings } from "../env";
import { type TrainingRow, type TrainingView, toTraining } from "./views";

/** `training.<status>`: the run's state after a claim, an epoch, a finish or a cancel. */
export type TrainingEvent = { type: `training.${TrainingRow["status"]}`; training: TrainingView };

export const trainingEvent = (run: TrainingRow): TrainingEvent => ({
  type: `training.${run.status}`,
  training: toTraining(run),
});

/**
 * `TRAINING_EVENTS`: one object per run (`workers/src/training-events/durable-object.ts`). Event
 * streams of the run subscribe to it; the trainer's reports and cancels publish to it. Training
 * events are rare (one per epoch), so an object holds its streams in memory while any is open.
 */
export interface TrainingEventsRpc extends Rpc.DurableObjectBranded {
  /** Opens one subscription: a `text/event-stream` body that receives every later event. */
  fetch(request: Request): Promise<Response>;
  /** Writes the event to every open stream (and ends them after a final status); answers how many. */
  publish(event: TrainingEvent): Promise<number>;
}

const hub = (env: Bindings, id: string) => env.TRAINING_EVENTS.get(env.TRAINING_EVENTS.idFromName(id));

/** Opens a subscription to the run's events; its body is the stream to relay. */
export const subscribeTraining = (env: Bindings, id: string, request: Request) =>
  hub(env, id).fetch(new Request(request.url, { signal: request.signal }));

/**
 * Tells the run's open streams what changed. A missed event is harmless: a client that
 * reconnects reads the run's state first.
 */
export async function publishTraining(env: Bindings, run: TrainingRow, logger: Logger): Promise<void> {
  try {
    await hub(env, run.id).publish(trainingEvent(run));
  } catch (error) {
    logger.warn("training event not published", { trainingId: run.id, ...errorFields(error) });
  }
}

/** One server-sent event. */
export const sseEvent = (event: TrainingEvent) =>
  `event: ${event.type}\ndata: ${JSON.stringify(event.training)}\n\n`;
