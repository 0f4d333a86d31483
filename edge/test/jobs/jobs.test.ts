import { describe, expect, test } from "bun:test";
import type { Box } from "@common/contracts/detect-result";
import { idempotencyKeys, jobs } from "@db/schema";
import { ImageSchema } from "@edge/routes/images/schema";
import { JobPageSchema, JobSchema, QueuedJobsSchema } from "@edge/routes/jobs/schema";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { CocoExportSchema } from "@scripts/testing/coco-export";
import { imageFixtures } from "@scripts/testing/image-fixtures";
import { readBody, readError } from "@scripts/testing/responses";
import { stubDetections, useWorkerWithStubInference } from "@scripts/testing/stub-inference";
import { startTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";
import { strFromU8, unzipSync } from "fflate";

const stack = useWorkerWithStubInference({
  vars: {
    JOBS_PER_DAY: "6",
    MAX_IMAGES_PER_JOB_REQUEST: "3",
    RATE_LIMIT_WRITE: "1000/60s",
    RATE_LIMIT_READ: "1000/60s",
  },
});

/** Every answer is read through the API's own schemas: a response that drifts from them fails. */
const errorCodeOf = async (response: Response) => (await readError(response)).code;

async function uploadImage(auth: string, width = 320, height = 240): Promise<string> {
  const bytes = await imageFixtures.png(width, height);
  const response = await stack.worker.fetch("/v1/images", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "image/png", "Content-Length": String(bytes.length) },
    body: bytes,
  });
  return (await readBody(response, ImageSchema)).id;
}

