/**
 * One turn of the loop through the product's API: detect on films with the shipped model, write the
 * generator's labels as the review, build a dataset of the reviewed jobs, fine-tune the shipped
 * model on it and wait, bounded, for the trainer service to finish.
 */
import { loadavg } from "node:os";
import { startTraining, trainingOutcome } from "@scripts/testing/lifecycle-fixtures";
import { applyReview, datasetFromJobs, getReview, runJobs, uploadImage } from "./api";
import type { Film } from "./films";
import { addTallies, type ReviewTally, reviewActions } from "./review";
import type { BenchStack } from "./stack";

export const BASE_MODEL = "weld-defects";
/** REVIEW_MAX_ACTIONS_PER_REQUEST's default. */
const ACTIONS_PER_REQUEST = 100;

export type TrainParams = { epochs: number; imgsz?: number; tileSize?: number };

/** Reviewed jobs so far, in film order: a larger N reuses the reviews of a smaller one. */
export type Reviewed = { jobIds: string[]; tallies: ReviewTally[] };

/** Uploads `films`, runs the shipped model on them and reviews each job with the films' labels. */
export async function detectAndReview(
  stack: BenchStack,
  films: readonly Film[],
  reviewed: Reviewed,
  boundMs: number,
) {
  const { worker, auth } = stack;
  const imageIds: string[] = [];
  for (const film of films) imageIds.push(await uploadImage(worker, auth, film.png));
  const jobs = await runJobs(worker, auth, imageIds, { model: BASE_MODEL }, boundMs);
  for (const [i, { id: jobId }] of jobs.entries()) {
    const film = films[i] as Film;
    const { review } = await getReview(worker, auth, jobId);
    const { actions, tally } = reviewActions(review, film.labels);
    if (actions.length > 0) await applyReview(worker, auth, jobId, actions, ACTIONS_PER_REQUEST);
    reviewed.jobIds.push(jobId);
    reviewed.tallies.push(tally);
  }
}

export type Trained = {
  model: string;
  version: number;
  datasetId: string;
  films: { train: number; val: number };
  objects: { train: number; val: number; total: number };
  review: ReviewTally;
  epochs: number;
  wallSeconds: number;
  trainerSeconds: number | null;
  cpuSeconds: number;
  load: { before: number; after: number };
  trainerVal: number | null;
};

/** A dataset of the first `n` reviewed jobs and a fine-tune of the shipped model on it, timed. */
export async function trainOn(
  stack: BenchStack,
  reviewed: Reviewed,
  n: number,
  name: string,
  params: TrainParams,
  boundMs: number,
): Promise<Trained> {
  const { worker, auth } = stack;
  const dataset = await datasetFromJobs(worker, auth, `${name}-n${n}`, reviewed.jobIds.slice(0, n));
  const load = { before: loadavg()[0] ?? 0, after: 0 };
  const cpuBefore = await stack.trainerCpuSeconds();
  const started = performance.now();
  const queued = await startTraining(worker, auth, {
    datasetId: dataset.id,
    baseModel: BASE_MODEL,
    name,
    ...params,
  });
  const run = await trainingOutcome(worker, auth, queued.id, boundMs, () =>
    stack.trainer.output().slice(-4000),
  );
  const wallSeconds = (performance.now() - started) / 1000;
  const cpuSeconds = (await stack.trainerCpuSeconds()) - cpuBefore;
  load.after = loadavg()[0] ?? 0;
  const model = run.model ?? "";
  const version = Number(model.split("@")[1]);
  if (!Number.isInteger(version)) throw new Error(`the run made no version: ${model}`);
  const trainerSeconds =
    run.startedAt && run.finishedAt ? (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000 : null;
  return {
    model,
    version,
    datasetId: dataset.id,
    films: { train: dataset.counts.images.train, val: dataset.counts.images.val },
    objects: {
      train: dataset.counts.boxes.train,
      val: dataset.counts.boxes.val,
      total: dataset.counts.boxes.total,
    },
    review: reviewed.tallies
      .slice(0, n)
      .reduce(addTallies, { accepted: 0, relabelled: 0, rejected: 0, drawn: 0 }),
    epochs: run.params.epochs,
    wallSeconds,
    trainerSeconds,
    cpuSeconds,
    load,
    trainerVal: run.metrics?.val.map50 ?? null,
  };
}
