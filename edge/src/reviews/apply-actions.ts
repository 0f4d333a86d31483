import type { Box } from "@common/contracts/detect-result";
import type { Db, Tx } from "@db/client-worker";
import { jobReviews, type ReviewedState, reviewEvents, reviewedDetections } from "@db/schema";
import { and, eq, inArray, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import { ApiError } from "../errors";
import type { ReviewAction } from "../routes/reviews/schema";
import type { ReviewPrecondition } from "./if-match";
import { loadReviews, type ReviewItem, stateOf } from "./reviewed-set";

export type ReviewRequest = {
  jobId: string;
  image: { width: number; height: number };
  actor: { userId: string; apiKeyId: string | null };
  /** The versions the reviewer's `If-Match` allows. */
  precondition: ReviewPrecondition;
  actions: ReviewAction[];
  maxAdded: number;
};

type Event = typeof reviewEvents.$inferInsert;

/**
 * Moves the job's review from a version the reviewer's `If-Match` allows to the next version, or
 * answers 412 with the current one. The version row is locked until the transaction ends, so
 * concurrent requests on one job are serialised and the second one finds its `If-Match` stale.
 * Version 0 is a review without its row yet: the insert that creates it is the one that wins.
 */
async function bumpVersion(
  tx: Tx,
  jobId: string,
  allowed: ReviewPrecondition,
  actorId: string,
): Promise<number> {
  if (allowed === "any" || allowed.includes(0)) {
    const [created] = await tx
      .insert(jobReviews)
      .values({ jobId, version: 1, updatedBy: actorId })
      .onConflictDoNothing()
      .returning({ version: jobReviews.version });
    if (created) return created.version;
  }
  const stored = allowed === "any" ? undefined : allowed.filter((version) => version > 0);
  if (stored === undefined || stored.length > 0) {
    const [updated] = await tx
      .update(jobReviews)
      .set({ version: sql`${jobReviews.version} + 1`, updatedBy: actorId, updatedAt: sql`now()` })
      .where(
        and(
          eq(jobReviews.jobId, jobId),
          stored === undefined ? undefined : inArray(jobReviews.version, stored),
        ),
      )
      .returning({ version: jobReviews.version });
    if (updated) return updated.version;
  }
  const [current] = await tx
    .select({ version: jobReviews.version })
    .from(jobReviews)
    .where(eq(jobReviews.jobId, jobId));
  throw new ApiError("precondition_failed", "The review changed since you read it; reload and retry", {
    details: { currentVersion: current?.version ?? 0, expectedVersions: allowed },
  });
}

/**
 * The column is `real`: a box is checked as it will be stored, in float32, so two edges that are
 * distinct as float64 but one value once rounded are refused here rather than by the table.
 */
function checkBox(box: Box, image: ReviewRequest["image"], index: number): Box {
  const [x1, y1, x2, y2] = [box.x1, box.y1, box.x2, box.y2].map(Math.fround) as [
    number,
    number,
    number,
    number,
  ];
  const inside = x1 >= 0 && y1 >= 0 && x2 <= image.width && y2 <= image.height;
  if (!inside || !(x1 < x2) || !(y1 < y2)) {
    throw new ApiError(
      "validation_failed",
      `actions.${index}.box must have x1 < x2, y1 < y2 and lie within the ${image.width}×${image.height} image`,
      { details: { actionIndex: index, box } },
    );
  }
  return box;
}

/** What one action does to an indication's state (`add` is handled separately). */
function applied(
  action: Exclude<ReviewAction, { type: "add" }>,
  state: ReviewedState,
  req: ReviewRequest,
  index: number,
): ReviewedState {
  switch (action.type) {
    case "accept":
      return { ...state, decision: "accepted" };
    case "reject":
      return { ...state, decision: "rejected" };
    case "relabel":
      return { ...state, decision: "accepted", classId: action.classId, label: action.label };
    case "resize":
      return { ...state, decision: "accepted", box: checkBox(action.box, req.image, index) };
    case "note":
      return { ...state, note: action.note };
  }
}

/**
 * Applies a reviewer's actions to a job, in order, all or none: one new review version, the
 * changed indications upserted into `reviewed_detections`, one audit event per action. The
 * model's `detections` rows are only read. Returns the new version and the ids of drawn boxes.
 */
export async function applyReviewActions(
  db: Db,
  req: ReviewRequest,
): Promise<{ version: number; added: string[] }> {
  return db.interactiveTransaction(async (tx) => {
    const version = await bumpVersion(tx, req.jobId, req.precondition, req.actor.userId);
    const state = (await loadReviews(tx, [req.jobId])).get(req.jobId);
    const items = new Map((state?.items ?? []).map((item) => [item.id, item]));
    let drawn = state?.items.filter((item) => item.source === "reviewer").length ?? 0;
    const changed = new Map<string, ReviewItem>();
    const events: Event[] = [];
    const added: string[] = [];
    const now = new Date();
    const event = (
      itemId: string,
      action: ReviewAction["type"],
      before: ReviewedState | null,
      after: ReviewedState,
    ): Event => ({
      jobId: req.jobId,
      itemId,
      version,
      action,
      actorId: req.actor.userId,
      apiKeyId: req.actor.apiKeyId,
      before,
      after,
    });

    req.actions.forEach((action, index) => {
      if (action.type === "add") {
        drawn += 1;
        if (drawn > req.maxAdded) {
          throw new ApiError("review_limit_reached", `At most ${req.maxAdded} drawn boxes per job`, {
            details: { limit: req.maxAdded },
          });
        }
        const id = uuidv7();
        const item: ReviewItem = {
          id,
          source: "reviewer",
          original: null,
          rowId: id,
          decision: "accepted",
          classId: action.classId,
          label: action.label,
          box: checkBox(action.box, req.image, index),
          note: action.note ?? null,
          updatedAt: now,
          updatedBy: req.actor.userId,
        };
        items.set(id, item);
        changed.set(id, item);
        added.push(id);
        events.push(event(id, "add", null, stateOf(item)));
        return;
      }
      const item = items.get(action.itemId);
      if (!item) {
        throw new ApiError("not_found", `actions.${index}.itemId is not an indication of this job`, {
          details: { actionIndex: index, itemId: action.itemId },
        });
      }
      const before = stateOf(item);
      const next: ReviewItem = {
        ...item,
        ...applied(action, before, req, index),
        updatedAt: now,
        updatedBy: req.actor.userId,
      };
      items.set(item.id, next);
      changed.set(item.id, next);
      events.push(event(item.id, action.type, before, stateOf(next)));
    });

    const row = (item: ReviewItem) => ({
      id: item.rowId ?? uuidv7(),
      jobId: req.jobId,
      detectionId: item.source === "model" ? item.id : null,
      decision: item.decision,
      classId: item.classId,
      label: item.label,
      ...item.box,
      note: item.note,
      updatedBy: req.actor.userId,
    });
    const upsertSet = {
      decision: sql`excluded.decision`,
      classId: sql`excluded.class_id`,
      label: sql`excluded.label`,
      x1: sql`excluded.x1`,
      y1: sql`excluded.y1`,
      x2: sql`excluded.x2`,
      y2: sql`excluded.y2`,
      note: sql`excluded.note`,
      updatedBy: sql`excluded.updated_by`,
      updatedAt: sql`now()`,
    };
    const model = [...changed.values()].filter((item) => item.source === "model").map(row);
    const reviewer = [...changed.values()].filter((item) => item.source === "reviewer").map(row);
    if (model.length > 0) {
      await tx
        .insert(reviewedDetections)
        .values(model)
        .onConflictDoUpdate({ target: reviewedDetections.detectionId, set: upsertSet });
    }
    if (reviewer.length > 0) {
      await tx
        .insert(reviewedDetections)
        .values(reviewer)
        .onConflictDoUpdate({ target: reviewedDetections.id, set: upsertSet });
    }
    await tx.insert(reviewEvents).values(events);
    return { version, added };
  });
}
