import { describe, expect, test } from "bun:test";
import {
  EvaluationClaimSchema,
  EvaluationProgressAnswerSchema,
  EvaluationResultAnswerSchema,
} from "@common/contracts/evaluation";
import { datasetItems } from "@db/schema";
import { EvaluationSchema } from "@edge/routes/models/evaluation-schema";
import { ModelVersionSchema } from "@edge/routes/models/schema";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { expectError, readBody } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";
import { and, eq } from "drizzle-orm";
import { complete, modelFile, putFile, sha256Hex, startUpload } from "../models/model-fixtures";
import {
  callInternal,
  evaluationOf,
  smallDataset,
  succeeded,
  uploadWithDataset,
} from "./evaluation-fixtures";

const worker = useTestWorker({ vars: { RATE_LIMIT_WRITE: "1000/60s", RATE_LIMIT_READ: "1000/60s" } });

const claim = (id: string, attempt = 1) =>
  callInternal(worker.current, `evaluations/${id}/claim`, { version: 1, attempt });

describe("evaluation of a new version: happy path", () => {
  test("an upload with a dataset is evaluated beside the shipped model; the figures land on the version", async () => {
    const { auth } = await signedInUser(worker.current);
    const dataset = await smallDataset(worker.current, auth);
    const version = await uploadWithDataset(worker.current, auth, "welds", {
      datasetId: dataset.id,
      metrics: { val: { map50: 0.9 } },
    });
    const row = await evaluationOf(worker.current, version.id);
    expect(row).toMatchObject({ status: "queued", baseline: { source: "shipped", name: "weld-defects" } });
    expect(row?.enqueuedAt).not.toBeNull();
    const id = row?.id as string;

    const claimed = await readBody(await claim(id), EvaluationClaimSchema);
    if (claimed.outcome !== "claimed") throw new Error(`expected a claim, got ${claimed.outcome}`);
    expect(claimed.attempts).toBe(1);
    expect(claimed.evaluation.classes).toEqual(["porosity", "crack"]);
    // The val split is decided per film by the dataset's seed: the claim carries exactly those items.
    const val = await worker.current.db
      .select({ key: datasetItems.key, boxes: datasetItems.boxes })
      .from(datasetItems)
      .where(and(eq(datasetItems.datasetId, dataset.id), eq(datasetItems.split, "val")))
      .orderBy(datasetItems.id);
    expect(val.length).toBeGreaterThan(0);
    expect(claimed.evaluation.items.map((item) => [item.key, item.boxes])).toEqual(
      val.map((item) => [item.key, item.boxes]),
    );
    expect(claimed.evaluation.candidate).toMatchObject({ source: "registry", name: "welds", version: 1 });
    expect(claimed.evaluation.baseline).toEqual({ source: "shipped", name: "weld-defects" });
    expect(claimed.evaluation.params).toMatchObject({ conf: 0.001, tiling: "auto" });

    // A redelivery while the first attempt reports progress is told the evaluation is busy.
    expect(await readBody(await claim(id, 2), EvaluationClaimSchema)).toEqual({ outcome: "busy" });
    const progress = (attempt: number) =>
      callInternal(worker.current, `evaluations/${id}/progress`, { version: 1, attempt, done: 1, total: 2 });
    expect(await readBody(await progress(1), EvaluationProgressAnswerSchema)).toEqual({
      outcome: "continue",
    });
    expect(await readBody(await progress(7), EvaluationProgressAnswerSchema)).toEqual({ outcome: "stop" });

    const result = (body = succeeded(id, 1)) =>
      callInternal(worker.current, `evaluations/${id}/result`, body);
    expect(await readBody(await result(), EvaluationResultAnswerSchema)).toEqual({ outcome: "applied" });
    // Idempotent: the first result wins, a second (even other figures) changes nothing.
    expect(await readBody(await result(succeeded(id, 1, 0.1, 0.1)), EvaluationResultAnswerSchema)).toEqual({
      outcome: "duplicate",
    });
    expect(await readBody(await claim(id, 3), EvaluationClaimSchema)).toEqual({ outcome: "finished" });

    const got = await worker.current.fetch("/v1/models/welds/versions/1", {
      headers: { Authorization: auth },
    });
    const shown = await readBody(got, ModelVersionSchema);
    expect(shown.metrics).toMatchObject({
      val: { map50: 0.6, map50_95: 0.3, precision: 0.8, recall: 0.7 },
      reportedVal: { map50: 0.9 },
      baseline: { source: "shipped", ref: "weld-defects", map50: 0.4, model: { name: "weld-defects" } },
      evaluation: { id, datasetId: dataset.id, split: "val", images: 2 },
    });

    const evaluation = await worker.current.fetch("/v1/models/welds/versions/1/evaluation", {
      headers: { Authorization: auth },
    });
    const table = await readBody(evaluation, EvaluationSchema);
    expect(table).toMatchObject({
      status: "succeeded",
      candidate: { ref: "welds@1" },
      baseline: { ref: "weld-defects" },
    });
    expect(table.table?.metrics[0]).toEqual({
      metric: "mAP@0.5",
      candidate: 0.6,
      baseline: 0.4,
      delta: expect.any(Number),
    });
    expect(table.table?.metrics[0]?.delta).toBeCloseTo(0.2, 9);
    expect(table.table?.perClass.map((row) => [row.name, row.candidate?.ap50, row.baseline?.ap50])).toEqual([
      ["porosity", 0.6, 0.4],
      ["crack", null, null],
    ]);

    const card = await worker.current.fetch("/v1/models/welds/versions/1/card", {
      headers: { Authorization: auth },
    });
    const markdown = await card.text();
    expect(markdown).toContain("| metric | this version | weld-defects |");
    expect(markdown).toContain("| mAP@0.5 | 0.6000 | 0.4000 |");
  });

  test("a later version is set against the production version; one without a dataset is not evaluated", async () => {
    const { auth } = await signedInUser(worker.current);
    const dataset = await smallDataset(worker.current, auth);
    const first = await uploadWithDataset(worker.current, auth, "welds", { datasetId: dataset.id });
    const firstEvaluation = await evaluationOf(worker.current, first.id);
    await callInternal(worker.current, `evaluations/${firstEvaluation?.id}/claim`, {
      version: 1,
      attempt: 1,
    });
    await callInternal(
      worker.current,
      `evaluations/${firstEvaluation?.id}/result`,
      succeeded(firstEvaluation?.id as string, 1),
    );
    const promoted = await worker.current.fetch("/v1/models/welds/promote", {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "application/json" },
      body: JSON.stringify({ version: 1, reason: "first" }),
    });
    expect(promoted.status).toBe(200);
    const second = await uploadWithDataset(worker.current, auth, "welds", { datasetId: dataset.id });
    expect((await evaluationOf(worker.current, second.id))?.baseline).toEqual({
      source: "registry",
      name: "welds",
      version: 1,
      versionId: first.id,
    });
    const bare = await uploadWithDataset(worker.current, auth, "welds", {});
    expect(await evaluationOf(worker.current, bare.id)).toBeUndefined();
    await expectError(
      await worker.current.fetch("/v1/models/welds/versions/3/evaluation", {
        headers: { Authorization: auth },
      }),
      404,
      "not_found",
    );
  });
});

