import type { Db } from "@db/client-worker";
import type { DatasetBox, DatasetSkipped } from "@db/schema";
import { uuidv7 } from "uuidv7";
import { ApiError } from "../errors";
import { loadReviews, type ReviewItem } from "../reviews/reviewed-set";
import { ClassList, orderNewNames } from "./classes";
import { copyObject, forEachLimited } from "./copy-object";
import { datasetObjectKey, deleteObjects } from "./object-keys";
import { carriedItems, ownedDataset } from "./owned";
import { type JobSelection, type SelectedJob, selectJobs } from "./reviewed-jobs";
import { newSeed } from "./split";
import { type ItemDraft, writeVersion } from "./write-version";

export type FromReviewsRequest = {
  ownerId: string;
  name?: string;
  from?: string;
  fromJobs: JobSelection;
  seed?: string;
  valFraction?: number;
};

export const DEFAULT_VAL_FRACTION = 0.2;
/** Image copies in flight at once: each is one streamed read and one write. */
const COPY_CONCURRENCY = 4;

type Kept = { job: SelectedJob; version: number; accepted: ReviewItem[] };

/**
 * The reviewed set of each job, when it is final: accepted model detections (with their relabelled
 * class and resized box) and drawn boxes; rejected ones dropped. A job with a pending detection is
 * left out, and so is one nobody reviewed; a job of an image a newer job also covers, too.
 */
async function keptJobs(db: Db, selected: SelectedJob[]) {
  const reviews = await loadReviews(
    db,
    selected.map((job) => job.jobId),
  );
  const skipped: DatasetSkipped = { pending: 0, unreviewed: 0, duplicate: 0 };
  const kept = new Map<string, Kept>();
  for (const job of selected) {
    const review = reviews.get(job.jobId) ?? { version: 0, items: [] };
    if (review.items.some((item) => item.decision === "pending")) skipped.pending += 1;
    else if (review.version === 0) skipped.unreviewed += 1;
    // Newest finished first: the first job of an image is the one kept.
    else if (kept.has(job.image.sha256)) skipped.duplicate += 1;
    else {
      const accepted = review.items.filter((item) => item.decision === "accepted");
      kept.set(job.image.sha256, { job, version: review.version, accepted });
    }
  }
  return { kept: [...kept.values()], skipped };
}

function boxesOf(items: ReviewItem[], classes: ClassList): DatasetBox[] {
  return items.map((item) => ({ classId: classes.add(item.label), ...item.box }));
}

/** Makes a version from reviewed jobs, on top of `from` when given; answers the new row. */
export async function datasetFromReviews(
  db: Db,
  bucket: R2Bucket,
  request: FromReviewsRequest,
  maxJobs: number,
) {
  const parent = request.from ? await ownedDataset(db, request.ownerId, request.from) : null;
  const selected = await selectJobs(db, request.ownerId, request.fromJobs, maxJobs);
  const { kept, skipped } = await keptJobs(db, selected);
  const carried = parent ? await carriedItems(db, parent.id) : [];
  if (carried.length === 0 && kept.length === 0) {
    throw new ApiError("dataset_empty", "None of the jobs has a finished review to take", {
      details: { skipped },
    });
  }
  const classes = new ClassList(parent?.classes);
  for (const name of orderNewNames(kept.flatMap((k) => k.accepted))) classes.add(name);

  const id = uuidv7();
  const bySha = new Map(carried.map((item) => [item.sha256, item]));
  const keys = new Set(carried.map((item) => item.key));
  const toCopy: Array<{ from: string; item: ItemDraft }> = [];
  for (const { job, version, accepted } of kept) {
    const source = { jobId: job.jobId, imageId: job.image.id, reviewVersion: version };
    const boxes = boxesOf(accepted, classes);
    const previous = bySha.get(job.image.sha256);
    if (previous) {
      // The same film again: newer boxes, same key, object and split.
      bySha.set(job.image.sha256, { ...previous, ...source, boxes });
      continue;
    }
    const key = keys.has(job.image.id) ? `${job.image.id}-${job.image.sha256.slice(0, 12)}` : job.image.id;
    keys.add(key);
    const { id: _id, objectKey, ...image } = job.image;
    const item = { ...image, ...source, key, boxes, objectKey: datasetObjectKey(request.ownerId, id) };
    toCopy.push({ from: objectKey, item });
    bySha.set(job.image.sha256, item);
  }

  const written: string[] = [];
  try {
    await forEachLimited(toCopy, COPY_CONCURRENCY, async ({ from, item }) => {
      written.push(item.objectKey);
      await copyObject(bucket, from, item.objectKey);
    });
    return await writeVersion(db, {
      id,
      ownerId: request.ownerId,
      name: request.name ?? parent?.name ?? "dataset",
      version: parent ? parent.version + 1 : 1,
      parentId: parent?.id ?? null,
      source: "reviews",
      seed: parent?.seed ?? request.seed ?? newSeed(),
      valFraction: parent?.valFraction ?? request.valFraction ?? DEFAULT_VAL_FRACTION,
      classes: classes.names,
      skipped,
      items: [...bySha.values()],
    });
  } catch (error) {
    await deleteObjects(bucket, written).catch(() => {});
    throw error;
  }
}