const createJobs = (auth: string, body: unknown, headers: Record<string, string> = {}) =>
  stack.worker.fetch("/v1/jobs", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

const getJob = async (auth: string, id: string, wait = 0) =>
  readBody(
    await stack.worker.fetch(`/v1/jobs/${id}?wait=${wait}`, { headers: { Authorization: auth } }),
    JobSchema,
  );

describe("end to end: upload → job → inference → result → export", () => {
  test("a job runs through the queue and the inference service, and exports as COCO and YOLO", async () => {
    const { auth } = await signedInUser(stack.worker);
    const imageId = await uploadImage(auth);
    const created = await createJobs(auth, { imageId, conf: 0.3 });
    expect(created.status).toBe(202);
    const { jobs: queued } = await readBody(created, QueuedJobsSchema);
    expect(queued).toHaveLength(1);
    const id = queued[0]?.id as string;
    expect(created.headers.get("location")).toBe(`/v1/jobs/${id}`);
    expect(queued[0]?.status).toBe("queued");
    expect(queued[0]?.params).toEqual({ conf: 0.3, iou: 0.45, maxDet: 300, classes: null, tiling: "auto" });

    const done = await getJob(auth, id, 20);
    expect(done.status).toBe("succeeded");
    const expected = stubDetections(id);
    expect(done.detections?.map((d) => [d.classId, d.label, d.box])).toEqual(
      expected.map((d) => [d.classId, d.label, d.box]),
    );
    expect(done.detections?.[0]?.boxNormalized.x2).toBeCloseTo((expected[0]?.box.x2 ?? 0) / 320, 6);

    const coco = await readBody(
      await stack.worker.fetch(`/v1/jobs/${id}/export?format=coco`, { headers: { Authorization: auth } }),
      CocoExportSchema,
    );
    expect(coco.images).toHaveLength(1);
    expect(coco.images[0]).toMatchObject({ id: 1, width: 320, height: 240 });
    const box = expected[0]?.box as Box;
    expect(coco.annotations[0]).toMatchObject({
      image_id: 1,
      category_id: 0,
      bbox: [box.x1, box.y1, box.x2 - box.x1, box.y2 - box.y1],
    });
    expect(coco.categories).toEqual([
      { id: 0, name: "porosity", supercategory: "defect" },
      { id: 1, name: "crack", supercategory: "defect" },
    ]);

    const yolo = await (
      await stack.worker.fetch(`/v1/jobs/${id}/export?format=yolo`, { headers: { Authorization: auth } })
    ).text();
    const [cls, cx] = (yolo.split("\n")[0] ?? "").split(" ");
    expect(cls).toBe("0");
    expect(Number(cx)).toBeCloseTo((box.x1 + box.x2) / 2 / 320, 5);
  });

  test("several images in one request: one job each, exported together as one COCO file and a YOLO zip", async () => {
    const { auth } = await signedInUser(stack.worker);
    const imageIds = [await uploadImage(auth), await uploadImage(auth, 160, 120)];
    const created = await createJobs(auth, { imageIds });
    const { jobs: queued } = await readBody(created, QueuedJobsSchema);
    expect(queued.map((job) => job.image.id)).toEqual(imageIds);
    expect(created.headers.get("location")).toBe(`/v1/jobs?ids=${queued.map((j) => j.id).join(",")}`);
    for (const job of queued) expect((await getJob(auth, job.id, 20)).status).toBe("succeeded");

    const jobIds = queued.map((job) => job.id);
    const coco = await readBody(
      await stack.worker.fetch("/v1/exports", {
        method: "POST",
        headers: { Authorization: auth, "Content-Type": "application/json" },
        body: JSON.stringify({ jobIds, format: "coco" }),
      }),
      CocoExportSchema,
    );
    expect(coco.images).toHaveLength(2);
    expect(coco.annotations).toHaveLength(4);

    const zip = await stack.worker.fetch("/v1/exports", {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "application/json" },
      body: JSON.stringify({ jobIds, format: "yolo" }),
    });
    expect(zip.headers.get("content-type")).toBe("application/zip");
    const files = unzipSync(new Uint8Array(await zip.arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual(
      ["classes.txt", ...imageIds.map((id) => `labels/${id}.txt`)].sort(),
    );
    expect(strFromU8(files["classes.txt"] as Uint8Array)).toBe("0 porosity\n1 crack");
  });
});

describe("POST /v1/jobs: idempotency and quota", () => {
  test("the same Idempotency-Key and body replay the first answer; another body is refused", async () => {
    const { user, auth } = await signedInUser(stack.worker);
    const imageId = await uploadImage(auth);
    const first = await createJobs(auth, { imageId }, { "Idempotency-Key": "scan-42" });
    const again = await createJobs(auth, { imageId }, { "Idempotency-Key": "scan-42" });
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toEqual(await first.json());
    expect(await stack.worker.db.select().from(jobs).where(eq(jobs.ownerId, user.id))).toHaveLength(1);

    const other = await createJobs(auth, { imageId, conf: 0.9 }, { "Idempotency-Key": "scan-42" });
    expect(other.status).toBe(409);
    expect(await errorCodeOf(other)).toBe("idempotency_key_reused");
  });

  test("a failed request releases its key, so the client can retry it", async () => {
    const { user, auth } = await signedInUser(stack.worker);
    const response = await createJobs(
      auth,
      { imageId: crypto.randomUUID() },
      { "Idempotency-Key": "retry-me" },
    );
    expect(response.status).toBe(404);
    expect(
      await stack.worker.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.ownerId, user.id)),
    ).toEqual([]);
  });

  test("the daily quota is enforced with a clear error", async () => {
    const { auth } = await signedInUser(stack.worker);
    const imageIds = [await uploadImage(auth), await uploadImage(auth), await uploadImage(auth)];
    expect((await createJobs(auth, { imageIds })).status).toBe(202);
    expect((await createJobs(auth, { imageIds })).status).toBe(202);
    const over = await createJobs(auth, { imageId: imageIds[0] });
    expect(over.status).toBe(429);
    expect(await errorCodeOf(over)).toBe("quota_exceeded");
  });
});

