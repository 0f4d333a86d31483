import { describe, expect, test } from "bun:test";
import { ReviewActionsResultSchema, ReviewEventPageSchema } from "@edge/routes/reviews/schema";
import { createApiKey, signedInUser } from "@scripts/testing/auth-fixtures";
import { CocoExportSchema } from "@scripts/testing/coco-export";
import { detectionRows, insertImage, insertJob } from "@scripts/testing/job-fixtures";
import { readBody, readError } from "@scripts/testing/responses";
import { getReview, postReviewActions, review, succeededJob } from "@scripts/testing/review-fixtures";
import { useTestWorker } from "@scripts/testing/test-worker";
import { strFromU8, unzipSync } from "fflate";

const worker = useTestWorker({
  vars: {
    RATE_LIMIT_WRITE: "1000/60s",
    RATE_LIMIT_READ: "1000/60s",
    REVIEW_MAX_ACTIONS_PER_REQUEST: "5",
    REVIEW_MAX_ADDED_PER_JOB: "2",
  },
});

async function reviewer() {
  const session = await signedInUser(worker.current);
  const job = await succeededJob(worker.current, session.user.id);
  const { review: initial, etag } = await getReview(worker.current, session.auth, job.jobId);
  const [porosity, crack] = initial.items;
  return { ...session, ...job, initial, etag, porosity: porosity?.id as string, crack: crack?.id as string };
}

describe("reading a review", () => {
  test("a never-reviewed job shows every detection pending, as the model gave it, at version 0", async () => {
    const { initial, etag, jobId } = await reviewer();
    expect(etag).toBe('"0"');
    expect(initial.version).toBe(0);
    expect(initial.counts).toEqual({ pending: 2, accepted: 0, rejected: 0 });
    expect(initial.items.map((i) => [i.source, i.decision, i.label, i.score])).toEqual([
      ["model", "pending", "porosity", expect.closeTo(0.91, 5)],
      ["model", "pending", "crack", expect.closeTo(0.42, 5)],
    ]);
    const [first] = initial.items;
    expect(first?.original?.box).toEqual(first?.box as never);
    expect(first?.boxNormalized.x2).toBeCloseTo(110 / 640, 5);
    const rows = await detectionRows(worker.current, jobId);
    expect(initial.items.map((i) => i.id)).toEqual(rows.map((r) => r.id));
  });

  test("a job without a result cannot be reviewed (409 job_not_finished)", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const image = await insertImage(worker.current, user.id);
    const jobId = await insertJob(worker.current, user.id, image.id);
    const response = await worker.current.fetch(`/v1/jobs/${jobId}/review`, {
      headers: { Authorization: auth },
    });
    expect(response.status).toBe(409);
    expect((await readError(response)).code).toBe("job_not_finished");
  });
});

