import { TrainingSchema } from "@edge/routes/trainings/schema";
import { readBody } from "@scripts/testing/responses";
import type { TestWorker } from "@scripts/testing/test-worker";
import { film, importDataset, zip } from "../datasets/dataset-fixtures";

/** Limits generous enough for a file of tests that create many runs from few users. */
export const TRAINING_TEST_VARS = {
  RATE_LIMIT_WRITE: "1000/60s",
  RATE_LIMIT_READ: "1000/60s",
  TRAINING_MAX_EPOCHS: "20",
  TRAINING_MAX_ACTIVE_PER_OWNER: "50",
  // Small pages, so the trainer's paging is exercised.
  TRAINING_ITEMS_PAGE_SIZE: "2",
};

/** A YOLO archive of `count` small generated films, every one with a box, split by `seed`. */
export async function yoloArchive(count: number, firstSeed = 1) {
  const files: Record<string, Uint8Array | string> = {
    "data.yaml": "path: .\ntrain: images/train\nval: images/val\nnames:\n  0: porosity\n  1: crack\n",
  };
  for (let i = 0; i < count; i++) {
    files[`images/train/film-${i}.png`] = (await film(firstSeed + i)).png;
    files[`labels/train/film-${i}.txt`] = `${i % 2} 0.5 0.5 0.3 0.2\n`;
  }
  return zip(files);
}

/** A dataset with images in both splits (the seed is fixed so the split is too). */
export async function trainableDataset(worker: TestWorker, auth: string, name = "welds") {
  const dataset = await importDataset(
    worker,
    auth,
    await yoloArchive(6),
    `name=${name}&seed=split-1&valFraction=0.5`,
  );
  if (dataset.counts.images.train === 0 || dataset.counts.images.val === 0) {
    throw new Error(`the fixture's split left a split empty: ${JSON.stringify(dataset.counts.images)}`);
  }
  return dataset;
}

export function postTraining(worker: TestWorker, auth: string, body: unknown) {
  return worker.fetch("/v1/trainings", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Creates a run; fails unless it was queued. */
export async function createTraining(worker: TestWorker, auth: string, body: unknown) {
  const response = await postTraining(worker, auth, body);
  if (response.status !== 202)
    throw new Error(`training answered ${response.status}: ${await response.text()}`);
  return readBody(response, TrainingSchema);
}

export async function getTraining(worker: TestWorker, auth: string, id: string) {
  const response = await worker.fetch(`/v1/trainings/${id}`, { headers: { Authorization: auth } });
  return readBody(response, TrainingSchema);
}
