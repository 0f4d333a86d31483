/**
 * The evaluation gate and shadow runs through the whole system: a dataset imported from generated
 * films, a copy of the shipped model uploaded with that dataset, its evaluation pulled from the
 * detect queue by the real inference service and run beside the shipped model (identical files,
 * so identical figures), then the version in the shadow of live jobs, agreeing with production
 * on every box.
 */
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pickedForShadow } from "@edge/evaluations/agreement";
import { DatasetSchema } from "@edge/routes/datasets/schema";
import { ImageSchema } from "@edge/routes/images/schema";
import { JobSchema, QueuedJobsSchema } from "@edge/routes/jobs/schema";
import { EvaluationSchema } from "@edge/routes/models/evaluation-schema";
import {
  ModelUploadSchema,
  ModelVersionSchema,
  PromotionSchema,
  ReceivedUploadSchema,
} from "@edge/routes/models/schema";
import { ShadowSchema } from "@edge/routes/models/shadow-schema";
import { DEFECT_CLASSES } from "@generator/classes";
import { encodePng } from "@generator/png";
import { deriveSeed } from "@generator/prng";
import { renderSample } from "@generator/sample";
import { repoRoot } from "@scripts/local-stack/settings";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { eventually } from "@scripts/testing/job-fixtures";
import { readBody } from "@scripts/testing/responses";
import { zipSync } from "fflate";
import { useFullStack } from "./full-stack-fixture";

const stack = useFullStack({ intraOpThreads: 2 });
const NAME = "weld-defects-candidate";
const json = (auth: string) => ({ Authorization: auth, "Content-Type": "application/json" });
const films = (count: number, salt: string) =>
  Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const sample = renderSample(deriveSeed(93, salt, i), { imgsz: 320 });
      return { sample, png: new Uint8Array(await encodePng(sample.image, 8)) };
    }),
  );

/** A YOLO archive of generated films with their labels, split into train and val by folder. */
async function yoloArchive(): Promise<Uint8Array> {
  const files: Record<string, Uint8Array> = {
    "data.yaml": new TextEncoder().encode(
      `path: .\ntrain: images/train\nval: images/val\nnames:\n${DEFECT_CLASSES.map((n, i) => `  ${i}: ${n}`).join("\n")}\n`,
    ),
  };
  for (const [i, { sample, png }] of (await films(4, "evaluation-set")).entries()) {
    const split = i < 2 ? "train" : "val";
    const { width, height } = sample.image;
    files[`images/${split}/film-${i}.png`] = png;
    files[`labels/${split}/film-${i}.txt`] = new TextEncoder().encode(
      sample.labels
        .map(({ classId, box }) =>
          [
            classId,
            (box.x1 + box.x2) / 2 / width,
            (box.y1 + box.y2) / 2 / height,
            (box.x2 - box.x1) / width,
            (box.y2 - box.y1) / height,
          ].join(" "),
        )
        .join("\n"),
    );
  }
  return zipSync(files);
}

async function uploadShipped(auth: string, body: Record<string, unknown>) {
  const bytes = new Uint8Array(await readFile(join(repoRoot, "inference", "models", "weld-defects.onnx")));
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const upload = await readBody(
    await stack.worker.fetch(`/v1/models/${NAME}/versions`, {
      method: "POST",
      headers: { Authorization: auth },
    }),
    ModelUploadSchema,
  );
  const put = await stack.worker.fetch(upload.uploadUrl, {
    method: "PUT",
    headers: { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.length) },
    body: bytes,
  });
  await readBody(put, ReceivedUploadSchema);
  const completed = await stack.worker.fetch(`/v1/models/${NAME}/versions/${upload.uploadId}/complete`, {
    method: "POST",
    headers: json(auth),
    body: JSON.stringify({ sha256, bytes: bytes.length, ...body }),
  });
  return readBody(completed, ModelVersionSchema);
}

