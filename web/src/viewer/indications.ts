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

export type ClassChoice = { classId: number; label: string };

/**
 * The classes a reviewer may draw or relabel to: the model's own list (from its file, reported
 * with the job's result), so a film with no detections still offers every class. Jobs from
 * before models reported their classes fall back to the classes on the film. Never invented: an
 * empty list means drawing is not offered.
 */
export function classChoices(
  modelClasses: readonly string[] | null | undefined,
  onFilm: ReadonlyArray<ClassChoice>,
): ClassChoice[] {
  if (modelClasses && modelClasses.length > 0) {
    return modelClasses.map((label, classId) => ({ classId, label }));
  }
  return onFilm.map(({ classId, label }) => ({ classId, label }));
}

/** Class and label of a drawn box: the class chosen beside the Draw button, if it is a choice. */
export function drawTargetOf(choices: ReadonlyArray<ClassChoice>, drawClass: number): ClassChoice | null {
  const chosen = choices.find((entry) => entry.classId === drawClass) ?? choices[0];
  return chosen ? { classId: chosen.classId, label: chosen.label } : null;
}
