import { describe, expect, test } from "bun:test";
import { JobSchema } from "@edge/routes/jobs/schema";
import { ReviewActionsResultSchema, ReviewEventPageSchema } from "@edge/routes/reviews/schema";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { insertImage, insertJob, MODEL, postResult, succeededResult } from "@scripts/testing/job-fixtures";
import { expectError, readBody } from "@scripts/testing/responses";
import { getReview, postReviewActions, succeededJob } from "@scripts/testing/review-fixtures";
import { useTestWorker } from "@scripts/testing/test-worker";

const worker = useTestWorker({ vars: { RATE_LIMIT_WRITE: "1000/60s", RATE_LIMIT_READ: "1000/60s" } });

const MODEL_CLASSES = ["porosity", "crack", "slag_inclusion"];

/** A succeeded job whose model reported its classes, with the given detections (none: an empty film). */
async function jobOfModel(ownerId: string, detections: ReturnType<typeof succeededResult>["detections"]) {
  const image = await insertImage(worker.current, ownerId);
  const jobId = await insertJob(worker.current, ownerId, image.id);
  const result = succeededResult(jobId, { model: { ...MODEL, classes: MODEL_CLASSES }, detections });
  const response = await postResult(worker.current, jobId, result);
  expect(response.status).toBe(200);
  return jobId;
}

async function reviewer() {
  const session = await signedInUser(worker.current);
  const { jobId } = await succeededJob(worker.current, session.user.id);
  const { review, etag } = await getReview(worker.current, session.auth, jobId);
  const [porosity, crack] = review.items.map((item) => item.id) as [string, string];
  return { ...session, jobId, etag, porosity, crack };
}

describe("accept-pending: accept every pending detection at or above a score", () => {
  test("accepts only pending model detections scored at least minScore, in one version", async () => {
    const { auth, jobId, etag, porosity, crack } = await reviewer();
    const response = await postReviewActions(
      worker.current,
      auth,
      jobId,
      [{ type: "accept-pending", minScore: 0.5 }],
      etag,
    );
    const after = await readBody(response, ReviewActionsResultSchema);
    expect(response.headers.get("etag")).toBe('"1"');
    expect(after.items.map((item) => [item.id, item.decision])).toEqual([
      [porosity, "accepted"],
      [crack, "pending"],
    ]);
    expect(after.counts).toEqual({ pending: 1, accepted: 1, rejected: 0 });
    const history = await readBody(
      await worker.current.fetch(`/v1/jobs/${jobId}/review/history`, { headers: { Authorization: auth } }),
      ReviewEventPageSchema,
    );
    expect(history.items.map((event) => [event.action, event.itemId, event.version])).toEqual([
      ["accept", porosity, 1],
    ]);
  });

  test("leaves decided indications alone: a rejected one stays rejected", async () => {
    const { auth, jobId, etag, porosity, crack } = await reviewer();
    const response = await postReviewActions(
      worker.current,
      auth,
      jobId,
      [
        { type: "reject", itemId: porosity },
        { type: "accept-pending", minScore: 0 },
      ],
      etag,
    );
    const after = await readBody(response, ReviewActionsResultSchema);
    expect(after.items.map((item) => [item.id, item.decision])).toEqual([
      [porosity, "rejected"],
      [crack, "accepted"],
    ]);
  });

  test("is checked against the ETag: a stale version is 412 and nothing changes", async () => {
    const { auth, jobId, etag, porosity } = await reviewer();
    expect(
      (await postReviewActions(worker.current, auth, jobId, [{ type: "accept", itemId: porosity }], etag))
        .status,
    ).toBe(200);
    const stale = await postReviewActions(
      worker.current,
      auth,
      jobId,
      [{ type: "accept-pending", minScore: 0 }],
      etag,
    );
    await expectError(stale, 412, "precondition_failed");
    const { review } = await getReview(worker.current, auth, jobId);
    expect(review.counts).toEqual({ pending: 1, accepted: 1, rejected: 0 });
  });

  test("minScore outside 0-1 or missing is 400 validation_failed", async () => {
    const { auth, jobId, etag } = await reviewer();
    for (const action of [{ type: "accept-pending", minScore: 1.5 }, { type: "accept-pending" }]) {
      await expectError(
        await postReviewActions(worker.current, auth, jobId, [action], etag),
        400,
        "validation_failed",
      );
    }
  });

  test("another owner's job is 404 and keeps its decisions", async () => {
    const { auth, jobId, etag } = await reviewer();
    const other = await signedInUser(worker.current);
    await expectError(
      await postReviewActions(
        worker.current,
        other.auth,
        jobId,
        [{ type: "accept-pending", minScore: 0 }],
        etag,
      ),
      404,
      "not_found",
    );
    expect((await getReview(worker.current, auth, jobId)).review.counts.pending).toBe(2);
  });
});