describe("review actions", () => {
  test("accept, reject, relabel, resize, draw and note: applied in order, model rows untouched", async () => {
    const { auth, jobId, etag, porosity, crack } = await reviewer();
    const modelBefore = await detectionRows(worker.current, jobId);
    const response = await postReviewActions(
      worker.current,
      auth,
      jobId,
      [
        { type: "relabel", itemId: porosity, classId: 1, label: "slag" },
        { type: "resize", itemId: porosity, box: { x1: 12, y1: 22, x2: 100, y2: 70 } },
        { type: "reject", itemId: crack },
        {
          type: "add",
          classId: 2,
          label: "crack",
          box: { x1: 500, y1: 300, x2: 600, y2: 400 },
          note: "missed",
        },
        { type: "note", itemId: porosity, note: "checked on film" },
      ],
      etag,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toBe('"1"');
    const result = ReviewActionsResultSchema.parse(await response.json());
    expect(result.version).toBe(1);
    expect(result.added).toHaveLength(1);
    expect(result.counts).toEqual({ pending: 0, accepted: 2, rejected: 1 });
    const [first, second, drawn] = result.items;
    expect(first).toMatchObject({
      id: porosity,
      source: "model",
      decision: "accepted",
      classId: 1,
      label: "slag",
      box: { x1: 12, y1: 22, x2: 100, y2: 70 },
      note: "checked on film",
    });
    expect(first?.original).toMatchObject({
      classId: 0,
      label: "porosity",
      box: { x1: 10.5, y1: 20.25, x2: 110, y2: 80.75 },
    });
    expect(second).toMatchObject({ id: crack, decision: "rejected", label: "crack" });
    expect(drawn).toMatchObject({
      id: result.added[0],
      source: "reviewer",
      decision: "accepted",
      score: null,
      original: null,
      note: "missed",
    });
    // The model's output is kept as it came.
    expect(await detectionRows(worker.current, jobId)).toEqual(modelBefore);
  });

  test("every change is in the audit history with actor, time, before and after, newest first", async () => {
    const { auth, user, jobId, porosity } = await reviewer();
    await review(worker.current, auth, jobId, [{ type: "accept", itemId: porosity }]);
    await review(worker.current, auth, jobId, [
      { type: "relabel", itemId: porosity, classId: 3, label: "lack of fusion" },
    ]);
    const response = await worker.current.fetch(`/v1/jobs/${jobId}/review/history?limit=1`, {
      headers: { Authorization: auth },
    });
    const page = ReviewEventPageSchema.parse(await response.json());
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).not.toBeNull();
    const [latest] = page.items;
    expect(latest).toMatchObject({
      version: 2,
      action: "relabel",
      itemId: porosity,
      actor: { userId: user.id, email: user.email, apiKeyId: null },
      before: { decision: "accepted", classId: 0, label: "porosity" },
      after: { decision: "accepted", classId: 3, label: "lack of fusion" },
    });
    expect(Date.now() - Date.parse(latest?.at as string)).toBeLessThan(60_000);
    const rest = ReviewEventPageSchema.parse(
      await (
        await worker.current.fetch(`/v1/jobs/${jobId}/review/history?cursor=${page.nextCursor}`, {
          headers: { Authorization: auth },
        })
      ).json(),
    );
    expect(rest.items.map((e) => [e.version, e.action, e.before?.decision, e.after.decision])).toEqual([
      [1, "accept", "pending", "accepted"],
    ]);
  });

  test("a change made with an API key records the key", async () => {
    const { auth, jobId, porosity } = await reviewer();
    const { key, apiKey } = await createApiKey(worker.current, auth, ["jobs:read", "jobs:write"]);
    await review(worker.current, `Bearer ${key}`, jobId, [{ type: "reject", itemId: porosity }]);
    const page = ReviewEventPageSchema.parse(
      await (
        await worker.current.fetch(`/v1/jobs/${jobId}/review/history`, { headers: { Authorization: auth } })
      ).json(),
    );
    expect(page.items[0]?.actor.apiKeyId).toBe(apiKey.id);
  });

  test("actions are all or none: one bad action leaves the review and its history unchanged", async () => {
    const { auth, jobId, etag, porosity } = await reviewer();
    const response = await postReviewActions(
      worker.current,
      auth,
      jobId,
      [
        { type: "accept", itemId: porosity },
        { type: "resize", itemId: porosity, box: { x1: 10, y1: 10, x2: 700, y2: 50 } },
      ],
      etag,
    );
    expect(response.status).toBe(400);
    const error = await readError(response);
    expect(error.code).toBe("validation_failed");
    expect(error.details).toMatchObject({ actionIndex: 1 });
    const after = await getReview(worker.current, auth, jobId);
    expect(after.etag).toBe('"0"');
    expect(after.review.counts.pending).toBe(2);
  });
});