describe("POST /v1/jobs: bad input", () => {
  test.each([
    ["malformed JSON", "{", 400, "malformed_json"],
    ["an unknown model", { model: "yolov99" }, 400, "unknown_model"],
    ["conf above 1", { conf: 1.5 }, 400, "validation_failed"],
    ["negative iou", { iou: -0.1 }, 400, "validation_failed"],
    ["both imageId and imageIds", { imageIds: "both" }, 400, "validation_failed"],
    ["more images than allowed", { imageIds: "many" }, 400, "too_many_images"],
  ] as const)("%s → %i %s", async (_, body, status, code) => {
    const { auth } = await signedInUser(stack.worker);
    const imageId = await uploadImage(auth);
    const payload =
      typeof body === "string"
        ? body
        : "imageIds" in body
          ? body.imageIds === "both"
            ? { imageId, imageIds: [imageId] }
            : { imageIds: [imageId, crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()] }
          : { imageId, ...body };
    const response = await createJobs(auth, payload);
    expect(response.status).toBe(status);
    expect(await errorCodeOf(response)).toBe(code);
  });

  test("101 images with the default limit of 100 → too_many_images", async () => {
    const limited = await startTestWorker();
    try {
      const { auth } = await signedInUser(limited);
      const response = await limited.fetch("/v1/jobs", {
        method: "POST",
        headers: { Authorization: auth, "Content-Type": "application/json" },
        body: JSON.stringify({ imageIds: Array.from({ length: 101 }, () => crypto.randomUUID()) }),
      });
      expect(response.status).toBe(400);
      expect(await errorCodeOf(response)).toBe("too_many_images");
    } finally {
      await limited.dispose();
    }
  });

  test("exporting a job that has not finished → 409 job_not_finished", async () => {
    const { user, auth } = await signedInUser(stack.worker);
    const imageId = await uploadImage(auth);
    const [job] = await stack.worker.db
      .insert(jobs)
      .values({
        ownerId: user.id,
        imageId,
        model: "weld-defects",
        params: { conf: 0.25, iou: 0.45, maxDet: 300, classes: null },
      })
      .returning();
    const response = await stack.worker.fetch(`/v1/jobs/${job?.id}/export`, {
      headers: { Authorization: auth },
    });
    expect(response.status).toBe(409);
    expect(await errorCodeOf(response)).toBe("job_not_finished");
  });
});

describe("tenant isolation", () => {
  test("another user gets 404 on jobs, their exports, and jobs on images they do not own", async () => {
    const owner = await signedInUser(stack.worker);
    const other = await signedInUser(stack.worker);
    const imageId = await uploadImage(owner.auth);
    const { jobs: queued } = await readBody(await createJobs(owner.auth, { imageId }), QueuedJobsSchema);
    const id = queued[0]?.id as string;
    await getJob(owner.auth, id, 20);

    for (const path of [
      `/v1/jobs/${id}`,
      `/v1/jobs/${id}/export?format=coco`,
      `/v1/jobs/${id}/export?format=yolo`,
    ]) {
      expect((await stack.worker.fetch(path, { headers: { Authorization: other.auth } })).status).toBe(404);
    }
    const batch = await stack.worker.fetch("/v1/exports", {
      method: "POST",
      headers: { Authorization: other.auth, "Content-Type": "application/json" },
      body: JSON.stringify({ jobIds: [id], format: "coco" }),
    });
    expect(batch.status).toBe(404);
    expect((await createJobs(other.auth, { imageId })).status).toBe(404);
    const list = await readBody(
      await stack.worker.fetch("/v1/jobs", { headers: { Authorization: other.auth } }),
      JobPageSchema,
    );
    expect(list.items).toEqual([]);
  });
});

describe("GET /v1/jobs", () => {
  test("filters by status and pages", async () => {
    const { auth } = await signedInUser(stack.worker);
    const imageIds = [await uploadImage(auth), await uploadImage(auth)];
    const { jobs: queued } = await readBody(await createJobs(auth, { imageIds }), QueuedJobsSchema);
    for (const job of queued) await getJob(auth, job.id, 20);
    const page = await readBody(
      await stack.worker.fetch("/v1/jobs?status=succeeded&limit=1", { headers: { Authorization: auth } }),
      JobPageSchema,
    );
    expect(page.items).toHaveLength(1);
    expect(page.items[0]?.status).toBe("succeeded");
    expect(page.items[0]?.detections).toBeUndefined();
    expect(page.nextCursor).not.toBeNull();
    const none = await readBody(
      await stack.worker.fetch("/v1/jobs?status=failed", { headers: { Authorization: auth } }),
      JobPageSchema,
    );
    expect(none.items).toEqual([]);
  });

  test("wait beyond the configured maximum is refused", async () => {
    const { auth } = await signedInUser(stack.worker);
    const response = await stack.worker.fetch(`/v1/jobs/${crypto.randomUUID()}?wait=3600`, {
      headers: { Authorization: auth },
    });
    expect(response.status).toBe(400);
  });
});
