import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { modelEvaluations, modelVersions, trainings } from "@db/schema";
import { TrainingPageSchema, TrainingSchema } from "@edge/routes/trainings/schema";
import { createApiKey, signedInUser } from "@scripts/testing/auth-fixtures";
import { expectError, readBody } from "@scripts/testing/responses";
import { stubEpoch, stubTrainer } from "@scripts/testing/stub-trainer";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";
import {
  createTraining,
  getTraining,
  postTraining,
  TRAINING_TEST_VARS,
  trainableDataset,
} from "./training-fixtures";

// Each test imports a dataset and runs a trainer through the local queue: seconds on a busy machine.
setDefaultTimeout(30_000);

const worker = useTestWorker({ r2S3: true, vars: TRAINING_TEST_VARS });

describe("POST /v1/trainings, then a trainer", () => {
  test("a run is claimed, trained, and finished into a registry version with lineage and metrics", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const dataset = await trainableDataset(worker.current, auth);
    const created = await createTraining(worker.current, auth, {
      datasetId: dataset.id,
      baseModel: "weld-defects",
      name: "welds-tuned",
      epochs: 2,
    });
    expect(created).toMatchObject({ status: "queued", attempts: 0, progress: [], model: null });
    expect(created.params).toEqual({ epochs: 2, imgsz: null, tileSize: null, batch: 16, seed: 0 });

    const trainer = stubTrainer(worker.current);
    const run = await trainer.runOnce();
    expect(run.claim).toMatchObject({
      outcome: "claimed",
      attempt: 1,
      training: {
        id: created.id,
        name: "welds-tuned",
        base: { kind: "shipped", name: "weld-defects" },
        dataset: {
          id: dataset.id,
          classes: ["porosity", "crack"],
          images: { train: dataset.counts.images.train, val: dataset.counts.images.val },
        },
      },
    });
    // Every image, paged (TRAINING_ITEMS_PAGE_SIZE=2), read by presigned URL with its boxes.
    expect(run.items).toHaveLength(dataset.counts.images.total);
    expect(run.items?.every((item) => item.boxes.length === 1)).toBe(true);
    expect(run.finish).toEqual({ outcome: "recorded", status: "succeeded", model: "welds-tuned@1" });

    const done = await getTraining(worker.current, auth, created.id);
    expect(done).toMatchObject({ status: "succeeded", attempts: 1, model: "welds-tuned@1", error: null });
    expect(done.progress.map((epoch) => epoch.epoch)).toEqual([1, 2]);
    expect(done.metrics).toMatchObject({ bestEpoch: 2, epochs: 2, val: stubEpoch(2, 2).val });
    const [version] = await worker.current.db
      .select()
      .from(modelVersions)
      .where(eq(modelVersions.ownerId, user.id));
    expect(version).toMatchObject({
      name: "welds-tuned",
      version: 1,
      datasetId: dataset.id,
      baseModel: "weld-defects",
      metrics: expect.objectContaining({ bestEpoch: 2, training: { id: created.id, attempt: 1 } }),
    });
    // The new version's evaluation on the dataset's val split is queued at once.
    const evaluations = await worker.current.db
      .select()
      .from(modelEvaluations)
      .where(eq(modelEvaluations.versionId, version?.id ?? ""));
    expect(evaluations).toHaveLength(1);
    expect(evaluations[0]).toMatchObject({ datasetId: dataset.id, ownerId: user.id });

    // A redelivery of the finished run's message is acknowledged without work.
    expect(await trainer.claim(created.id, 2)).toEqual({ outcome: "finished" });
  });

  test("lists the caller's runs newest first, by status, paged", async () => {
    const { auth } = await signedInUser(worker.current);
    const dataset = await trainableDataset(worker.current, auth);
    const body = { datasetId: dataset.id, baseModel: "weld-defects", name: "listed", epochs: 1 };
    const first = await createTraining(worker.current, auth, body);
    const second = await createTraining(worker.current, auth, body);
    const page = await readBody(
      await worker.current.fetch("/v1/trainings?limit=1", { headers: { Authorization: auth } }),
      TrainingPageSchema,
    );
    expect(page.items.map((run) => run.id)).toEqual([second.id]);
    const next = await readBody(
      await worker.current.fetch(`/v1/trainings?limit=1&cursor=${page.nextCursor}&status=queued`, {
        headers: { Authorization: auth },
      }),
      TrainingPageSchema,
    );
    expect(next.items.map((run) => run.id)).toEqual([first.id]);
    await drain();
  });
});

/** Takes the file's leftover messages off the queue, so each test pulls its own. */
async function drain() {
  const trainer = stubTrainer(worker.current);
  for (;;) {
    const next = await trainer.pull(1000).catch(() => null);
    if (!next) return;
    await trainer.ack(next.message);
  }
}

