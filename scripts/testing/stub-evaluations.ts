/**
 * What the inference service reports of evaluations and shadow runs, sent through the edge's
 * internal API by the tests themselves: the stub inference service runs jobs on shipped models
 * only, so it neither evaluates registry versions nor runs shadow candidates.
 */

import type { Detection } from "@common/contracts/detect-result";
import {
  type ClassEvaluation,
  EvaluationClaimSchema,
  type EvaluationResult,
  EvaluationResultAnswerSchema,
  type ModelEvaluation,
} from "@common/contracts/evaluation";
import { JobClaimSchema } from "@common/contracts/job-claim";
import { ShadowResultAnswerSchema } from "@common/contracts/shadow-result";
import { ImageSchema } from "@edge/routes/images/schema";
import { QueuedJobsSchema } from "@edge/routes/jobs/schema";
import { EvaluationSchema } from "@edge/routes/models/evaluation-schema";
import { imageFixtures } from "./image-fixtures";
import { postResult, serviceAuth, succeededResult } from "./job-fixtures";
import { readBody } from "./responses";
import type { StubInference } from "./stub-inference";
import type { TestWorker } from "./test-worker";

type VersionRef = { name: string; version: number };

const internal = async (worker: TestWorker, path: string, body: unknown) =>
  worker.fetch(`/internal/v1/${path}`, {
    method: "POST",
    headers: await serviceAuth(),
    body: JSON.stringify(body),
  });

/** A version's evaluation as its owner reads it. */
export async function readEvaluation(worker: TestWorker, auth: string, ref: VersionRef) {
  const response = await worker.fetch(`/v1/models/${ref.name}/versions/${ref.version}/evaluation`, {
    headers: { Authorization: auth },
  });
  return readBody(response, EvaluationSchema);
}

/** One side's figures: `map50` overall and for each dataset class with boxes in the val split. */
function figures(name: string, map50: number, classes: string[], truths: number[]): ModelEvaluation {
  const perClass: ClassEvaluation[] = classes.map((className, classId) => {
    const ap50 = (truths[classId] ?? 0) > 0 ? map50 : null;
    return {
      classId,
      name: className,
      truths: truths[classId] ?? 0,
      ap50,
      ap50_95: ap50 === null ? null : ap50 / 2,
      precision: 0.8,
      recall: ap50 === null ? null : 0.7,
    };
  });
  return {
    model: { name, version: "1", sha256: "b".repeat(64) },
    map50,
    map50_95: map50 / 2,
    precision: 0.8,
    recall: 0.7,
    perClass,
  };
}

/**
 * Claims the version's queued evaluation as the service would and reports it succeeded with
 * mAP@0.5 of `map50.candidate` beside `map50.baseline`; answers the evaluation as its owner reads it.
 */
export async function settleEvaluation(
  worker: TestWorker,
  auth: string,
  ref: VersionRef,
  map50: { candidate: number; baseline: number },
) {
  const { id } = await readEvaluation(worker, auth, ref);
  const claim = await readBody(
    await internal(worker, `evaluations/${id}/claim`, { version: 1, attempt: 1 }),
    EvaluationClaimSchema,
  );
  if (claim.outcome !== "claimed") throw new Error(`evaluation ${id} could not be claimed: ${claim.outcome}`);
  const { classes, items, candidate, baseline, threshold } = claim.evaluation;
  const truths = classes.map((_, classId) =>
    items.reduce((sum, item) => sum + item.boxes.filter((box) => box.classId === classId).length, 0),
  );
  const result: EvaluationResult = {
    version: 1,
    evaluationId: id,
    status: "succeeded",
    attempt: claim.attempts,
    images: items.length,
    truths: truths.reduce((sum, count) => sum + count, 0),
    threshold,
    candidate: figures(candidate.name, map50.candidate, classes, truths),
    baseline: figures(baseline.name, map50.baseline, classes, truths),
    seconds: 1.5,
  };
  const answer = await readBody(
    await internal(worker, `evaluations/${id}/result`, result),
    EvaluationResultAnswerSchema,
  );
  if (answer.outcome !== "applied") throw new Error(`evaluation result ${answer.outcome}`);
  return readEvaluation(worker, auth, ref);
}

/** What the shadow candidate finds beside a job's own detections: the n-th picked job's variant. */
function shadowDetections(own: Detection[], n: number): Detection[] {
  if (n % 2 === 1) return own.filter((detection) => detection.label !== "crack");
  const extra = { classId: 0, label: "porosity", score: 0.5, box: { x1: 500, y1: 300, x2: 520, y2: 320 } };
  return [...own, extra];
}

/**
 * Jobs on `name` while its shadow runs, until `picked` of them were picked for it: each job's own
 * result and, for a picked one, the candidate's (alternately one box more and the crack missed),
 * reported as the service would. The stub service is paused meanwhile so that it does not claim
 * them first; it then acknowledges their messages as finished. Answers the picked jobs' ids.
 */
export async function shadowedJobs(
  stack: { worker: TestWorker; inference: StubInference },
  auth: string,
  name: string,
  picked: number,
) {
  const { worker, inference } = stack;
  const png = new Uint8Array(await imageFixtures.png(368, 240));
  const upload = await worker.fetch("/v1/images", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "image/png", "Content-Length": String(png.length) },
    body: png,
  });
  const imageId = (await readBody(upload, ImageSchema)).id;
  const shadowed: string[] = [];
  await inference.stop();
  try {
    for (let tries = 0; shadowed.length < picked; tries++) {
      if (tries === 40) throw new Error(`only ${shadowed.length} of 40 jobs were picked for the shadow`);
      const created = await worker.fetch("/v1/jobs", {
        method: "POST",
        headers: { Authorization: auth, "Content-Type": "application/json" },
        body: JSON.stringify({ imageId, model: name }),
      });
      const jobId = (await readBody(created, QueuedJobsSchema)).jobs[0]?.id as string;
      const claim = await readBody(
        await internal(worker, `jobs/${jobId}/claim`, { version: 1, attempt: 1 }),
        JobClaimSchema,
      );
      const own = succeededResult(jobId);
      const posted = await postResult(worker, jobId, own);
      if (posted.status !== 200) throw new Error(`job result answered ${posted.status}`);
      await posted.body?.cancel();
      if (claim.outcome !== "claimed" || claim.shadowModel === undefined) continue;
      const answer = await internal(worker, `jobs/${jobId}/shadow-result`, {
        version: 1,
        jobId,
        status: "succeeded",
        model: { name, version: String(claim.shadowModel.version), sha256: claim.shadowModel.sha256 },
        detections: shadowDetections(own.detections, shadowed.length),
        runMs: 12,
      });
      const { outcome } = await readBody(answer, ShadowResultAnswerSchema);
      if (outcome !== "applied") throw new Error(`shadow result of ${jobId} ${outcome}`);
      shadowed.push(jobId);
    }
  } finally {
    inference.start();
  }
  return shadowed;
}
