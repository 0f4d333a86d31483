import { DatasetSchema } from "@edge/routes/datasets/schema";
import { ImageSchema } from "@edge/routes/images/schema";
import { JobSchema, QueuedJobsSchema } from "@edge/routes/jobs/schema";
import { EvaluationSchema } from "@edge/routes/models/evaluation-schema";
import type { ReviewAction } from "@edge/routes/reviews/schema";
import { TrainingSchema } from "@edge/routes/trainings/schema";
import { DEFECT_CLASSES } from "@generator/classes";
import { encodePng } from "@generator/png";
import { deriveSeed } from "@generator/prng";
import { type Label, renderSample } from "@generator/sample";
import { zipSync } from "fflate";
import type { z } from "zod";
import { readBody } from "./responses";
import { getReview } from "./review-fixtures";
import type { TestWorker } from "./test-worker";

/** What these helpers need of the edge: a test Worker, or `npm run dev`'s at its origin. */
type Edge = Pick<TestWorker, "fetch">;
type Evaluation = z.infer<typeof EvaluationSchema>;

/** Scoring a few val films with two models through the inference service, on a busy machine. */
const EVALUATION_BOUND_MS = 60_000;

/** A generated film at the shipped model's 320 px input, with its true labels. */
export type Film = { png: Uint8Array; width: number; height: number; labels: Label[] };

export async function renderFilm(seed: number, stream: string): Promise<Film> {
  const sample = renderSample(deriveSeed(seed, stream, 0), { imgsz: 320 });
  // A plain Uint8Array: Miniflare refuses Node's pooled Buffers as request bodies.
  const png = new Uint8Array(await encodePng(sample.image, 8));
  return { png, width: sample.image.width, height: sample.image.height, labels: sample.labels };
}

/** Films with at least one defect each, so both splits have boxes to learn and score. */
export async function renderFilms(count: number, stream: string): Promise<Film[]> {
  const films: Film[] = [];
  for (let seed = 1; films.length < count; seed++) {
    const film = await renderFilm(seed, stream);
    if (film.labels.length > 0) films.push(film);
  }
  return films;
}

/** The films as a YOLO archive (data.yaml, images/, labels/), as a team exports a labelled set. */
export function yoloArchive(films: Film[]): Uint8Array {
  const text = (value: string) => new TextEncoder().encode(value);
  const names = DEFECT_CLASSES.map((name, id) => `  ${id}: ${name}`).join("\n");
  const files: Record<string, Uint8Array> = {
    "data.yaml": text(`path: .\ntrain: images/train\nval: images/val\nnames:\n${names}\n`),
  };
  films.forEach((film, i) => {
    files[`images/train/film-${i}.png`] = film.png;
    const lines = film.labels.map(({ classId, box }) => {
      const cx = (box.x1 + box.x2) / 2 / film.width;
      const cy = (box.y1 + box.y2) / 2 / film.height;
      const w = (box.x2 - box.x1) / film.width;
      const h = (box.y2 - box.y1) / film.height;
      return `${classId} ${cx.toFixed(6)} ${cy.toFixed(6)} ${w.toFixed(6)} ${h.toFixed(6)}\n`;
    });
    files[`labels/train/film-${i}.txt`] = text(lines.join(""));
  });
  return zipSync(files);
}

export const jsonHeaders = (auth: string) => ({ Authorization: auth, "Content-Type": "application/json" });

/** Imports a YOLO archive as a dataset; fails unless both splits have images. */
export async function importArchive(worker: Edge, auth: string, archive: Uint8Array, query: string) {
  const response = await worker.fetch(`/v1/datasets?${query}`, {
    method: "POST",
    headers: {
      Authorization: auth,
      "Content-Type": "application/zip",
      "Content-Length": String(archive.length),
    },
    body: archive,
  });
  return splitDataset(await readBody(response, DatasetSchema));
}

/** A dataset a training run can use: images in both splits (else the seed needs changing). */
export function splitDataset<T extends { counts: { images: { train: number; val: number } } }>(
  dataset: T,
): T {
  const { train, val } = dataset.counts.images;
  if (train === 0 || val === 0) throw new Error(`the split left a side empty (train ${train}, val ${val})`);
  return dataset;
}

/** Uploads a film and queues a job on `model` (the default model when unset); answers the job id. */
export async function detect(worker: Edge, auth: string, png: Uint8Array, model?: string) {
  const upload = await worker.fetch("/v1/images", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "image/png", "Content-Length": String(png.length) },
    body: png,
  });
  const imageId = (await readBody(upload, ImageSchema)).id;
  const created = await worker.fetch("/v1/jobs", {
    method: "POST",
    headers: jsonHeaders(auth),
    body: JSON.stringify({ imageId, ...(model === undefined ? {} : { model }) }),
  });
  const [job] = (await readBody(created, QueuedJobsSchema)).jobs;
  if (!job) throw new Error("job creation answered no job");
  return job;
}

