import type { EvaluationResult, ModelEvaluation } from "@common/contracts/evaluation";
import { modelEvaluations } from "@db/schema";
import { ModelVersionSchema } from "@edge/routes/models/schema";
import { serviceAuth } from "@scripts/testing/job-fixtures";
import { readBody } from "@scripts/testing/responses";
import type { TestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";
import { film, importDataset, zip } from "../datasets/dataset-fixtures";
import { complete, modelFile, putFile, sha256Hex, startUpload } from "../models/model-fixtures";

/** A YOLO dataset of four films: two in train, two in val, with porosity and crack boxes. */
export async function smallDataset(worker: TestWorker, auth: string) {
  const [a, b, c, d] = await Promise.all([film(21), film(22), film(23), film(24)]);
  const archive = zip({
    "data.yaml": "path: .\ntrain: images/train\nval: images/val\nnames:\n  0: porosity\n  1: crack\n",
    "images/train/a.png": a.png,
    "labels/train/a.txt": "0 0.5 0.5 0.2 0.1\n",
    "images/train/b.png": b.png,
    "labels/train/b.txt": "1 0.5 0.5 0.5 0.5\n",
    "images/val/c.png": c.png,
    "labels/val/c.txt": "0 0.5 0.5 0.2 0.1\n1 0.25 0.25 0.1 0.1\n",
    "images/val/d.png": d.png,
    "labels/val/d.txt": "1 0.5 0.5 0.5 0.5\n",
  });
  return importDataset(worker, auth, archive, "name=evaluation-set&seed=s");
}

/** Upload → complete with lineage: a new version of `name`. */
export async function uploadWithDataset(
  worker: TestWorker,
  auth: string,
  name: string,
  lineage: { datasetId?: string; baseModel?: string; metrics?: unknown },
) {
  const bytes = await modelFile();
  const upload = await startUpload(worker, auth, name);
  await putFile(worker, upload.uploadUrl, bytes);
  const response = await complete(worker, auth, name, upload.uploadId, {
    sha256: await sha256Hex(bytes),
    bytes: bytes.length,
    ...lineage,
  });
  return readBody(response, ModelVersionSchema);
}

export async function evaluationOf(worker: TestWorker, versionId: string) {
  const [row] = await worker.db
    .select()
    .from(modelEvaluations)
    .where(eq(modelEvaluations.versionId, versionId));
  return row;
}

export async function callInternal(
  worker: TestWorker,
  path: string,
  body: unknown,
  headers?: Record<string, string>,
) {
  return worker.fetch(`/internal/v1/${path}`, {
    method: "POST",
    headers: headers ?? (await serviceAuth()),
    body: JSON.stringify(body),
  });
}

/** One side's figures, with `map50` as given. */
export function sideFigures(name: string, map50: number): ModelEvaluation {
  return {
    model: { name, version: "1", sha256: "b".repeat(64) },
    map50,
    map50_95: map50 / 2,
    precision: 0.8,
    recall: 0.7,
    perClass: [
      {
        classId: 0,
        name: "porosity",
        truths: 1,
        ap50: map50,
        ap50_95: map50 / 2,
        precision: 0.8,
        recall: 0.7,
      },
      { classId: 1, name: "crack", truths: 2, ap50: null, ap50_95: null, precision: 0, recall: null },
    ],
  };
}

export function succeeded(
  evaluationId: string,
  attempt: number,
  candidate = 0.6,
  baseline = 0.4,
): EvaluationResult {
  return {
    version: 1,
    evaluationId,
    status: "succeeded",
    attempt,
    images: 2,
    truths: 3,
    threshold: 0.25,
    candidate: sideFigures("welds", candidate),
    baseline: sideFigures("weld-defects", baseline),
    seconds: 1.5,
  };
}
