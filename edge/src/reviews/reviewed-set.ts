import type { Box, Detection } from "@common/contracts/detect-result";
import { extentForBox } from "@common/measurement-math";
import type { Extent } from "@common/measurements";
import type { Db, Tx } from "@db/client-worker";
import { detections, jobReviews, type ReviewedState, reviewedDetections } from "@db/schema";
import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import type { DetectionView } from "../jobs/views";

type Decision = ReviewedState["decision"];

/**
 * One indication of a job's review: a model detection with whatever a reviewer decided or changed
 * (the model's output kept alongside as `original`), or a box a reviewer drew.
 */
export type ReviewItem = ReviewedState & {
  id: string;
  source: "model" | "reviewer";
  /** The model's output; null for a drawn box. */
  original: Detection | null;
  /** Id of the `reviewed_detections` row, once a reviewer has touched the indication. */
  rowId: string | null;
  updatedAt: Date | null;
  updatedBy: string | null;
};

export type JobReviewState = { version: number; items: ReviewItem[] };

type ImageDims = { width: number; height: number };

const boxOf = (row: { x1: number; y1: number; x2: number; y2: number }): Box => ({
  x1: row.x1,
  y1: row.y1,
  x2: row.x2,
  y2: row.y2,
});

/**
 * The review state of each job: model detections by rank, then drawn boxes in the order they were
 * drawn. Jobs never reviewed have version 0 and every detection pending, as the model gave it.
 */
export async function loadReviews(db: Db | Tx, jobIds: string[]): Promise<Map<string, JobReviewState>> {
  const states = new Map<string, JobReviewState>(jobIds.map((id) => [id, { version: 0, items: [] }]));
  if (jobIds.length === 0) return states;
  const [versions, modelRows, drawnRows] = await Promise.all([
    db
      .select({ jobId: jobReviews.jobId, version: jobReviews.version })
      .from(jobReviews)
      .where(inArray(jobReviews.jobId, jobIds)),
    db
      .select({ detection: detections, review: reviewedDetections })
      .from(detections)
      .leftJoin(reviewedDetections, eq(reviewedDetections.detectionId, detections.id))
      .where(inArray(detections.jobId, jobIds))
      .orderBy(asc(detections.jobId), asc(detections.rank)),
    db
      .select()
      .from(reviewedDetections)
      .where(and(inArray(reviewedDetections.jobId, jobIds), isNull(reviewedDetections.detectionId)))
      .orderBy(asc(reviewedDetections.id)),
  ]);
  for (const { jobId, version } of versions) (states.get(jobId) as JobReviewState).version = version;
  for (const { detection: d, review: r } of modelRows) {
    const original: Detection = {
      classId: d.classId,
      label: d.label,
      score: d.score,
      box: boxOf(d),
      ...(d.extent ? { extent: d.extent } : {}),
    };
    states.get(d.jobId)?.items.push({
      id: d.id,
      source: "model",
      original,
      rowId: r?.id ?? null,
      decision: (r?.decision ?? "pending") as Decision,
      classId: r?.classId ?? d.classId,
      label: r?.label ?? d.label,
      box: r ? boxOf(r) : original.box,
      note: r?.note ?? null,
      updatedAt: r?.updatedAt ?? null,
      updatedBy: r?.updatedBy ?? null,
    });
  }
  for (const r of drawnRows) {
    states.get(r.jobId)?.items.push({
      id: r.id,
      source: "reviewer",
      original: null,
      rowId: r.id,
      decision: r.decision,
      classId: r.classId,
      label: r.label,
      box: boxOf(r),
      note: r.note,
      updatedAt: r.updatedAt,
      updatedBy: r.updatedBy,
    });
  }
  return states;
}

/** The part of an item the audit log records. */
export const stateOf = (item: ReviewItem): ReviewedState => ({
  decision: item.decision,
  classId: item.classId,
  label: item.label,
  box: { ...item.box },
  note: item.note,
});

const normalise = (box: Box, image: ImageDims): Box => ({
  x1: box.x1 / image.width,
  y1: box.y1 / image.height,
  x2: box.x2 / image.width,
  y2: box.y2 / image.height,
});

export function countDecisions(items: ReviewItem[]): Record<Decision, number> {
  const counts: Record<Decision, number> = { pending: 0, accepted: 0, rejected: 0 };
  for (const item of items) counts[item.decision] += 1;
  return counts;
}

/** A job's review as `GET /v1/jobs/{id}/review` shows it (`JobReviewSchema`). */
export function toJobReview(jobId: string, image: ImageDims & { id: string }, state: JobReviewState) {
  return {
    jobId,
    version: state.version,
    image: { id: image.id, width: image.width, height: image.height },
    counts: countDecisions(state.items),
    items: state.items.map((item) => ({
      id: item.id,
      source: item.source,
      decision: item.decision,
      classId: item.classId,
      label: item.label,
      box: item.box,
      boxNormalized: normalise(item.box, image),
      score: item.original?.score ?? null,
      note: item.note,
      original: item.original,
      updatedAt: item.updatedAt?.toISOString() ?? null,
      updatedBy: item.updatedBy,
    })),
  };
}

/**
 * Score given to a reviewer-drawn box where a format needs one (COCO results, YOLO `save_conf`):
 * a person asserted it, so it is certain.
 */
export const DRAWN_BOX_SCORE = 1;

/**
 * The indication's extent as measured at detection time, while its box is still the model's: a box
 * a reviewer drew or resized has none, and its sizes come from the box.
 */
export const measuredExtent = (item: Pick<ReviewItem, "box" | "original">): Extent | null =>
  extentForBox(item.box, item.original);

/** The reviewed set as detections: every indication not rejected, as reviewed. */
export function reviewedDetectionViews(items: ReviewItem[], image: ImageDims): DetectionView[] {
  return items
    .filter((item) => item.decision !== "rejected")
    .map((item) => ({
      classId: item.classId,
      label: item.label,
      score: item.original?.score ?? DRAWN_BOX_SCORE,
      box: item.box,
      ...withExtent(item),
      boxNormalized: normalise(item.box, image),
    }));
}

const withExtent = (item: ReviewItem) => {
  const extent = measuredExtent(item);
  return extent ? { extent } : {};
};