/** The finished job (long-polled), with its detections. */
export async function finishedJob(worker: Edge, auth: string, jobId: string) {
  const response = await worker.fetch(`/v1/jobs/${jobId}?wait=60`, { headers: { Authorization: auth } });
  return readBody(response, JobSchema);
}

/** Starts a run; fails unless it was queued. */
export async function startTraining(worker: Edge, auth: string, body: Record<string, unknown>) {
  const response = await worker.fetch("/v1/trainings", {
    method: "POST",
    headers: jsonHeaders(auth),
    body: JSON.stringify(body),
  });
  return readBody(response, TrainingSchema);
}

/**
 * Polls a run until it ends (succeeded, failed, cancelled) or `timeoutMs` passes; `describe` adds
 * what the trainer printed to a failure.
 */
export async function trainingOutcome(
  worker: Edge,
  auth: string,
  id: string,
  timeoutMs: number,
  describe: () => string,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await worker.fetch(`/v1/trainings/${id}`, { headers: { Authorization: auth } });
    const run = await readBody(response, TrainingSchema);
    if (run.status === "succeeded") return run;
    if (run.status === "failed" || run.status === "cancelled") {
      throw new Error(`training ${run.status}: ${JSON.stringify(run.error)}\n${describe()}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`training still ${run.status} after ${timeoutMs / 1000} s\n${describe()}`);
    }
    await Bun.sleep(1_000);
  }
}

/** What reviewers do to a set of detected films, and what the dataset built from them must hold. */
export type ReviewPlan = {
  reviews: Array<{ jobId: string; actions: ReviewAction[] }>;
  /** Boxes a dataset of these jobs keeps: every indication but the rejected one, plus drawn ones. */
  keptBoxes: number;
  /** The class the relabelled indication got. */
  relabeledTo: string;
};

/**
 * Reviews of `jobs` (of `films`, in order): every indication accepted, except the first of one job,
 * relabelled to the next class, and the first of another, rejected; the last film gets a drawn box
 * (its true first defect), as does any film the model found nothing on, so every job counts.
 */
export async function planReviews(
  worker: TestWorker,
  auth: string,
  jobs: string[],
  films: Film[],
): Promise<ReviewPlan> {
  const reviews = await Promise.all(jobs.map(async (jobId) => (await getReview(worker, auth, jobId)).review));
  const withItems = reviews.flatMap((r, i) => (r.items.length > 0 ? [i] : []));
  const [relabelAt, rejectAt] = withItems;
  if (relabelAt === undefined || rejectAt === undefined) {
    throw new Error(`the shipped model found indications on ${withItems.length} film(s); 2 are needed`);
  }
  let keptBoxes = 0;
  let relabeledTo = "";
  const plan = reviews.map((r, i) => {
    const actions: ReviewAction[] = r.items.map((item, k) => {
      if (k === 0 && i === relabelAt) {
        const classId = (item.classId + 1) % DEFECT_CLASSES.length;
        relabeledTo = DEFECT_CLASSES[classId] as string;
        return { type: "relabel", itemId: item.id, classId, label: relabeledTo };
      }
      if (k === 0 && i === rejectAt) return { type: "reject", itemId: item.id };
      return { type: "accept", itemId: item.id };
    });
    const truth = films[i]?.labels[0];
    if (truth && (i === reviews.length - 1 || r.items.length === 0)) {
      const label = DEFECT_CLASSES[truth.classId] as string;
      actions.push({ type: "add", classId: truth.classId, label, box: truth.box });
    }
    keptBoxes += actions.filter((action) => action.type !== "reject").length;
    return { jobId: r.jobId, actions };
  });
  return { reviews: plan, keptBoxes, relabeledTo };
}

/** A version's evaluation by the inference service, once it ended; a failed one throws. */
export async function finishedEvaluation(worker: Edge, auth: string, ref: { name: string; version: number }) {
  const deadline = Date.now() + EVALUATION_BOUND_MS;
  for (;;) {
    const response = await worker.fetch(`/v1/models/${ref.name}/versions/${ref.version}/evaluation`, {
      headers: { Authorization: auth },
    });
    const evaluation = await readBody(response, EvaluationSchema);
    if (evaluation.status === "succeeded") return evaluation;
    if (evaluation.status === "failed")
      throw new Error(`evaluation failed: ${JSON.stringify(evaluation.error)}`);
    if (Date.now() > deadline) {
      throw new Error(`evaluation still ${evaluation.status} after ${EVALUATION_BOUND_MS / 1000} s`);
    }
    await Bun.sleep(250);
  }
}

/** The service's mAP@0.5 of the candidate in an evaluation's table. */
export const evaluatedMap50 = (evaluation: Evaluation) =>
  evaluation.table?.metrics.find((row) => row.metric === "mAP@0.5")?.candidate;
