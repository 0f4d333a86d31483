/**
 * The generator's labels written as an inspector's review of a detected film: the model's
 * indications that match a label (IoU ≥ 0.5, highest score first, each label claimed once) are
 * accepted with the label's class and box (`relabel` when the class differs, `resize` to the
 * true box), the others rejected, and every label no indication matched is drawn (`add`).
 */
import type { ReviewAction } from "@edge/routes/reviews/schema";
import { DEFECT_CLASSES } from "@generator/classes";
import type { Label } from "@generator/sample";
import { iou } from "@inference/eval/average-precision";
import type { Review } from "./api";

const MATCH_IOU = 0.5;

export type ReviewTally = { accepted: number; relabelled: number; rejected: number; drawn: number };

export function reviewActions(review: Review, labels: readonly Label[]) {
  const claimed = new Set<number>();
  const actions: ReviewAction[] = [];
  const tally: ReviewTally = { accepted: 0, relabelled: 0, rejected: 0, drawn: 0 };
  const items = review.items
    .filter((item) => item.score !== null)
    .sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
  for (const item of items) {
    let best = -1;
    let bestIou = MATCH_IOU;
    labels.forEach((label, i) => {
      const overlap = iou(item.box, label.box);
      if (!claimed.has(i) && overlap >= bestIou) [best, bestIou] = [i, overlap];
    });
    const label = labels[best];
    if (!label) {
      actions.push({ type: "reject", itemId: item.id });
      tally.rejected++;
      continue;
    }
    claimed.add(best);
    if (label.classId !== item.classId) {
      const name = DEFECT_CLASSES[label.classId] as string;
      actions.push({ type: "relabel", itemId: item.id, classId: label.classId, label: name });
      tally.relabelled++;
    } else {
      tally.accepted++;
    }
    actions.push({ type: "resize", itemId: item.id, box: label.box });
  }
  labels.forEach((label, i) => {
    if (claimed.has(i)) return;
    const name = DEFECT_CLASSES[label.classId] as string;
    actions.push({ type: "add", classId: label.classId, label: name, box: label.box });
    tally.drawn++;
  });
  return { actions, tally };
}

export const addTallies = (a: ReviewTally, b: ReviewTally): ReviewTally => ({
  accepted: a.accepted + b.accepted,
  relabelled: a.relabelled + b.relabelled,
  rejected: a.rejected + b.rejected,
  drawn: a.drawn + b.drawn,
});
