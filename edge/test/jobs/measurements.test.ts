/**
 * Issue #15 at the edge: the `tiling` job parameter, and sizes in millimetres from the image's or
 * the job's pixel size, in the API and in the COCO and YOLO exports.
 */
import { describe, expect, test } from "bun:test";
import { MEASUREMENT_COLUMNS } from "@edge/jobs/exports";
import { ImageSchema } from "@edge/routes/images/schema";
import { JobSchema, QueuedJobsSchema } from "@edge/routes/jobs/schema";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { CocoExportSchema } from "@scripts/testing/coco-export";
import { imageFixtures } from "@scripts/testing/image-fixtures";
import { expectError, readBody } from "@scripts/testing/responses";
import { stubDetections, useWorkerWithStubInference } from "@scripts/testing/stub-inference";
import { strFromU8, unzipSync } from "fflate";

const stack = useWorkerWithStubInference({
  vars: { RATE_LIMIT_WRITE: "1000/60s", RATE_LIMIT_READ: "1000/60s" },
});

async function upload(auth: string, query = "") {
  const bytes = await imageFixtures.png(320, 240);
  const response = await stack.worker.fetch(`/v1/images${query}`, {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "image/png", "Content-Length": String(bytes.length) },
    body: bytes,
  });
  return response;
}

const createJob = (auth: string, body: unknown) =>
  stack.worker.fetch("/v1/jobs", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

async function finishedJob(auth: string, body: Record<string, unknown>) {
  const created = await createJob(auth, body);
  expect(created.status).toBe(202);
  const id = (await readBody(created, QueuedJobsSchema)).jobs[0]?.id as string;
  const response = await stack.worker.fetch(`/v1/jobs/${id}?wait=20`, { headers: { Authorization: auth } });
  const job = await readBody(response, JobSchema);
  expect(job.status).toBe("succeeded");
  return job;
}

const exportBatch = (auth: string, jobIds: string[], format: "coco" | "yolo") =>
  stack.worker.fetch("/v1/exports", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/json" },
    body: JSON.stringify({ jobIds, format }),
  });

