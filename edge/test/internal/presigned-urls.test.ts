/**
 * Object reads off the Worker: with R2's S3 API configured, the job claim answers a presigned R2
 * URL (here to the local stand-in over the Worker's own bucket) that the inference service's
 * download code reads and checks; without it, the Worker's signed route still serves.
 */
import { describe, expect, test } from "bun:test";
import { JobClaimSchema } from "@common/contracts/job-claim";
import { signObjectUrl } from "@edge/images/signed-url";
import { encodePng } from "@generator/png";
import { deriveSeed } from "@generator/prng";
import { renderSample } from "@generator/sample";
import { fetchImage } from "@inference/core/image-fetch";
import {
  arrangeJob,
  insertImage,
  insertUser,
  serviceAuth,
  workerConfig,
} from "@scripts/testing/job-fixtures";
import { expectError, readBody } from "@scripts/testing/responses";
import { type TestWorker, useTestWorker } from "@scripts/testing/test-worker";

const worker = useTestWorker({ r2S3: true });

/** The Worker's configuration, R2's S3 settings included. */
async function presigningConfig(current: TestWorker) {
  if (!current.r2S3) throw new Error("test Worker started without its R2 S3 stand-in");
  return { ...(await workerConfig(current)), ...current.r2S3.vars };
}

async function claim(jobId: string) {
  const response = await worker.current.fetch(`/internal/v1/jobs/${jobId}/claim`, {
    method: "POST",
    headers: await serviceAuth(),
    body: JSON.stringify({ version: 1, attempt: 1 }),
  });
  const answer = await readBody(response, JobClaimSchema);
  if (answer.outcome !== "claimed") throw new Error(`expected claimed, got ${answer.outcome}`);
  return answer.job;
}

const fetchOptions = { timeoutMs: 10_000, maxBytes: 20 * 1024 * 1024 };

describe("presigned R2 URLs", () => {
  test("claim → presigned URL → inference's download, sha256 checked, bytes never through the Worker", async () => {
    const owner = await insertUser(worker.current);
    const sample = renderSample(deriveSeed(21, "presigned", 0), { imgsz: 640 });
    // A copy: the encoder's output is a view into a larger buffer, which Miniflare's proxy refuses.
    const png = new Uint8Array(await encodePng(sample.image, 8));
    const image = await insertImage(worker.current, owner, { bytes: png });
    const { jobId } = await arrangeJob(worker.current, owner);
    // arrangeJob made its own image; this test's film is read by a URL the same signer presigns.
    const job = await claim(jobId);
    const endpoint = worker.current.r2S3?.endpoint ?? "";
    expect(job.image.url.startsWith(`${endpoint}/defect-images/images/`)).toBe(true);
    expect(new URL(job.image.url).searchParams.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(await fetchImage(job.image.url, job.image.sha256, fetchOptions)).toBeInstanceOf(Uint8Array);

    const { url } = await signObjectUrl(await presigningConfig(worker.current), image.objectKey);
    expect(await fetchImage(url, image.sha256, fetchOptions)).toEqual(png);
  });

  test("an expired presigned URL is refused (retryable for inference); a new claim signs a fresh one", async () => {
    const { jobId, image } = await arrangeJob(worker.current);
    const config = await presigningConfig(worker.current);
    const expired = await signObjectUrl(
      config,
      image.objectKey,
      Date.now() - 2 * config.IMAGE_URL_TTL_SECONDS * 1000,
    );
    const refused = await fetchImage(expired.url, image.sha256, fetchOptions).catch(
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: "image_fetch_failed" });
    const job = await claim(jobId);
    expect(Date.parse(job.image.urlExpiresAt)).toBeGreaterThan(Date.now());
    expect((await fetchImage(job.image.url, image.sha256, fetchOptions)).length).toBeGreaterThan(0);
  });

  test("an object that is gone → 404, which inference treats as permanent", async () => {
    const owner = await insertUser(worker.current);
    const image = await insertImage(worker.current, owner, { storeObject: false });
    const { url } = await signObjectUrl(await presigningConfig(worker.current), image.objectKey);
    const refused = await fetchImage(url, image.sha256, fetchOptions).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: "image_not_found" });
  });
});

describe("the Worker's signed route (no S3 credentials)", () => {
  test("streams the object with R2's length, ETag and Last-Modified; other methods are refused", async () => {
    const owner = await insertUser(worker.current);
    const image = await insertImage(worker.current, owner);
    const stored = await (await worker.current.mf.getR2Bucket("IMAGES")).head(image.objectKey);
    const { url } = await signObjectUrl(await workerConfig(worker.current), image.objectKey);
    expect(url.startsWith(`${worker.current.origin}/internal/v1/objects/`)).toBe(true);
    const response = await worker.current.fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toBe(stored?.httpEtag ?? "");
    expect(response.headers.get("last-modified")).toBe(stored?.uploaded.toUTCString() ?? "");
    expect(response.headers.get("content-length")).toBe(String(stored?.size));
    await response.arrayBuffer();
    await expectError(
      await worker.current.fetch(url, { method: "PUT", body: "x" }),
      405,
      "method_not_allowed",
    );
    await expectError(await worker.current.fetch(url, { method: "DELETE" }), 405, "method_not_allowed");
  });
});
