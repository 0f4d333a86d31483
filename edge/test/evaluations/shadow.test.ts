import { describe, expect, test } from "bun:test";
import { JobClaimSchema } from "@common/contracts/job-claim";
import { ShadowResultAnswerSchema } from "@common/contracts/shadow-result";
import { shadowResults } from "@db/schema";
import { pickedForShadow } from "@edge/evaluations/agreement";
import { ImageSchema } from "@edge/routes/images/schema";
import { JobSchema, QueuedJobsSchema } from "@edge/routes/jobs/schema";
import { ShadowSchema } from "@edge/routes/models/shadow-schema";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { postResult, succeededResult } from "@scripts/testing/job-fixtures";
import { expectError, readBody } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";
import { film } from "../datasets/dataset-fixtures";
import { post } from "../models/model-fixtures";
import { callInternal, uploadWithDataset } from "./evaluation-fixtures";

const worker = useTestWorker({
  vars: { RATE_LIMIT_WRITE: "1000/60s", RATE_LIMIT_READ: "1000/60s", JOBS_PER_DAY: "1000" },
});

/** welds@1 in production and welds@2 as the candidate; one uploaded film. */
async function arrange() {
  const { auth, user } = await signedInUser(worker.current);
  await uploadWithDataset(worker.current, auth, "welds", {});
  await uploadWithDataset(worker.current, auth, "welds", {});
  const promoted = await post(worker.current, auth, "/v1/models/welds/promote", {
    version: 1,
    reason: "first",
  });
  expect(promoted.status).toBe(200);
  const { png } = await film(31);
  const uploaded = await worker.current.fetch("/v1/images", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "image/png", "Content-Length": String(png.length) },
    body: png,
  });
  return { auth, user, imageId: (await readBody(uploaded, ImageSchema)).id };
}

async function createJob(auth: string, imageId: string) {
  const created = await post(worker.current, auth, "/v1/jobs", { imageId, model: "welds" });
  const [job] = (await readBody(created, QueuedJobsSchema)).jobs;
  return job?.id as string;
}

const claim = async (jobId: string) =>
  readBody(
    await callInternal(worker.current, `jobs/${jobId}/claim`, { version: 1, attempt: 1 }),
    JobClaimSchema,
  );