describe("sizes in millimetres", () => {
  test("a pixel size given at upload gives every detection its size in mm, in the API and both exports", async () => {
    const { auth } = await signedInUser(stack.worker);
    const uploaded = await upload(auth, "?pixelSizeMm=0.05");
    expect(uploaded.status).toBe(201);
    const image = await readBody(uploaded, ImageSchema);
    expect(image.pixelSizeMm).toEqual({ x: 0.05, y: 0.05, source: "upload" });

    const job = await finishedJob(auth, { imageId: image.id });
    expect(job.pixelSizeMm).toEqual({ x: 0.05, y: 0.05, source: "upload" });
    const expected = stubDetections(job.id);
    // porosity 50 × 50 px, unmeasured; crack 60 × 30 px, measured 56 × 26 px corner to corner and
    // 3 px wide (scripts/testing/stub-inference.ts).
    expect(job.detections?.map((d) => d.sizeMm)).toEqual([
      {
        width: expect.closeTo(2.5, 9),
        height: expect.closeTo(2.5, 9),
        length: expect.closeTo(2.5, 9),
        breadth: expect.closeTo(2.5, 9),
        measured: false,
        area: expect.closeTo(6.25, 9),
      },
      {
        width: expect.closeTo(3, 9),
        height: expect.closeTo(1.5, 9),
        length: expect.closeTo(Math.hypot(56, 26) * 0.05, 9),
        breadth: expect.closeTo(0.15, 9),
        measured: true,
        area: expect.closeTo(4.5, 9),
      },
    ]);
    expect(job.detections?.[1]?.extent).toEqual(expected[1]?.extent);
    expect(job.detections?.[0]?.extent).toBeUndefined();
    expect(job.detections?.[0]?.box).toEqual(expected[0]?.box as (typeof expected)[number]["box"]);

    const coco = await readBody(await exportBatch(auth, [job.id], "coco"), CocoExportSchema);
    expect(coco.images[0]?.pixel_size_mm).toEqual({ x: 0.05, y: 0.05, source: "upload" });
    expect(coco.annotations[1]?.size_mm).toEqual({
      width: expect.closeTo(3, 9),
      height: expect.closeTo(1.5, 9),
      length: expect.closeTo(Math.hypot(56, 26) * 0.05, 9),
      breadth: expect.closeTo(0.15, 9),
      measured: true,
      area: expect.closeTo(4.5, 9),
    });

    const zip = unzipSync(new Uint8Array(await (await exportBatch(auth, [job.id], "yolo")).arrayBuffer()));
    const csv = strFromU8(zip["measurements.csv"] as Uint8Array)
      .trim()
      .split("\n");
    expect(csv[0]).toBe(MEASUREMENT_COLUMNS.join(","));
    expect(csv[1]).toBe(`${image.id},1,0,porosity,0.900000,2.5000,2.5000,2.5000,6.2500,2.5000,false`);
    expect(csv[2]).toBe(`${image.id},2,1,crack,0.600000,3.0000,1.5000,3.0871,4.5000,0.1500,true`);
    // The YOLO lines themselves keep their standard six columns.
    expect(
      strFromU8(zip[`labels/${image.id}.txt`] as Uint8Array)
        .split("\n")[0]
        ?.split(" "),
    ).toHaveLength(6);
  });

  test("a job's own pixelSizeMm (x and y apart) overrides the image's", async () => {
    const { auth } = await signedInUser(stack.worker);
    const image = await readBody(await upload(auth, "?pixelSizeMm=0.05"), ImageSchema);
    const job = await finishedJob(auth, { imageId: image.id, pixelSizeMm: { x: 0.1, y: 0.2 } });
    expect(job.params.pixelSizeMm).toEqual({ x: 0.1, y: 0.2 });
    expect(job.pixelSizeMm).toEqual({ x: 0.1, y: 0.2, source: "job" });
    // The crack's measured line, 56 × 26 px, and its 3 px width across it, under 0.1 × 0.2 mm pixels.
    const across = { x: 26 / Math.hypot(56, 26), y: 56 / Math.hypot(56, 26) };
    expect(job.detections?.[1]?.sizeMm).toEqual({
      width: expect.closeTo(6, 9),
      height: expect.closeTo(6, 9),
      length: expect.closeTo(Math.hypot(5.6, 5.2), 9),
      breadth: expect.closeTo(3 * Math.hypot(across.x * 0.1, across.y * 0.2), 9),
      measured: true,
      area: expect.closeTo(36, 9),
    });
  });

  test("calibrating the image afterwards gives its finished job sizes in mm", async () => {
    const { auth } = await signedInUser(stack.worker);
    const image = await readBody(await upload(auth), ImageSchema);
    const job = await finishedJob(auth, { imageId: image.id });
    expect(job.detections?.every((d) => d.sizeMm === null)).toBe(true);
    const calibrated = await stack.worker.fetch(`/v1/images/${image.id}/calibration`, {
      method: "PUT",
      headers: { Authorization: auth, "Content-Type": "application/json" },
      body: JSON.stringify({ reference: { x1: 10, y1: 100, x2: 210, y2: 100, lengthMm: 20 } }),
    });
    expect(calibrated.status).toBe(200);
    const read = await readBody(
      await stack.worker.fetch(`/v1/jobs/${job.id}`, { headers: { Authorization: auth } }),
      JobSchema,
    );
    expect(read.pixelSizeMm).toMatchObject({ x: 0.1, y: 0.1, source: "reference" });
    expect(read.detections?.[1]?.sizeMm?.length).toBeCloseTo(Math.hypot(56, 26) * 0.1, 9);
  });

  test("without a pixel size there are no sizes: null in the API, absent from the exports", async () => {
    const { auth } = await signedInUser(stack.worker);
    const image = await readBody(await upload(auth), ImageSchema);
    expect(image.pixelSizeMm).toBeNull();
    const job = await finishedJob(auth, { imageId: image.id });
    expect(job.pixelSizeMm).toBeNull();
    expect(job.detections?.every((d) => d.sizeMm === null)).toBe(true);
    const coco = await readBody(await exportBatch(auth, [job.id], "coco"), CocoExportSchema);
    expect(coco.images[0]?.pixel_size_mm).toBeUndefined();
    expect(coco.annotations[0]?.size_mm).toBeUndefined();
    const zip = unzipSync(new Uint8Array(await (await exportBatch(auth, [job.id], "yolo")).arrayBuffer()));
    expect(zip["measurements.csv"]).toBeUndefined();
  });

  test.each([
    ["text", "?pixelSizeMm=abc"],
    ["zero", "?pixelSizeMm=0"],
    ["three values", "?pixelSizeMm=0.1,0.1,0.1"],
  ])("an upload's pixelSizeMm as %s → 400 validation_failed", async (_, query) => {
    const { auth } = await signedInUser(stack.worker);
    const response = await upload(auth, query);
    await expectError(response, 400, "validation_failed");
  });
});

describe("the tiling job parameter", () => {
  test("defaults to auto; an explicit tiling is kept with its defaults filled in", async () => {
    const { auth } = await signedInUser(stack.worker);
    const image = await readBody(await upload(auth), ImageSchema);
    const auto = await readBody(await createJob(auth, { imageId: image.id }), QueuedJobsSchema);
    expect(auto.jobs[0]?.params.tiling).toBe("auto");
    const explicit = await readBody(
      await createJob(auth, { imageId: image.id, tiling: { tileSize: 640 } }),
      QueuedJobsSchema,
    );
    expect(explicit.jobs[0]?.params.tiling).toEqual({ tileSize: 640, overlap: 0.2, wholeImage: false });
    const off = await readBody(await createJob(auth, { imageId: image.id, tiling: "off" }), QueuedJobsSchema);
    expect(off.jobs[0]?.params.tiling).toBe("off");
  });

  test.each([
    ["a tile below 32 px", { tileSize: 16 }],
    ["an overlap above 0.5", { tileSize: 320, overlap: 0.9 }],
    ["an unknown mode", "always"],
    ["a negative job pixel size", undefined],
  ])("%s → 400 validation_failed", async (_, tiling) => {
    const { auth } = await signedInUser(stack.worker);
    const image = await readBody(await upload(auth), ImageSchema);
    const body =
      tiling === undefined ? { imageId: image.id, pixelSizeMm: -1 } : { imageId: image.id, tiling };
    const response = await createJob(auth, body);
    await expectError(response, 400, "validation_failed");
  });
});
