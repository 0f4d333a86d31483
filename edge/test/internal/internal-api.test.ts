import { describe, expect, test } from "bun:test";
import { ResultAnswerSchema } from "@common/contracts/detect-result";
import { JobClaimSchema } from "@common/contracts/job-claim";
import { signImageUrl } from "@edge/images/signed-url";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import {
  arrangeJob,
  detectionRows,
  FIXTURE_IMAGE,
  failedResult,
  insertImage,
  insertUser,
  jobRow,
  MODEL,
  postResult,
  serviceAuth,
  succeededResult,
  workerConfig,
} from "@scripts/testing/job-fixtures";
import { OpenApiDocumentSchema } from "@scripts/testing/openapi-document";
import { expectError, readBody } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";

const worker = useTestWorker();

/** The edge's answer to a result callback; strict, as the assertions on it are exact. */
const answer = (response: Response) => readBody(response, ResultAnswerSchema.strict());

describe("result callback: happy path", () => {
  test("a success finishes the job with model identity, timings and ranked detections", async () => {
    const { jobId } = await arrangeJob(worker.current);
    const response = await postResult(worker.current, jobId, succeededResult(jobId, { attempt: 2 }));
    expect(response.status).toBe(200);
    expect(await answer(response)).toEqual({ outcome: "applied" });

    const job = await jobRow(worker.current, jobId);
    expect(job).toMatchObject({
      status: "succeeded",
      attempts: 2,
      error: null,
      model: MODEL.name,
      modelVersion: MODEL.version,
      modelSha256: MODEL.sha256,
      timings: succeededResult(jobId).timings,
    });
    expect(job?.finishedAt).toBeInstanceOf(Date);
    expect(job?.startedAt?.getTime()).toBeLessThanOrEqual(job?.finishedAt?.getTime() ?? 0);
    const rows = await detectionRows(worker.current, jobId);
    expect(rows.map((row) => [row.rank, row.classId, row.label])).toEqual([
      [0, 0, "porosity"],
      [1, 2, "crack"],
    ]);
    expect(rows[0]?.x1).toBe(10.5);
    expect(rows[1]?.x2).toBe(420.125);
  });

  test("a success with no detections finishes the job with none", async () => {
    const { jobId } = await arrangeJob(worker.current);
    const response = await postResult(worker.current, jobId, succeededResult(jobId, { detections: [] }));
    expect(await answer(response)).toEqual({ outcome: "applied" });
    expect((await jobRow(worker.current, jobId))?.status).toBe("succeeded");
    expect(await detectionRows(worker.current, jobId)).toHaveLength(0);
  });
});

describe("result callback: idempotency", () => {
  test("a second identical result is a 200 no-op and adds no rows", async () => {
    const { jobId } = await arrangeJob(worker.current);
    await postResult(worker.current, jobId, succeededResult(jobId));
    const again = await postResult(worker.current, jobId, succeededResult(jobId, { attempt: 2 }));
    expect(again.status).toBe(200);
    expect(await answer(again)).toEqual({ outcome: "duplicate" });
    expect(await detectionRows(worker.current, jobId)).toHaveLength(2);
    expect((await jobRow(worker.current, jobId))?.attempts).toBe(1);
  });

  test("concurrent identical results finish the job exactly once", async () => {
    const { jobId } = await arrangeJob(worker.current);
    const answers = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const response = await postResult(worker.current, jobId, succeededResult(jobId));
        return (await answer(response)).outcome;
      }),
    );
    expect(answers.filter((outcome) => outcome === "applied")).toHaveLength(1);
    expect(answers.filter((outcome) => outcome === "duplicate")).toHaveLength(5);
    expect(await detectionRows(worker.current, jobId)).toHaveLength(2);
  });

  test("a conflicting result is ignored with 200 and the first one is kept", async () => {
    const { jobId } = await arrangeJob(worker.current);
    await postResult(worker.current, jobId, succeededResult(jobId));
    const other = succeededResult(jobId, {
      detections: [{ classId: 1, label: "slag", score: 0.7, box: { x1: 1, y1: 2, x2: 3, y2: 4 } }],
    });
    const response = await postResult(worker.current, jobId, other);
    expect(response.status).toBe(200);
    expect(await answer(response)).toEqual({ outcome: "conflict_ignored" });
    const rows = await detectionRows(worker.current, jobId);
    expect(rows.map((row) => row.label)).toEqual(["porosity", "crack"]);

    const failure = await postResult(worker.current, jobId, failedResult(jobId, true));
    expect(await answer(failure)).toEqual({ outcome: "conflict_ignored" });
    expect((await jobRow(worker.current, jobId))?.status).toBe("succeeded");
  });

  test("a permanent failure is final: it records the reason, and a later success is ignored", async () => {
    const { jobId } = await arrangeJob(worker.current);
    const response = await postResult(worker.current, jobId, failedResult(jobId, true));
    expect(await answer(response)).toEqual({ outcome: "applied" });
    expect(await jobRow(worker.current, jobId)).toMatchObject({
      status: "failed",
      error: "image_corrupt: not an image",
    });
    const same = await postResult(worker.current, jobId, failedResult(jobId, true));
    expect(await answer(same)).toEqual({ outcome: "duplicate" });
    const late = await postResult(worker.current, jobId, succeededResult(jobId));
    expect(await answer(late)).toEqual({ outcome: "conflict_ignored" });
    expect(await detectionRows(worker.current, jobId)).toHaveLength(0);
  });

  test("a retryable failure records the attempt and error but leaves the job unfinished", async () => {
    const { jobId } = await arrangeJob(worker.current);
    const response = await postResult(worker.current, jobId, failedResult(jobId, false, 2));
    expect(await answer(response)).toEqual({ outcome: "recorded_retry" });
    expect(await jobRow(worker.current, jobId)).toMatchObject({
      status: "queued",
      attempts: 2,
      error: "image_fetch_failed: connection reset",
      finishedAt: null,
    });
    const success = await postResult(worker.current, jobId, succeededResult(jobId, { attempt: 3 }));
    expect(await answer(success)).toEqual({ outcome: "applied" });
    expect(await jobRow(worker.current, jobId)).toMatchObject({
      status: "succeeded",
      attempts: 3,
      error: null,
    });
  });

  test("a result for an unknown (deleted) job is acknowledged as ignored", async () => {
    const jobId = crypto.randomUUID();
    const response = await postResult(worker.current, jobId, succeededResult(jobId));
    expect(response.status).toBe(200);
    expect(await answer(response)).toEqual({ outcome: "ignored" });
  });
});

