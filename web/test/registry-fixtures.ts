/** The arrange steps of the registry browser test: reviewed jobs, model versions, an archive. */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { JobSchema } from "@edge/routes/jobs/schema";
import { ModelUploadSchema, ModelVersionSchema, ReceivedUploadSchema } from "@edge/routes/models/schema";
import { repoRoot } from "@scripts/local-stack/settings";
import { imageFixtures } from "@scripts/testing/image-fixtures";
import { uploadAndDetect } from "@scripts/testing/job-fixtures";
import { readBody } from "@scripts/testing/responses";
import { getReview, review } from "@scripts/testing/review-fixtures";
import type { TestWorker } from "@scripts/testing/test-worker";
import { zipSync } from "fflate";

const json = (auth: string) => ({ Authorization: auth, "Content-Type": "application/json" });

/** A job of a new image, run by the stub inference to success. */
async function succeededJob(worker: TestWorker, auth: string, width: number): Promise<string> {
  const jobId = await uploadAndDetect(worker, auth, await imageFixtures.png(width, 240));
  for (;;) {
    const response = await worker.fetch(`/v1/jobs/${jobId}?wait=10`, { headers: { Authorization: auth } });
    const job = await readBody(response, JobSchema);
    if (job.status === "succeeded") return jobId;
    if (job.status === "failed") throw new Error(`job ${jobId} failed: ${job.error}`);
  }
}

/**
 * Three jobs of three films: one reviewed with its porosity accepted and crack rejected, one with
 * both accepted, and one nobody reviewed (its detections pending). Answers their ids.
 */
export async function reviewedJobs(worker: TestWorker, auth: string) {
  const [partly, fully, pending] = [
    await succeededJob(worker, auth, 320),
    await succeededJob(worker, auth, 336),
    await succeededJob(worker, auth, 352),
  ];
  for (const [jobId, decisions] of [
    [partly, ["accept", "reject"]],
    [fully, ["accept", "accept"]],
  ] as const) {
    const { review: state } = await getReview(worker, auth, jobId);
    await review(
      worker,
      auth,
      jobId,
      state.items.map((item, i) => ({ type: decisions[i], itemId: item.id })),
    );
  }
  return { partly, fully, pending };
}

/**
 * A copy of the shipped model uploaded as the next version of `name`, with these metrics; with a
 * `datasetId`, the edge queues its evaluation on that dataset's val split.
 */
export async function uploadModelVersion(
  worker: TestWorker,
  auth: string,
  name: string,
  metrics: { val: { map50: number; map50_95: number } },
  lineage: { datasetId?: string } = {},
) {
  const bytes = new Uint8Array(await readFile(join(repoRoot, "inference", "models", "weld-defects.onnx")));
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const started = await worker.fetch(`/v1/models/${name}/versions`, {
    method: "POST",
    headers: { Authorization: auth },
  });
  const upload = await readBody(started, ModelUploadSchema);
  const put = await worker.fetch(upload.uploadUrl, {
    method: "PUT",
    headers: { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.length) },
    body: bytes,
  });
  await readBody(put, ReceivedUploadSchema);
  const completed = await worker.fetch(`/v1/models/${name}/versions/${upload.uploadId}/complete`, {
    method: "POST",
    headers: json(auth),
    body: JSON.stringify({ sha256, bytes: bytes.length, baseModel: "weld-defects", metrics, ...lineage }),
  });
  return readBody(completed, ModelVersionSchema);
}

export function promote(worker: TestWorker, auth: string, name: string, body: unknown) {
  return worker.fetch(`/v1/models/${name}/promote`, {
    method: "POST",
    headers: json(auth),
    body: JSON.stringify(body),
  });
}

/** A YOLO archive of `count` small films, each with one box, as a file to pick in the page. */
export async function yoloArchive(count: number): Promise<Buffer> {
  const encoder = new TextEncoder();
  const files: Record<string, Uint8Array> = {
    "data.yaml": encoder.encode(
      "path: .\ntrain: images/train\nval: images/val\nnames:\n  0: porosity\n  1: crack\n",
    ),
  };
  for (let i = 0; i < count; i++) {
    files[`images/train/film-${i}.png`] = new Uint8Array(await imageFixtures.png(96 + 8 * i, 64));
    files[`labels/train/film-${i}.txt`] = encoder.encode(`${i % 2} 0.5 0.5 0.3 0.2\n`);
  }
  return Buffer.from(zipSync(files));
}