describe("POST /v1/trainings refuses", () => {
  test("bodies over the limits, unknown models, reserved names, and datasets without both splits", async () => {
    const { auth } = await signedInUser(worker.current);
    const dataset = await trainableDataset(worker.current, auth);
    const base = { datasetId: dataset.id, baseModel: "weld-defects", name: "x" };
    await expectError(
      await postTraining(worker.current, auth, { ...base, epochs: 21 }),
      400,
      "validation_failed",
    );
    await expectError(
      await postTraining(worker.current, auth, { ...base, imgsz: 100 }),
      400,
      "validation_failed",
    );
    await expectError(
      await postTraining(worker.current, auth, { ...base, imgsz: 2048 }),
      400,
      "validation_failed",
    );
    await expectError(
      await postTraining(worker.current, auth, { ...base, extra: 1 }),
      400,
      "validation_failed",
    );
    await expectError(
      await postTraining(worker.current, auth, { ...base, name: "Bad Name" }),
      400,
      "validation_failed",
    );
    await expectError(
      await postTraining(worker.current, auth, { ...base, name: "weld-defects" }),
      400,
      "validation_failed",
    );
    await expectError(
      await postTraining(worker.current, auth, { ...base, baseModel: "yolo-huge" }),
      400,
      "unknown_model",
    );
    await expectError(
      await postTraining(worker.current, auth, { ...base, baseModel: "mine@3" }),
      404,
      "not_found",
    );
    const runs = await worker.current.db.select().from(trainings).where(eq(trainings.datasetId, dataset.id));
    expect(runs).toEqual([]);
  });

  test("another owner's dataset, base version and run are 404, as missing ones", async () => {
    const owner = await signedInUser(worker.current);
    const other = await signedInUser(worker.current);
    const dataset = await trainableDataset(worker.current, owner.auth);
    const run = await createTraining(worker.current, owner.auth, {
      datasetId: dataset.id,
      baseModel: "weld-defects",
      name: "mine",
    });
    await expectError(
      await postTraining(worker.current, other.auth, {
        datasetId: dataset.id,
        baseModel: "weld-defects",
        name: "x",
      }),
      404,
      "not_found",
    );
    const theirs = await trainableDataset(worker.current, other.auth);
    await worker.current.db.insert(modelVersions).values({
      ownerId: owner.user.id,
      name: "private",
      version: 1,
      objectKey: "models/private.onnx",
      sha256: "a".repeat(64),
      bytes: 10,
      classes: ["porosity"],
      inputSize: { width: 320, height: 320 },
      layout: "ultralytics",
      metadata: {},
      card: "",
    });
    await expectError(
      await postTraining(worker.current, other.auth, {
        datasetId: theirs.id,
        baseModel: "private@1",
        name: "x",
      }),
      404,
      "not_found",
    );
    for (const path of [`/v1/trainings/${run.id}`, `/v1/trainings/${run.id}/events`]) {
      await expectError(
        await worker.current.fetch(path, { headers: { Authorization: other.auth } }),
        404,
        "not_found",
      );
    }
    await expectError(
      await worker.current.fetch(`/v1/trainings/${run.id}/cancel`, {
        method: "POST",
        headers: { Authorization: other.auth },
      }),
      404,
      "not_found",
    );
    await drain();
  });

  test("an API key needs trainings:read / trainings:write; the internal API needs the trainer's credential", async () => {
    const { auth } = await signedInUser(worker.current);
    const { key } = await createApiKey(worker.current, auth, ["datasets:read"]);
    const headers = { Authorization: `Bearer ${key}` };
    await expectError(await worker.current.fetch("/v1/trainings", { headers }), 403, "insufficient_scope");
    const body = { datasetId: crypto.randomUUID(), baseModel: "weld-defects", name: "x" };
    await expectError(await postTraining(worker.current, `Bearer ${key}`, body), 403, "insufficient_scope");
    const id = crypto.randomUUID();
    for (const token of ["", "wrong-token-0123456789"]) {
      const response = await worker.current.fetch(`/internal/v1/trainings/${id}/claim`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ version: 1, delivery: 1 }),
      });
      await expectError(response, 401, "unauthorized");
    }
  });
});