describe("result callback: bad input", () => {
  test("a body for another job than the path is refused", async () => {
    const { jobId } = await arrangeJob(worker.current);
    const response = await postResult(worker.current, jobId, succeededResult(crypto.randomUUID()));
    await expectError(response, 400, "validation_failed");
    expect((await jobRow(worker.current, jobId))?.status).toBe("queued");
  });

  test("a body that breaks the contract is refused with validation_failed", async () => {
    const { jobId } = await arrangeJob(worker.current);
    const response = await postResult(worker.current, jobId, { ...succeededResult(jobId), version: 2 });
    await expectError(response, 400, "validation_failed");
  });
});

describe("result callback: security", () => {
  const body = (jobId: string) => JSON.stringify(succeededResult(jobId));

  test("no callback token → 401 and the job is untouched", async () => {
    const { jobId } = await arrangeJob(worker.current);
    const response = await worker.current.fetch(`/internal/v1/jobs/${jobId}/result`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: body(jobId),
    });
    await expectError(response, 401, "unauthorized");
    expect((await jobRow(worker.current, jobId))?.status).toBe("queued");
  });

  test("a wrong callback token, or a user's access token, → 401", async () => {
    const { jobId } = await arrangeJob(worker.current);
    const { auth } = await signedInUser(worker.current);
    const { Authorization: right } = await serviceAuth();
    for (const credential of [`${right}x`, "Bearer not-the-token", auth]) {
      const response = await worker.current.fetch(`/internal/v1/jobs/${jobId}/result`, {
        method: "POST",
        headers: { Authorization: credential, "Content-Type": "application/json" },
        body: body(jobId),
      });
      expect(response.status).toBe(401);
    }
    expect((await jobRow(worker.current, jobId))?.status).toBe("queued");
  });

  test("the internal API is not in the public OpenAPI document", async () => {
    const doc = await readBody(await worker.current.fetch("/openapi.json"), OpenApiDocumentSchema);
    expect(Object.keys(doc.paths).filter((path) => path.startsWith("/internal"))).toEqual([]);
  });
});