describe("evaluation: failures and retries", () => {
  test("a retryable failure queues it again for the next claim; a permanent one ends it", async () => {
    const { auth } = await signedInUser(worker.current);
    const dataset = await smallDataset(worker.current, auth);
    const version = await uploadWithDataset(worker.current, auth, "welds", { datasetId: dataset.id });
    const id = (await evaluationOf(worker.current, version.id))?.id as string;
    await claim(id);
    const failure = (attempt: number, permanent: boolean) =>
      callInternal(worker.current, `evaluations/${id}/result`, {
        version: 1,
        evaluationId: id,
        status: "failed",
        attempt,
        error: { code: permanent ? "model_invalid" : "image_fetch_failed", message: "no", permanent },
      });
    expect(await readBody(await failure(1, false), EvaluationResultAnswerSchema)).toEqual({
      outcome: "recorded_retry",
    });
    expect((await evaluationOf(worker.current, version.id))?.status).toBe("queued");
    const again = await readBody(await claim(id, 2), EvaluationClaimSchema);
    expect(again).toMatchObject({ outcome: "claimed", attempts: 2 });
    // The first attempt's late failure is stale; the current attempt's permanent one ends it.
    expect(await readBody(await failure(1, true), EvaluationResultAnswerSchema)).toEqual({
      outcome: "ignored",
    });
    expect(await readBody(await failure(2, true), EvaluationResultAnswerSchema)).toEqual({
      outcome: "applied",
    });
    expect(await evaluationOf(worker.current, version.id)).toMatchObject({
      status: "failed",
      errorCode: "model_invalid",
    });
    const shown = await worker.current.fetch("/v1/models/welds/versions/1/evaluation", {
      headers: { Authorization: auth },
    });
    expect(await readBody(shown, EvaluationSchema)).toMatchObject({
      status: "failed",
      table: null,
      error: { code: "model_invalid" },
    });
  });
});

describe("evaluation: security", () => {
  test("another owner's evaluation is 404; the internal calls need the callback token", async () => {
    const owner = await signedInUser(worker.current);
    const dataset = await smallDataset(worker.current, owner.auth);
    const version = await uploadWithDataset(worker.current, owner.auth, "welds", { datasetId: dataset.id });
    const id = (await evaluationOf(worker.current, version.id))?.id as string;
    const other = await signedInUser(worker.current);
    await expectError(
      await worker.current.fetch("/v1/models/welds/versions/1/evaluation", {
        headers: { Authorization: other.auth },
      }),
      404,
      "not_found",
    );
    // Nor can another owner's dataset be named as a version's lineage (to be evaluated on it).
    const bytes = await modelFile();
    const upload = await startUpload(worker.current, other.auth, "welds");
    await putFile(worker.current, upload.uploadUrl, bytes);
    const body = { sha256: sha256Hex(bytes), bytes: bytes.length, datasetId: dataset.id };
    await expectError(
      await complete(worker.current, other.auth, "welds", upload.uploadId, body),
      404,
      "not_found",
    );
    for (const headers of [
      { "Content-Type": "application/json" } as Record<string, string>,
      { Authorization: owner.auth, "Content-Type": "application/json" },
    ]) {
      await expectError(
        await callInternal(worker.current, `evaluations/${id}/claim`, { version: 1, attempt: 1 }, headers),
        401,
        "unauthorized",
      );
    }
    expect((await evaluationOf(worker.current, version.id))?.status).toBe("queued");
  });
});