describe("evaluation gate and shadow, full stack", () => {
  test("a version with a dataset is evaluated by the inference service; a shadow run agrees fully", async () => {
    const { auth } = await signedInUser(stack.worker);
    const archive = await yoloArchive();
    const imported = await stack.worker.fetch(`/v1/datasets?name=evaluation-films&seed=s&valFraction=0.5`, {
      method: "POST",
      headers: {
        Authorization: auth,
        "Content-Type": "application/zip",
        "Content-Length": String(archive.length),
      },
      body: archive,
    });
    const dataset = await readBody(imported, DatasetSchema);
    const version = await uploadShipped(auth, { datasetId: dataset.id, baseModel: "weld-defects" });

    const evaluation = await eventually(
      async () => {
        const response = await stack.worker.fetch(
          `/v1/models/${NAME}/versions/${version.version}/evaluation`,
          {
            headers: { Authorization: auth },
          },
        );
        const body = await readBody(response, EvaluationSchema);
        if (body.status === "failed") throw new Error(`evaluation failed: ${JSON.stringify(body.error)}`);
        return body.status === "succeeded" ? body : undefined;
      },
      180_000,
      "the evaluation to finish",
    );
    expect(evaluation.baseline).toMatchObject({ source: "shipped", ref: "weld-defects" });
    expect(evaluation.images).toBeGreaterThan(0);
    for (const row of evaluation.table?.metrics ?? []) expect(row.candidate).toBe(row.baseline);
    for (const row of evaluation.table?.perClass ?? []) expect(row.candidate).toEqual(row.baseline);
    expect(evaluation.table?.metrics.find((row) => row.metric === "mAP@0.5")?.candidate).toBeGreaterThan(0);
    const evaluated = await readBody(
      await stack.worker.fetch(`/v1/models/${NAME}/versions/1`, { headers: { Authorization: auth } }),
      ModelVersionSchema,
    );
    const metrics = evaluated.metrics as { val: { map50: number }; baseline: { map50: number } };
    expect(metrics.val.map50).toBe(metrics.baseline.map50);

    const promoted = await stack.worker.fetch(`/v1/models/${NAME}/promote`, {
      method: "POST",
      headers: json(auth),
      body: JSON.stringify({ version: 1, reason: "evaluated" }),
    });
    await readBody(promoted, PromotionSchema);
    await uploadShipped(auth, {});
    const started = await stack.worker.fetch(`/v1/models/${NAME}/shadow`, {
      method: "POST",
      headers: json(auth),
      body: JSON.stringify({ version: 2, share: 0.5 }),
    });
    const shadow = await readBody(started, ShadowSchema);

    // Jobs until two were picked: about half are, by job id.
    const jobIds: string[] = [];
    const picked: string[] = [];
    for (const { png } of await films(16, "shadow-jobs")) {
      if (picked.length >= 2) break;
      const image = await stack.worker.fetch("/v1/images", {
        method: "POST",
        headers: { Authorization: auth, "Content-Type": "image/png", "Content-Length": String(png.length) },
        body: png,
      });
      const imageId = (await readBody(image, ImageSchema)).id;
      const created = await stack.worker.fetch("/v1/jobs", {
        method: "POST",
        headers: json(auth),
        body: JSON.stringify({ imageId, model: NAME }),
      });
      for (const { id } of (await readBody(created, QueuedJobsSchema)).jobs) {
        jobIds.push(id);
        if (pickedForShadow(shadow.id, id, 0.5)) picked.push(id);
      }
    }
    expect(picked.length).toBe(2);
    for (const id of jobIds) {
      const done = await stack.worker.fetch(`/v1/jobs/${id}?wait=60`, { headers: { Authorization: auth } });
      expect((await readBody(done, JobSchema)).status).toBe("succeeded");
    }
    const report = await eventually(
      async () => {
        const response = await stack.worker.fetch(`/v1/models/${NAME}/shadow`, {
          headers: { Authorization: auth },
        });
        const body = await readBody(response, ShadowSchema);
        return body.jobs.succeeded + body.jobs.failed === picked.length ? body : undefined;
      },
      60_000,
      "the shadow results",
    );
    expect(report.jobs).toMatchObject({ picked: picked.length, succeeded: picked.length, failed: 0 });
    expect(report.agreement).toMatchObject({ extra: 0, missing: 0, agreement: 1 });
  }, 300_000);
});