describe("signed object URLs", () => {
  test("a valid signature serves the bytes with type and length, no bearer needed", async () => {
    const owner = await insertUser(worker.current);
    const image = await insertImage(worker.current, owner);
    const { url } = await signImageUrl(await workerConfig(worker.current), image.objectKey);
    expect(url.startsWith(`${worker.current.origin}/internal/v1/objects/`)).toBe(true);
    const response = await worker.current.fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(response.headers.get("content-length")).toBe(String(FIXTURE_IMAGE.length));
    expect(response.headers.get("cache-control")).toContain("no-store");
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(FIXTURE_IMAGE);
  });

  test("an expired URL → 403 signature_expired", async () => {
    const owner = await insertUser(worker.current);
    const image = await insertImage(worker.current, owner);
    const config = await workerConfig(worker.current);
    const { url } = await signImageUrl(
      config,
      image.objectKey,
      Date.now() - 2 * config.IMAGE_URL_TTL_SECONDS * 1000,
    );
    const response = await worker.current.fetch(url);
    await expectError(response, 403, "signature_expired");
  });

  test("a tampered signature, expiry or key, or none at all → 403 signature_invalid", async () => {
    const owner = await insertUser(worker.current);
    const [image, other] = [
      await insertImage(worker.current, owner),
      await insertImage(worker.current, owner),
    ];
    const { url } = await signImageUrl(await workerConfig(worker.current), image.objectKey);
    const signed = new URL(url);
    const sig = signed.searchParams.get("sig") as string;
    const variants = [
      (u: URL) => u.searchParams.set("sig", `${sig[0] === "0" ? "1" : "0"}${sig.slice(1)}`),
      (u: URL) => u.searchParams.set("exp", String(Number(u.searchParams.get("exp")) + 3600)),
      (u: URL) => {
        u.pathname = `/internal/v1/objects/${encodeURIComponent(other.objectKey)}`;
      },
      (u: URL) => u.searchParams.delete("sig"),
      (u: URL) => u.searchParams.set("sig", "zz"),
    ];
    for (const change of variants) {
      const target = new URL(signed);
      change(target);
      const response = await worker.current.fetch(target.toString());
      await expectError(response, 403, "signature_invalid");
    }
  });

  test("a validly signed URL to an object that is gone → 404", async () => {
    const owner = await insertUser(worker.current);
    const image = await insertImage(worker.current, owner, { storeObject: false });
    const { url } = await signImageUrl(await workerConfig(worker.current), image.objectKey);
    const response = await worker.current.fetch(url);
    await expectError(response, 404, "not_found");
  });
});

describe("job claim", () => {
  const claim = async (jobId: string, body: unknown, headers?: Record<string, string>) =>
    worker.current.fetch(`/internal/v1/jobs/${jobId}/claim`, {
      method: "POST",
      headers: { ...(headers ?? (await serviceAuth())), "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });

  test("marks the job running, counts the attempt and answers the job with a freshly signed URL", async () => {
    const { jobId, image } = await arrangeJob(worker.current);
    const response = await claim(jobId, { version: 1, attempt: 3 });
    expect(response.status).toBe(200);
    const answer = JobClaimSchema.parse(await response.json());
    if (answer.outcome !== "claimed") throw new Error(`expected claimed, got ${answer.outcome}`);
    expect(answer.attempts).toBe(3);
    expect(answer.job).toMatchObject({ version: 1, jobId, model: MODEL.name, image: { id: image.id } });
    expect(Date.parse(answer.job.image.urlExpiresAt)).toBeGreaterThan(Date.now());
    const bytes = await fetch(answer.job.image.url);
    expect(bytes.status).toBe(200);
    expect(new Uint8Array(await bytes.arrayBuffer())).toEqual(FIXTURE_IMAGE);

    const job = await jobRow(worker.current, jobId);
    expect(job).toMatchObject({ status: "running", attempts: 3 });
    expect(job?.startedAt).toBeInstanceOf(Date);
    // A lower attempt (an older message redelivered) never lowers the count.
    await claim(jobId, { version: 1, attempt: 1 });
    expect((await jobRow(worker.current, jobId))?.attempts).toBe(3);
  });

  test("a finished or deleted job answers finished and is left as it is", async () => {
    const { jobId } = await arrangeJob(worker.current);
    await postResult(worker.current, jobId, succeededResult(jobId));
    const finished = await claim(jobId, { version: 1, attempt: 2 });
    expect(JobClaimSchema.parse(await finished.json())).toEqual({ outcome: "finished" });
    expect(await jobRow(worker.current, jobId)).toMatchObject({ status: "succeeded", attempts: 1 });

    const gone = await claim(crypto.randomUUID(), { version: 1, attempt: 1 });
    expect(gone.status).toBe(200);
    expect(JobClaimSchema.parse(await gone.json())).toEqual({ outcome: "finished" });
  });

  test("needs the callback token and a valid body", async () => {
    const { jobId } = await arrangeJob(worker.current);
    const anonymous = await claim(jobId, { version: 1, attempt: 1 }, {});
    expect(anonymous.status).toBe(401);
    const wrong = await claim(jobId, { version: 1, attempt: 1 }, { Authorization: "Bearer not-the-token" });
    expect(wrong.status).toBe(401);
    const invalid = await claim(jobId, { version: 2, attempt: 0 });
    await expectError(invalid, 400, "validation_failed");
    expect((await jobRow(worker.current, jobId))?.status).toBe("queued");
  });
});