describe("reset: a decision back to pending (undo)", () => {
  test("an accepted detection goes back to pending with its label; the history records reset", async () => {
    const { auth, jobId, etag, porosity } = await reviewer();
    const accepted = await postReviewActions(
      worker.current,
      auth,
      jobId,
      [{ type: "accept", itemId: porosity }],
      etag,
    );
    const response = await postReviewActions(
      worker.current,
      auth,
      jobId,
      [{ type: "reset", itemId: porosity }],
      accepted.headers.get("etag") as string,
    );
    const after = await readBody(response, ReviewActionsResultSchema);
    expect(after.items[0]).toMatchObject({ id: porosity, decision: "pending", label: "porosity" });
    const history = await readBody(
      await worker.current.fetch(`/v1/jobs/${jobId}/review/history`, { headers: { Authorization: auth } }),
      ReviewEventPageSchema,
    );
    expect(history.items[0]).toMatchObject({
      action: "reset",
      before: { decision: "accepted" },
      after: { decision: "pending" },
    });
  });

  test("an itemId of another job is 404", async () => {
    const { auth, jobId, etag } = await reviewer();
    const elsewhere = await reviewer();
    await expectError(
      await postReviewActions(
        worker.current,
        auth,
        jobId,
        [{ type: "reset", itemId: elsewhere.porosity }],
        etag,
      ),
      404,
      "not_found",
    );
  });
});

describe("classes come from the model", () => {
  test("a job shows its model's classes, even with no detections", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const jobId = await jobOfModel(user.id, []);
    const job = await readBody(
      await worker.current.fetch(`/v1/jobs/${jobId}`, { headers: { Authorization: auth } }),
      JobSchema,
    );
    expect(job.model.classes).toEqual(MODEL_CLASSES);
    expect(job.detections).toEqual([]);
  });

  test('drawing on an empty film takes a model class; an invented class 0 "defect" is refused', async () => {
    const { user, auth } = await signedInUser(worker.current);
    const jobId = await jobOfModel(user.id, []);
    const box = { x1: 10, y1: 10, x2: 50, y2: 40 };
    for (const invented of [
      { classId: 0, label: "defect" },
      { classId: 3, label: "undercut" },
    ]) {
      const refused = await postReviewActions(
        worker.current,
        auth,
        jobId,
        [{ type: "add", ...invented, box }],
        '"0"',
      );
      const error = await expectError(refused, 400, "validation_failed");
      expect(error.details).toMatchObject({ actionIndex: 0, classes: MODEL_CLASSES });
    }
    const drawn = await postReviewActions(
      worker.current,
      auth,
      jobId,
      [{ type: "add", classId: 2, label: "slag_inclusion", box }],
      '"0"',
    );
    const after = await readBody(drawn, ReviewActionsResultSchema);
    expect(after.items.map((item) => [item.classId, item.label, item.source])).toEqual([
      [2, "slag_inclusion", "reviewer"],
    ]);
  });

  test("relabelling names a model class by its id", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const jobId = await jobOfModel(user.id, succeededResult("x").detections.slice(0, 1));
    const { review, etag } = await getReview(worker.current, auth, jobId);
    const itemId = review.items[0]?.id as string;
    const mismatched = { type: "relabel", itemId, classId: 1, label: "slag_inclusion" };
    await expectError(
      await postReviewActions(worker.current, auth, jobId, [mismatched], etag),
      400,
      "validation_failed",
    );
    const ok = await postReviewActions(
      worker.current,
      auth,
      jobId,
      [{ type: "relabel", itemId, classId: 1, label: "crack" }],
      etag,
    );
    expect((await readBody(ok, ReviewActionsResultSchema)).items[0]).toMatchObject({
      classId: 1,
      label: "crack",
    });
  });
});
