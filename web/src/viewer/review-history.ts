import type { JobReview, ReviewAction } from "../api/types";

type Item = JobReview["items"][number];
/** What a review action can change of an indication; the rest (score, source) is the model's. */
export type ItemState = Pick<Item, "decision" | "classId" | "label" | "box" | "note">;

/** One step of the reviewer's history: each indication it changed, before and after. */
export type HistoryStep = {
  changes: Array<{ itemId: string; before: ItemState | null; after: ItemState }>;
};

const stateOf = (item: Item): ItemState => ({
  decision: item.decision,
  classId: item.classId,
  label: item.label,
  box: item.box,
  note: item.note,
});

const sameBox = (a: ItemState["box"], b: ItemState["box"]) =>
  a.x1 === b.x1 && a.y1 === b.y1 && a.x2 === b.x2 && a.y2 === b.y2;

export const sameState = (a: ItemState, b: ItemState) =>
  a.decision === b.decision &&
  a.classId === b.classId &&
  a.label === b.label &&
  a.note === b.note &&
  sameBox(a.box, b.box);

export const itemStates = (review: JobReview) =>
  new Map(review.items.map((item) => [item.id, stateOf(item)]));

/** What one request changed: every indication whose state differs, drawn boxes included. */
export function stepBetween(before: JobReview, after: JobReview): HistoryStep | null {
  const was = itemStates(before);
  const changes: HistoryStep["changes"] = [];
  for (const item of after.items) {
    const previous = was.get(item.id) ?? null;
    const now = stateOf(item);
    if (!previous || !sameState(previous, now))
      changes.push({ itemId: item.id, before: previous, after: now });
  }
  return changes.length > 0 ? { changes } : null;
}

/**
 * The actions that take an indication from `from` to `to`. Relabel and resize also accept, so
 * the decision is set last. A drawn box cannot be deleted (the audit keeps it): taking one back
 * to "not drawn" rejects it, which leaves it out of the reviewed set.
 */
export function actionsToReach(itemId: string, from: ItemState, to: ItemState | null): ReviewAction[] {
  if (to === null) return from.decision === "rejected" ? [] : [{ type: "reject", itemId }];
  const actions: ReviewAction[] = [];
  if (from.classId !== to.classId || from.label !== to.label)
    actions.push({ type: "relabel", itemId, classId: to.classId, label: to.label });
  if (!sameBox(from.box, to.box)) actions.push({ type: "resize", itemId, box: to.box });
  if (from.note !== to.note) actions.push({ type: "note", itemId, note: to.note });
  const decided = actions.some((action) => action.type === "relabel" || action.type === "resize")
    ? "accepted"
    : from.decision;
  if (decided !== to.decision) {
    const type = to.decision === "pending" ? "reset" : to.decision === "accepted" ? "accept" : "reject";
    actions.push({ type, itemId });
  }
  return actions;
}

/** Why a step cannot be taken back or redone: an indication it touched changed elsewhere since. */
export class ReviewConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReviewConflict";
  }
}

/** Whether an indication is already where a step takes it (`null`: a drawn box taken back). */
const reached = (current: ItemState, to: ItemState | null) =>
  to ? sameState(current, to) : current.decision === "rejected";

/**
 * The actions that move the review from one side of a step to the other (`undo`: after → before),
 * provided each indication is still as the step left it, or already where it goes (an undo sent
 * in parts, or someone else did the same); otherwise a `ReviewConflict`.
 */
export function replayStep(review: JobReview, step: HistoryStep, direction: "undo" | "redo"): ReviewAction[] {
  const now = itemStates(review);
  const actions: ReviewAction[] = [];
  for (const change of step.changes) {
    const [from, to] = direction === "undo" ? [change.after, change.before] : [change.before, change.after];
    const current = now.get(change.itemId);
    if (current !== undefined && reached(current, to)) continue;
    const unchanged =
      current !== undefined && (from ? sameState(current, from) : current.decision === "rejected");
    if (!unchanged) {
      throw new ReviewConflict(
        `Cannot ${direction}: ${current?.label ?? "an indication"} was changed by someone else meanwhile`,
      );
    }
    actions.push(...actionsToReach(change.itemId, current, to));
  }
  return actions;
}
