import { describe, expect, test } from "bun:test";
import { splitOf } from "@edge/datasets/split";
import { DatasetItemPageSchema, DatasetPageSchema, DatasetSchema } from "@edge/routes/datasets/schema";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { FIXTURE_IMAGE } from "@scripts/testing/job-fixtures";
import { readBody } from "@scripts/testing/responses";
import { getReview, review, succeededJob } from "@scripts/testing/review-fixtures";
import { useTestWorker } from "@scripts/testing/test-worker";
import { createDataset, datasetObjects } from "./dataset-fixtures";

const worker = useTestWorker({ vars: { RATE_LIMIT_WRITE: "1000/60s", RATE_LIMIT_READ: "1000/60s" } });

/** A distinct stored image per job: the dataset tells films apart by their content. */
const uniqueBytes = () => new Uint8Array([...FIXTURE_IMAGE, ...crypto.getRandomValues(new Uint8Array(16))]);

async function job(ownerId: string, detections?: []) {
  return succeededJob(worker.current, ownerId, {
    bytes: uniqueBytes(),
    ...(detections ? { detections } : {}),
  });
}

/** Accepts the porosity, relabels the crack and draws an undercut. */
async function reviewFully(auth: string, jobId: string) {
  const [porosity, crack] = (await getReview(worker.current, auth, jobId)).review.items;
  await review(worker.current, auth, jobId, [
    { type: "accept", itemId: porosity?.id },
    { type: "relabel", itemId: crack?.id, classId: 3, label: "lack_of_fusion" },
    { type: "add", classId: 4, label: "undercut", box: { x1: 400, y1: 300, x2: 560, y2: 420 } },
  ]);
}

async function storedBytes(objectKey: string | undefined): Promise<Uint8Array> {
  const object = await (await worker.current.mf.getR2Bucket("IMAGES")).get(objectKey as string);
  if (!object) throw new Error(`no object ${objectKey}`);
  return new Uint8Array(await object.arrayBuffer());
}

async function items(auth: string, id: string, query = "") {
  const response = await worker.current.fetch(`/v1/datasets/${id}/items?limit=100${query}`, {
    headers: { Authorization: auth },
  });
  expect(response.status).toBe(200);
  return readBody(response, DatasetItemPageSchema);
}