describe("concurrent reviewers", () => {
  test("a stale If-Match gets 412 with the current version, and nothing is overwritten", async () => {
    const { auth, jobId, etag, porosity } = await reviewer();
    const first = await postReviewActions(
      worker.current,
      auth,
      jobId,
      [{ type: "accept", itemId: porosity }],
      etag,
    );
    expect(first.status).toBe(200);
    const second = await postReviewActions(
      worker.current,
      auth,
      jobId,
      [{ type: "reject", itemId: porosity }],
      etag,
    );
    expect(second.status).toBe(412);
    const error = await readError(second);
    expect(error.code).toBe("precondition_failed");
    expect(error.details).toMatchObject({ currentVersion: 1, expectedVersions: [0] });
    expect((await getReview(worker.current, auth, jobId)).review.items[0]?.decision).toBe("accepted");
  });

  test("of two simultaneous requests at one version exactly one wins", async () => {
    const { auth, jobId, etag, porosity, crack } = await reviewer();
    const answers = await Promise.all([
      postReviewActions(worker.current, auth, jobId, [{ type: "reject", itemId: porosity }], etag),
      postReviewActions(worker.current, auth, jobId, [{ type: "reject", itemId: crack }], etag),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 412]);
    const { review: now } = await getReview(worker.current, auth, jobId);
    expect(now.version).toBe(1);
    expect(now.counts).toEqual({ pending: 1, accepted: 0, rejected: 1 });
  });

  test("If-Match is required (428) and must be an ETag (412)", async () => {
    const { auth, jobId, porosity } = await reviewer();
    const missing = await postReviewActions(worker.current, auth, jobId, [
      { type: "accept", itemId: porosity },
    ]);
    expect(missing.status).toBe(428);
    expect((await readError(missing)).code).toBe("precondition_required");
    for (const garbage of ["0", '"abc"', '"0" "1"', 'W/"0"x']) {
      const refused = await postReviewActions(
        worker.current,
        auth,
        jobId,
        [{ type: "accept", itemId: porosity }],
        garbage,
      );
      expect(refused.status).toBe(412);
      expect((await readError(refused)).code).toBe("precondition_failed");
    }
  });

  /** RFC 9110 §13.1.1: strong comparison; `*` and lists of entity tags. */
  test.each([
    ["a weak tag of the current version never matches", 'W/"0"', 412],
    ["a list with a weak tag of the current version", 'W/"0", "7"', 412],
    ["a list naming the current version matches", '"7", "0", "9"', 200],
    ["a list without spaces matches", '"3","0"', 200],
    ["a list naming other versions only", '"1", "2"', 412],
    ["* matches the current version", "*", 200],
  ])("If-Match: %s (%s → %d)", async (_name, ifMatch, status) => {
    const { auth, jobId, porosity } = await reviewer();
    const response = await postReviewActions(
      worker.current,
      auth,
      jobId,
      [{ type: "accept", itemId: porosity }],
      ifMatch,
    );
    expect(response.status).toBe(status);
    if (status === 200) {
      expect((await readBody(response, ReviewActionsResultSchema)).version).toBe(1);
    } else {
      expect((await readError(response)).code).toBe("precondition_failed");
    }
  });

  test("* applies at whatever version is current, after other changes", async () => {
    const { auth, jobId, porosity, crack } = await reviewer();
    await review(worker.current, auth, jobId, [{ type: "accept", itemId: porosity }]);
    const response = await postReviewActions(
      worker.current,
      auth,
      jobId,
      [{ type: "reject", itemId: crack }],
      "*",
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toBe('"2"');
  });
});

describe("bad input", () => {
  test.each([
    ["an unknown action", [{ type: "delete", itemId: crypto.randomUUID() }]],
    ["no actions", []],
    [
      "an inverted box",
      [{ type: "add", classId: 0, label: "crack", box: { x1: 50, y1: 10, x2: 40, y2: 20 } }],
    ],
    [
      // Distinct as float64, one value once stored as the column's float32 (`real`).
      "a drawn box narrower than float32 can tell apart",
      [{ type: "add", classId: 0, label: "crack", box: { x1: 300.000001, y1: 10, x2: 300.000002, y2: 20 } }],
    ],
    [
      "a resized box shorter than float32 can tell apart",
      [{ type: "resize", itemId: "porosity", box: { x1: 10, y1: 200.00001, x2: 40, y2: 200.000011 } }],
    ],
    ["a negative class", [{ type: "relabel", itemId: crypto.randomUUID(), classId: -1, label: "x" }]],
    [
      "too many actions (REVIEW_MAX_ACTIONS_PER_REQUEST=5)",
      Array(6).fill({ type: "note", itemId: crypto.randomUUID(), note: null }),
    ],
  ])("%s is 400 validation_failed", async (_name, actions) => {
    const { auth, jobId, etag, porosity } = await reviewer();
    // "porosity" stands for the job's first indication, whose id is known only now.
    const resolved = actions.map((action) =>
      action.itemId === "porosity" ? { ...action, itemId: porosity } : action,
    );
    const response = await postReviewActions(worker.current, auth, jobId, resolved, etag);
    expect(response.status).toBe(400);
    expect((await readError(response)).code).toBe("validation_failed");
  });

  test("an item of another job is 404, and drawing past REVIEW_MAX_ADDED_PER_JOB is 409", async () => {
    const a = await reviewer();
    const other = await succeededJob(worker.current, a.user.id);
    const { review: otherReview } = await getReview(worker.current, a.auth, other.jobId);
    const foreign = await postReviewActions(
      worker.current,
      a.auth,
      a.jobId,
      [{ type: "accept", itemId: otherReview.items[0]?.id }],
      a.etag,
    );
    expect(foreign.status).toBe(404);
    const box = { x1: 1, y1: 1, x2: 20, y2: 20 };
    const add = { type: "add", classId: 0, label: "porosity", box };
    const tooMany = await postReviewActions(worker.current, a.auth, a.jobId, [add, add, add], a.etag);
    expect(tooMany.status).toBe(409);
    expect((await readError(tooMany)).code).toBe("review_limit_reached");
  });

  test("a read-only API key cannot review (403)", async () => {
    const { auth, jobId, etag, porosity } = await reviewer();
    const { key } = await createApiKey(worker.current, auth, ["jobs:read"]);
    const response = await postReviewActions(
      worker.current,
      `Bearer ${key}`,
      jobId,
      [{ type: "accept", itemId: porosity }],
      etag,
    );
    expect(response.status).toBe(403);
  });
});

describe("tenant isolation", () => {
  test("another user's job review, actions and history are 404, and nothing changes", async () => {
    const owner = await reviewer();
    const intruder = await signedInUser(worker.current);
    const headers = { Authorization: intruder.auth };
    expect((await worker.current.fetch(`/v1/jobs/${owner.jobId}/review`, { headers })).status).toBe(404);
    expect((await worker.current.fetch(`/v1/jobs/${owner.jobId}/review/history`, { headers })).status).toBe(
      404,
    );
    const write = await postReviewActions(
      worker.current,
      intruder.auth,
      owner.jobId,
      [{ type: "reject", itemId: owner.porosity }],
      owner.etag,
    );
    expect(write.status).toBe(404);
    expect((await getReview(worker.current, owner.auth, owner.jobId)).review.version).toBe(0);
  });
});

describe("exports of the reviewed set", () => {
  test("set=reviewed exports the reviewed labels and boxes without rejected ones; the default stays the model's", async () => {
    const { auth, jobId, porosity, crack } = await reviewer();
    await review(worker.current, auth, jobId, [
      { type: "relabel", itemId: porosity, classId: 1, label: "slag" },
      { type: "reject", itemId: crack },
      { type: "add", classId: 4, label: "undercut", box: { x1: 320, y1: 240, x2: 384, y2: 288 } },
    ]);
    const get = (query: string) =>
      worker.current.fetch(`/v1/jobs/${jobId}/export${query}`, { headers: { Authorization: auth } });

    const model = await get("?format=coco");
    expect(model.headers.get("detection-set")).toBe("model");
    const modelCoco = await readBody(model, CocoExportSchema);
    expect(modelCoco.info.detection_set).toBe("model");
    expect(modelCoco.annotations.map((a) => a.category_id)).toEqual([0, 2]);

    const reviewed = await get("?format=coco&set=reviewed");
    expect(reviewed.headers.get("detection-set")).toBe("reviewed");
    const coco = await readBody(reviewed, CocoExportSchema);
    expect(coco.info.detection_set).toBe("reviewed");
    expect(coco.annotations.map((a) => a.category_id)).toEqual([1, 4]);
    expect(coco.annotations[0]?.score).toBeCloseTo(0.91, 5);
    expect(coco.annotations[1]?.score).toBe(1);
    expect(coco.annotations[1]?.bbox).toEqual([320, 240, 64, 48]);
    expect(coco.categories).toEqual([
      { id: 1, name: "slag", supercategory: "defect" },
      { id: 4, name: "undercut", supercategory: "defect" },
    ]);

    const yolo = await get("?format=yolo&set=reviewed");
    expect(yolo.headers.get("detection-set")).toBe("reviewed");
    expect((await yolo.text()).split("\n")).toEqual([
      expect.stringMatching(/^1 /),
      "4 0.550000 0.550000 0.100000 0.100000 1.000000",
    ]);

    const zip = await worker.current.fetch("/v1/exports", {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "application/json" },
      body: JSON.stringify({ jobIds: [jobId], format: "yolo", set: "reviewed" }),
    });
    expect(zip.headers.get("detection-set")).toBe("reviewed");
    const files = unzipSync(new Uint8Array(await zip.arrayBuffer()));
    expect(strFromU8(files["classes.txt"] as Uint8Array)).toBe("1 slag\n4 undercut");
  });

  test("an unknown set is 400", async () => {
    const { auth, jobId } = await reviewer();
    const response = await worker.current.fetch(`/v1/jobs/${jobId}/export?set=final`, {
      headers: { Authorization: auth },
    });
    expect(response.status).toBe(400);
  });
});