describe("shadow: start, pick, report", () => {
  test("a share of jobs carries the candidate in its claim; its results stay apart and are compared", async () => {
    const { auth, imageId } = await arrange();
    const started = await post(worker.current, auth, "/v1/models/welds/shadow", { version: 2, share: 0.5 });
    const shadow = await readBody(started, ShadowSchema);
    expect(shadow).toMatchObject({ ref: "welds@2", share: 0.5, active: true, jobs: { picked: 0 } });

    const jobIds: string[] = [];
    for (let i = 0; i < 12; i++) jobIds.push(await createJob(auth, imageId));
    const picked = jobIds.filter((id) => pickedForShadow(shadow.id, id, 0.5));
    expect(picked.length).toBeGreaterThan(0);
    expect(picked.length).toBeLessThan(jobIds.length);
    for (const jobId of jobIds) {
      const answer = await claim(jobId);
      if (answer.outcome !== "claimed") throw new Error("expected a claim");
      expect(answer.registryModel).toMatchObject({ name: "welds", version: 1 });
      if (picked.includes(jobId)) expect(answer.shadowModel).toMatchObject({ name: "welds", version: 2 });
      else expect(answer.shadowModel).toBeUndefined();
    }

    const [first, second] = picked as [string, string | undefined];
    const own = succeededResult(first);
    const shadowPost = (jobId: string, detections = own.detections) =>
      callInternal(worker.current, `jobs/${jobId}/shadow-result`, {
        version: 1,
        jobId,
        status: "succeeded",
        model: { name: "welds", version: "2", sha256: "c".repeat(64) },
        detections,
        runMs: 12,
      });
    // Before the job's own result there is nothing to compare with.
    expect(await readBody(await shadowPost(first), ShadowResultAnswerSchema)).toEqual({ outcome: "ignored" });
    expect((await postResult(worker.current, first, own)).status).toBe(200);
    const extra = { classId: 0, label: "porosity", score: 0.5, box: { x1: 500, y1: 300, x2: 520, y2: 320 } };
    expect(
      await readBody(await shadowPost(first, [...own.detections, extra]), ShadowResultAnswerSchema),
    ).toEqual({
      outcome: "applied",
    });
    expect(await readBody(await shadowPost(first), ShadowResultAnswerSchema)).toEqual({ outcome: "ignored" });
    const notPicked = jobIds.find((id) => !picked.includes(id)) as string;
    expect((await postResult(worker.current, notPicked, succeededResult(notPicked))).status).toBe(200);
    expect(await readBody(await shadowPost(notPicked), ShadowResultAnswerSchema)).toEqual({
      outcome: "ignored",
    });
    if (second) {
      expect((await postResult(worker.current, second, succeededResult(second))).status).toBe(200);
      const failed = await callInternal(worker.current, `jobs/${second}/shadow-result`, {
        version: 1,
        jobId: second,
        status: "failed",
        error: { code: "model_invalid", message: "no", permanent: true },
      });
      expect(await readBody(failed, ShadowResultAnswerSchema)).toEqual({ outcome: "applied" });
    }

    // The job shows and exports its own detections only.
    const job = await readBody(
      await worker.current.fetch(`/v1/jobs/${first}`, { headers: { Authorization: auth } }),
      JobSchema,
    );
    expect(job.detections).toHaveLength(2);
    const exported = await worker.current.fetch(`/v1/jobs/${first}/export?format=coco`, {
      headers: { Authorization: auth },
    });
    expect(exported.status).toBe(200);
    expect(await exported.text()).not.toContain("520");

    const report = await readBody(
      await worker.current.fetch("/v1/models/welds/shadow", { headers: { Authorization: auth } }),
      ShadowSchema,
    );
    expect(report.jobs).toEqual({
      picked: picked.length,
      pending: picked.length - (second ? 2 : 1),
      succeeded: 1,
      failed: second ? 1 : 0,
    });
    expect(report.perClass).toEqual([
      { label: "crack", matched: 1, extra: 0, missing: 0, agreement: 1 },
      { label: "porosity", matched: 1, extra: 1, missing: 0, agreement: 0.5 },
    ]);
    expect(report.agreement).toEqual({ matched: 2, extra: 1, missing: 0, agreement: 2 / 3 });

    const stopped = await worker.current.fetch("/v1/models/welds/shadow", {
      method: "DELETE",
      headers: { Authorization: auth },
    });
    expect((await readBody(stopped, ShadowSchema)).active).toBe(false);
    const after = await createJob(auth, imageId);
    expect(
      await worker.current.db.select().from(shadowResults).where(eq(shadowResults.jobId, after)),
    ).toEqual([]);
    expect(await claim(after)).not.toHaveProperty("shadowModel");
  });
});

describe("shadow: bad input and security", () => {
  test("share is bounded, the version must be yours, and another owner sees nothing", async () => {
    const { auth } = await arrange();
    for (const share of [0, 0.51, -1]) {
      await expectError(
        await post(worker.current, auth, "/v1/models/welds/shadow", { version: 2, share }),
        400,
        "validation_failed",
      );
    }
    await expectError(
      await post(worker.current, auth, "/v1/models/welds/shadow", { version: 9, share: 0.1 }),
      404,
      "not_found",
    );
    await expectError(
      await worker.current.fetch("/v1/models/welds/shadow", { headers: { Authorization: auth } }),
      404,
      "not_found",
    );
    expect(
      (await post(worker.current, auth, "/v1/models/welds/shadow", { version: 2, share: 0.2 })).status,
    ).toBe(201);
    const other = await signedInUser(worker.current);
    await expectError(
      await worker.current.fetch("/v1/models/welds/shadow", { headers: { Authorization: other.auth } }),
      404,
      "not_found",
    );
    await expectError(
      await post(worker.current, other.auth, "/v1/models/welds/shadow", { version: 2, share: 0.2 }),
      404,
      "not_found",
    );
    await expectError(
      await worker.current.fetch("/v1/models/welds/shadow", {
        method: "DELETE",
        headers: { Authorization: other.auth },
      }),
      404,
      "not_found",
    );
  });
});
