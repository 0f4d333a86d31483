import type { Job, JobReview } from "../api/types";
import { classColour } from "./detections";
import type { Overlay } from "./film-view";
import type { Box } from "./geometry";

/**
 * What the viewer shows and reviews: the review's indications when the job has a review, else
 * the job's detections as the model gave them (not reviewable).
 */
export type Indication = {
  key: string;
  source: "model" | "reviewer";
  decision: "pending" | "accepted" | "rejected";
  classId: number;
  label: string;
  box: Box;
  /** The model's score; drawn boxes have none and pass every confidence threshold. */
  score: number | null;
  note: string | null;
};

/** Keys of the job's own detections (`detection-<rank>`), before the review has loaded. */
export const JOB_DETECTION_KEY = "detection-";

export function fromJob(job: Job): Indication[] {
  return (job.detections ?? []).map((detection, index) => ({
    key: `${JOB_DETECTION_KEY}${index}`,
    source: "model",
    decision: "pending",
    classId: detection.classId,
    label: detection.label,
    box: detection.box,
    score: detection.score,
    note: null,
  }));
}

export function fromReview(review: JobReview): Indication[] {
  return review.items.map((item) => ({
    key: item.id,
    source: item.source,
    decision: item.decision,
    classId: item.classId,
    label: item.label,
    box: item.box,
    score: item.score,
    note: item.note,
  }));
}

/**
 * The same indication's key once the review has loaded: a detection picked before the review
 * arrived stays picked, since both lists are in rank order.
 */
export function keyInReview(key: string | null, review: JobReview): string | null {
  if (!key?.startsWith(JOB_DETECTION_KEY)) return key;
  return review.items[Number(key.slice(JOB_DETECTION_KEY.length))]?.id ?? null;
}

/** The score as shown: two decimals, or "drawn" for a box a reviewer drew. */
export const scoreText = (item: Indication) => (item.score === null ? "drawn" : item.score.toFixed(2));

/** The boxes drawn over the film for the indications shown. */
export function overlaysOf(shown: Indication[], selected: string | null): Overlay[] {
  return shown.map((item) => ({
    key: item.key,
    box: item.box,
    colour: classColour(item.classId),
    caption: `${item.label} ${scoreText(item)}${item.decision === "pending" ? "" : ` · ${item.decision}`}`,
    selected: item.key === selected,
    dashed: item.decision === "rejected",
  }));
}

/** Class and label of a drawn box: the class chosen beside the Draw button. */
export function drawTargetOf(
  classes: ReadonlyArray<{ classId: number; label: string }>,
  drawClass: number,
): { classId: number; label: string } {
  const chosen = classes.find((entry) => entry.classId === drawClass);
  return chosen ? { classId: chosen.classId, label: chosen.label } : { classId: drawClass, label: "defect" };
}
