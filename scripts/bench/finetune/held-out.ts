/**
 * Held-out scoring: jobs on every held-out film with each model at conf 0.001 (as the service's
 * evaluations run: AP needs the whole score range) through the product's jobs API, which runs the
 * same detectors, tiling and NMS as production jobs; the detections are scored against the
 * generator's labels with the service's own metrics (`inference/src/eval`), as its evaluations are.
 */

import type { ModelEvaluation } from "@common/contracts/evaluation";
import { DEFECT_CLASSES } from "@generator/classes";
import { predictionsFor, scoreModel, truthsOf } from "@inference/eval/score";
import type { TestWorker } from "@scripts/testing/test-worker";
import { runJobs } from "./api";
import type { Film } from "./films";

/** Evaluations' confidence floor (common/contracts/evaluation.ts) and the jobs' default operating point. */
const EVALUATION_CONF = 0.001;
const OPERATING_CONF = 0.25;

export type HeldOut = { films: readonly Film[]; imageIds: readonly string[] };

export type HeldOutScore = { metrics: ModelEvaluation; seconds: number };

export async function scoreOnHeldOut(
  edge: Pick<TestWorker, "fetch">,
  auth: string,
  heldOut: HeldOut,
  model: string,
  boundMs: number,
): Promise<HeldOutScore> {
  const started = performance.now();
  const jobs = await runJobs(edge, auth, heldOut.imageIds, { model, conf: EVALUATION_CONF }, boundMs);
  const images = jobs.map((job, i) => {
    const film = heldOut.films[i];
    if (!film) throw new Error(`job ${job.id} has no film`);
    const boxes = film.labels.map(({ classId, box }) => ({ classId, ...box }));
    return { truths: truthsOf({ boxes }), predictions: predictionsFor(job.detections ?? [], DEFECT_CLASSES) };
  });
  const ran = jobs[0]?.model;
  const metrics = scoreModel(
    { name: model, version: ran?.version ?? "", sha256: ran?.sha256 ?? "0".repeat(64) },
    images,
    DEFECT_CLASSES,
    OPERATING_CONF,
  );
  return { metrics, seconds: (performance.now() - started) / 1000 };
}
