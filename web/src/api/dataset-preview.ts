import type { JobReview } from "./types";

/** How a job would enter a dataset version, by the rules `POST /v1/datasets` applies. */
export type JobFate = "kept" | "pending" | "unreviewed" | "duplicate";

export type DatasetPreview = {
  images: number;
  boxes: number;
  /** Boxes per class name, in the order classes first appear. */
  perClass: Array<{ name: string; boxes: number }>;
  skipped: { pending: number; unreviewed: number; duplicate: number };
};

/** A review's fate alone: pending detections leave it out, and so does never being reviewed. */
export function reviewFate(review: Pick<JobReview, "version" | "items">): Exclude<JobFate, "duplicate"> {
  if (review.items.some((item) => item.decision === "pending")) return "pending";
  return review.version === 0 ? "unreviewed" : "kept";
}

/**
 * What a version made from these jobs' reviews would hold: accepted and drawn boxes by their
 * reviewed class, rejected ones dropped; a job with pending detections or no review left out, and
 * a second job of the same image too (the newest, listed first, is kept). The edge decides the
 * same way when it creates the version; this is the preview before asking it to.
 */
export function previewDataset(
  reviews: Array<Pick<JobReview, "version" | "items" | "image">>,
): DatasetPreview {
  const skipped = { pending: 0, unreviewed: 0, duplicate: 0 };
  const images = new Set<string>();
  const perClass = new Map<string, number>();
  let boxes = 0;
  for (const review of reviews) {
    const fate = reviewFate(review);
    if (fate !== "kept") skipped[fate] += 1;
    else if (images.has(review.image.id)) skipped.duplicate += 1;
    else {
      images.add(review.image.id);
      for (const item of review.items) {
        if (item.decision !== "accepted") continue;
        boxes += 1;
        perClass.set(item.label, (perClass.get(item.label) ?? 0) + 1);
      }
    }
  }
  return {
    images: images.size,
    boxes,
    perClass: [...perClass].map(([name, count]) => ({ name, boxes: count })),
    skipped,
  };
}