describe("POST /v1/datasets from reviews", () => {
  test("keeps accepted, relabelled and drawn boxes, drops rejected ones, counts pending and unreviewed jobs", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const full = await job(user.id);
    const partly = await job(user.id);
    const pending = await job(user.id);
    const empty = await job(user.id, []);
    await reviewFully(auth, full.jobId);
    const [porosity, crack] = (await getReview(worker.current, auth, partly.jobId)).review.items;
    await review(worker.current, auth, partly.jobId, [
      { type: "accept", itemId: porosity?.id },
      { type: "reject", itemId: crack?.id },
    ]);

    const dataset = await createDataset(worker.current, auth, {
      name: "welds",
      fromJobs: [full.jobId, partly.jobId, pending.jobId, empty.jobId],
      seed: "seed-1",
    });
    expect(dataset).toMatchObject({
      name: "welds",
      version: 1,
      parentId: null,
      source: "reviews",
      seed: "seed-1",
      valFraction: 0.2,
      classes: ["porosity", "lack_of_fusion", "undercut"],
      skipped: { pending: 1, unreviewed: 1, duplicate: 0 },
    });
    expect(dataset.counts.images.total).toBe(2);
    expect(dataset.counts.boxes.total).toBe(4);
    expect(dataset.counts.perClass.map((c) => [c.name, c.train + c.val])).toEqual([
      ["porosity", 2],
      ["lack_of_fusion", 1],
      ["undercut", 1],
    ]);

    const page = await items(auth, dataset.id);
    const byJob = new Map(page.items.map((item) => [item.source?.jobId, item]));
    expect(byJob.get(full.jobId)?.boxes.map((b) => b.label)).toEqual([
      "porosity",
      "lack_of_fusion",
      "undercut",
    ]);
    expect(byJob.get(full.jobId)?.boxes[2]?.box).toEqual({ x1: 400, y1: 300, x2: 560, y2: 420 });
    expect(byJob.get(full.jobId)?.boxes[2]?.boxNormalized).toEqual({
      x1: 400 / 640,
      y1: 300 / 480,
      x2: 560 / 640,
      y2: 420 / 480,
    });
    expect(byJob.get(partly.jobId)?.boxes.map((b) => b.label)).toEqual(["porosity"]);
    expect(byJob.has(pending.jobId)).toBe(false);
    expect(byJob.get(full.jobId)?.key).toBe(full.imageId);
    for (const item of page.items) {
      expect(item.split).toBe(await splitOf("seed-1", item.sha256, 0.2));
    }
    // The films were copied: the dataset does not depend on the uploads staying.
    expect(await datasetObjects(worker.current, user.id)).toHaveLength(2);

    const got = await worker.current.fetch(`/v1/datasets/${dataset.id}`, {
      headers: { Authorization: auth },
    });
    expect(await readBody(got, DatasetSchema)).toEqual(dataset);
  });

  test("a filter takes the caller's reviewed jobs; nothing reviewed is dataset_empty", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const pending = await job(user.id);
    const refused = await worker.current.fetch("/v1/datasets", {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "none", fromJobs: [pending.jobId] }),
    });
    expect(refused.status).toBe(422);
    const reviewed = await job(user.id);
    await reviewFully(auth, reviewed.jobId);
    const dataset = await createDataset(worker.current, auth, {
      name: "filtered",
      fromJobs: { reviewed: true },
    });
    expect(dataset.counts.images.total).toBe(1);
    expect(dataset.skipped).toEqual({ pending: 0, unreviewed: 0, duplicate: 0 });
    const listed = await worker.current.fetch("/v1/datasets", { headers: { Authorization: auth } });
    expect((await readBody(listed, DatasetPageSchema)).items.map((d) => d.id)).toEqual([dataset.id]);
  });

  test("a new version keeps every image's key, split and boxes, updates re-reviewed ones and adds new ones", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const first = await Promise.all([job(user.id), job(user.id), job(user.id), job(user.id)]);
    for (const { jobId } of first) await reviewFully(auth, jobId);
    const v1 = await createDataset(worker.current, auth, {
      name: "lineage",
      fromJobs: first.map((j) => j.jobId),
      valFraction: 0.5,
    });
    const before = (await items(auth, v1.id)).items;

    const added = await Promise.all([job(user.id), job(user.id)]);
    for (const { jobId } of added) await reviewFully(auth, jobId);
    // The first film again, reviewed anew in another job: same image, other boxes.
    const again = await succeededJob(worker.current, user.id, {
      bytes: await storedBytes(first[0]?.objectKey),
    });
    const [porosity, crack] = (await getReview(worker.current, auth, again.jobId)).review.items;
    await review(worker.current, auth, again.jobId, [
      { type: "reject", itemId: porosity?.id },
      { type: "relabel", itemId: crack?.id, classId: 7, label: "slag" },
    ]);

    const v2 = await createDataset(worker.current, auth, {
      from: v1.id,
      fromJobs: [...added.map((j) => j.jobId), again.jobId],
    });
    expect(v2).toMatchObject({
      name: "lineage",
      version: 2,
      parentId: v1.id,
      seed: v1.seed,
      valFraction: 0.5,
    });
    expect(v2.classes).toEqual([...v1.classes, "slag"]);
    expect(v2.counts.images.total).toBe(6);
    const after = new Map((await items(auth, v2.id)).items.map((item) => [item.sha256, item]));
    for (const item of before) {
      expect(after.get(item.sha256)).toMatchObject({ key: item.key, split: item.split });
    }
    const reReviewed = after.get(before.find((i) => i.source?.jobId === first[0]?.jobId)?.sha256 as string);
    expect(reReviewed?.boxes.map((b) => b.label)).toEqual(["slag"]);
    expect(reReviewed?.source?.jobId).toBe(again.jobId);
    for (const item of after.values()) expect(item.split).toBe(await splitOf(v1.seed, item.sha256, 0.5));
    // v1 is untouched, and v2 stored only the two new films.
    expect((await items(auth, v1.id)).items).toEqual(before);
    expect(await datasetObjects(worker.current, user.id)).toHaveLength(6);
  });
});