describe("cancel and stale attempts", () => {
  test("cancelling a running run stops its trainer at the next report; nothing it sends counts", async () => {
    const { auth } = await signedInUser(worker.current);
    const dataset = await trainableDataset(worker.current, auth);
    const run = await createTraining(worker.current, auth, {
      datasetId: dataset.id,
      baseModel: "weld-defects",
      name: "cancelled",
      epochs: 3,
    });
    const trainer = stubTrainer(worker.current);
    const { message, trainingId } = await trainer.pull();
    expect(trainingId).toBe(run.id);
    const claim = await trainer.claim(run.id);
    if (claim.outcome !== "claimed") throw new Error("not claimed");
    expect(await trainer.progress(run.id, claim.attempt, stubEpoch(1, 3))).toEqual({ outcome: "continue" });

    const cancel = await worker.current.fetch(`/v1/trainings/${run.id}/cancel`, {
      method: "POST",
      headers: { Authorization: auth },
    });
    expect((await readBody(cancel, TrainingSchema)).status).toBe("cancelled");
    expect(await trainer.progress(run.id, claim.attempt, stubEpoch(2, 3))).toEqual({
      outcome: "stop",
      reason: "cancelled",
    });
    expect(await trainer.upload(run.id, claim.attempt, new Uint8Array(8))).toMatchObject({
      outcome: "stop",
      reason: "cancelled",
    });
    await trainer.ack(message);
    const after = await getTraining(worker.current, auth, run.id);
    expect(after).toMatchObject({ status: "cancelled", model: null });
    expect(after.progress).toHaveLength(1);
    // Cancelling again answers the run; a finished one cannot be cancelled.
    const again = await worker.current.fetch(`/v1/trainings/${run.id}/cancel`, {
      method: "POST",
      headers: { Authorization: auth },
    });
    expect(again.status).toBe(200);
    await worker.current.db.update(trainings).set({ status: "failed" }).where(eq(trainings.id, run.id));
    await expectError(
      await worker.current.fetch(`/v1/trainings/${run.id}/cancel`, {
        method: "POST",
        headers: { Authorization: auth },
      }),
      409,
      "training_finished",
    );
  });

  test("a second claim after the trainer went silent makes the first attempt's reports stale", async () => {
    const { auth } = await signedInUser(worker.current);
    const dataset = await trainableDataset(worker.current, auth);
    const run = await createTraining(worker.current, auth, {
      datasetId: dataset.id,
      baseModel: "weld-defects",
      name: "stale",
      epochs: 1,
    });
    const trainer = stubTrainer(worker.current);
    const { message } = await trainer.pull();
    const first = await trainer.claim(run.id);
    if (first.outcome !== "claimed") throw new Error("not claimed");
    // While the first trainer reports, a duplicate delivery is told the run is busy.
    expect(await trainer.claim(run.id, 2)).toEqual({ outcome: "busy" });
    await worker.current.db
      .update(trainings)
      .set({ heartbeatAt: new Date(Date.now() - 2 * 3_600_000) })
      .where(eq(trainings.id, run.id));
    const second = await trainer.claim(run.id, 2);
    expect(second).toMatchObject({ outcome: "claimed", attempt: 2 });

    expect(await trainer.progress(run.id, 1, stubEpoch(1, 1))).toEqual({ outcome: "stop", reason: "stale" });
    const staleFinish = await trainer.finish(run.id, {
      version: 1,
      attempt: 1,
      status: "failed",
      error: { code: "training_failed", message: "out of memory", permanent: true },
    });
    expect(staleFinish).toEqual({ outcome: "ignored", reason: "stale" });
    const items = await worker.current.fetch(`/internal/v1/trainings/${run.id}/items?attempt=1`, {
      headers: { Authorization: `Bearer ${worker.current.trainerCallbackToken}` },
    });
    await expectError(items, 409, "training_finished");
    expect(await getTraining(worker.current, auth, run.id)).toMatchObject({ status: "running", attempts: 2 });

    // The current attempt's retryable failure puts the run back to queued, its error kept.
    const retry = await trainer.finish(run.id, {
      version: 1,
      attempt: 2,
      status: "failed",
      error: { code: "dataset_fetch_failed", message: "connection reset", permanent: false },
    });
    expect(retry).toEqual({ outcome: "recorded", status: "queued", model: null });
    expect(await getTraining(worker.current, auth, run.id)).toMatchObject({
      status: "queued",
      error: { code: "dataset_fetch_failed", message: "connection reset" },
    });
    await trainer.retry(message);
    const redelivered = await trainer.runOnce();
    expect(redelivered.finish).toEqual({ outcome: "recorded", status: "succeeded", model: "stale@1" });
    expect(await getTraining(worker.current, auth, run.id)).toMatchObject({
      status: "succeeded",
      attempts: 3,
      error: null,
    });
  });

  test("a permanent failure fails the run with its code; a model the registry refuses fails it model_rejected", async () => {
    const { auth } = await signedInUser(worker.current);
    const dataset = await trainableDataset(worker.current, auth);
    const body = { datasetId: dataset.id, baseModel: "weld-defects", epochs: 1 };
    const broken = await createTraining(worker.current, auth, { ...body, name: "broken" });
    const trainer = stubTrainer(worker.current);
    const { message } = await trainer.pull();
    const claim = await trainer.claim(broken.id);
    if (claim.outcome !== "claimed") throw new Error("not claimed");
    expect(
      await trainer.finish(broken.id, {
        version: 1,
        attempt: claim.attempt,
        status: "failed",
        error: { code: "dataset_invalid", message: "no readable image", permanent: true },
      }),
    ).toEqual({ outcome: "recorded", status: "failed", model: null });
    await trainer.ack(message);
    expect(await getTraining(worker.current, auth, broken.id)).toMatchObject({
      status: "failed",
      error: { code: "dataset_invalid", message: "no readable image" },
    });

    const rejected = await createTraining(worker.current, auth, { ...body, name: "rejected" });
    const run = await trainer.runOnce(new TextEncoder().encode("not an onnx model at all"));
    expect(run.trainingId).toBe(rejected.id);
    expect(run.finish).toEqual({ outcome: "recorded", status: "failed", model: null });
    const failed = await getTraining(worker.current, auth, rejected.id);
    expect(failed).toMatchObject({ status: "failed", model: null, error: { code: "model_rejected" } });
  });
});
