/**
 * A registry model version through the whole system: a copy of the shipped model is uploaded to
 * the edge through the signed upload, verified, promoted, and a job naming the model by name runs
 * on the real inference service, which downloads that version by its presigned URL, checks and
 * caches it, and reports the version it ran.
 */
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ImageSchema } from "@edge/routes/images/schema";
import { JobSchema, QueuedJobsSchema } from "@edge/routes/jobs/schema";
import {
  ModelUploadSchema,
  ModelVersionSchema,
  PromotionSchema,
  ReceivedUploadSchema,
} from "@edge/routes/models/schema";
import { encodePng } from "@generator/png";
import { deriveSeed } from "@generator/prng";
import { renderSample } from "@generator/sample";
import { repoRoot } from "@scripts/local-stack/settings";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { readBody } from "@scripts/testing/responses";
import { useFullStack } from "./full-stack-fixture";

const stack = useFullStack({ intraOpThreads: 2 });

const json = (auth: string) => ({ Authorization: auth, "Content-Type": "application/json" });

describe("registry model versions, full stack", () => {
  test("an uploaded, promoted version runs the jobs that name its model, and the result names it", async () => {
    const { auth } = await signedInUser(stack.worker);
    const bytes = new Uint8Array(await readFile(join(repoRoot, "inference", "models", "weld-defects.onnx")));
    const sha256 = createHash("sha256").update(bytes).digest("hex");

    const started = await stack.worker.fetch("/v1/models/weld-defects-custom/versions", {
      method: "POST",
      headers: { Authorization: auth },
    });
    const upload = await readBody(started, ModelUploadSchema);
    const put = await stack.worker.fetch(upload.uploadUrl, {
      method: "PUT",
      headers: { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.length) },
      body: bytes,
    });
    expect(await readBody(put, ReceivedUploadSchema)).toMatchObject({ sha256, bytes: bytes.length });
    const completed = await stack.worker.fetch(
      `/v1/models/weld-defects-custom/versions/${upload.uploadId}/complete`,
      {
        method: "POST",
        headers: json(auth),
        body: JSON.stringify({ sha256, bytes: bytes.length, baseModel: "weld-defects" }),
      },
    );
    const version = await readBody(completed, ModelVersionSchema);
    expect(version).toMatchObject({ ref: "weld-defects-custom@1", layout: "ultralytics", sha256 });
    const promoted = await stack.worker.fetch("/v1/models/weld-defects-custom/promote", {
      method: "POST",
      headers: json(auth),
      body: JSON.stringify({ version: 1, reason: "first custom version" }),
    });
    expect((await readBody(promoted, PromotionSchema)).toVersion).toBe(1);

    const sample = renderSample(deriveSeed(91, "model-versions", 0), { imgsz: 320 });
    const png = await encodePng(sample.image, 8);
    const image = await stack.worker.fetch("/v1/images", {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "image/png", "Content-Length": String(png.length) },
      body: png,
    });
    const imageId = (await readBody(image, ImageSchema)).id;
    const created = await stack.worker.fetch("/v1/jobs", {
      method: "POST",
      headers: json(auth),
      body: JSON.stringify({ imageId, model: "weld-defects-custom" }),
    });
    const [queued] = (await readBody(created, QueuedJobsSchema)).jobs;
    expect(queued?.model.requested).toBe("weld-defects-custom@1");

    const response = await stack.worker.fetch(`/v1/jobs/${queued?.id}?wait=60`, {
      headers: { Authorization: auth },
    });
    const job = await readBody(response, JobSchema);
    expect(job.status).toBe("succeeded");
    expect(job.model).toMatchObject({ version: "1", sha256 });
    expect(job.detections?.length).toBeGreaterThan(0);
  }, 120_000);
});
