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
  /** The model's class names by id; null when the model did not report them. */
  classes: string[] | null;
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

/** What one action does to an indication's state (`add` and `accept-pending` are handled apart). */
function applied(
  action: Exclude<ReviewAction, { type: "add" | "accept-pending" }>,
  state: ReviewedState,
  req: ReviewRequest,
  index: number,
): ReviewedState {
  switch (action.type) {
    case "accept":
      return { ...state, decision: "accepted" };
    case "reject":
      return { ...state, decision: "rejected" };
    case "reset":
      return { ...state, decision: "pending" };
    case "relabel":
      return { ...state, decision: "accepted", classId: action.classId, label: action.label };
    case "resize":
      return { ...state, decision: "accepted", box: checkBox(action.box, req.image, index) };
    case "note":
      return { ...state, note: action.note };
  }
}

/**
 * A class a reviewer names must be one of the model's (when the model reported them): a drawn box
 * of an invented class would rename the model's class of that id in every multi-job export.
 */
function checkClass(action: { classId: number; label: string }, classes: string[] | null, index: number) {
  if (classes === null || classes[action.classId] === action.label) return;
  throw new ApiError(
    "validation_failed",
    `actions.${index}: class ${action.classId} "${action.label}" is not one of the model's classes`,
    { details: { actionIndex: index, classes } },
  );
}

/** The review as a transaction changes it: its items, what changed, the events and drawn ids. */
type Working = {
  req: ReviewRequest;
  version: number;
  items: Map<string, ReviewItem>;
  drawn: number;
  changed: Map<string, ReviewItem>;
  events: Event[];
  added: string[];
  now: Date;
};

function recordChange(
  work: Working,
  item: ReviewItem,
  action: Event["action"],
  before: ReviewedState | null,
) {
  work.items.set(item.id, item);
  work.changed.set(item.id, item);
  work.events.push({
    jobId: work.req.jobId,
    itemId: item.id,
    version: work.version,
    action,
    actorId: work.req.actor.userId,
    apiKeyId: work.req.actor.apiKeyId,
    before,
    after: stateOf(item),
  });
}

function addBox(work: Working, action: Extract<ReviewAction, { type: "add" }>, index: number) {
  checkClass(action, work.req.classes, index);
  work.drawn += 1;
  if (work.drawn > work.req.maxAdded) {
    throw new ApiError("review_limit_reached", `At most ${work.req.maxAdded} drawn boxes per job`, {
      details: { limit: work.req.maxAdded },
    });
  }
  const id = uuidv7();
  work.added.push(id);
  recordChange(
    work,
    {
      id,
      source: "reviewer",
      original: null,
      rowId: id,
      decision: "accepted",
      classId: action.classId,
      label: action.label,
      box: checkBox(action.box, work.req.image, index),
      note: action.note ?? null,
      updatedAt: work.now,
      updatedBy: work.req.actor.userId,
    },
    "add",
    null,
  );
}

function applyAction(work: Working, action: ReviewAction, index: number) {
  const touched = { updatedAt: work.now, updatedBy: work.req.actor.userId };
  if (action.type === "add") return addBox(work, action, index);
  if (action.type === "accept-pending") {
    for (const item of [...work.items.values()]) {
      const score = item.original?.score;
      if (item.decision !== "pending" || score === undefined || score < action.minScore) continue;
      recordChange(work, { ...item, decision: "accepted", ...touched }, "accept", stateOf(item));
    }
    return;
  }
  if (action.type === "relabel") checkClass(action, work.req.classes, index);
  const item = work.items.get(action.itemId);
  if (!item) {
    throw new ApiError("not_found", `actions.${index}.itemId is not an indication of this job`, {
      details: { actionIndex: index, itemId: action.itemId },
    });
  }
  const before = stateOf(item);
  recordChange(
    work,
    { ...item, ...applied(action, before, work.req, index), ...touched },
    action.type,
    before,
  );
}

/**
 * Applies a reviewer's actions to a job, in order, all or none: one new review version, the
 * changed indications upserted into `reviewed_detections`, one audit event per action (per
 * indication for `accept-pending`). The model's `detections` rows are only read. Returns the new
 * version and the ids of drawn boxes.
 */
export async function applyReviewActions(
  db: Db,
  req: ReviewRequest,
): Promise<{ version: number; added: string[] }> {
  return db.interactiveTransaction(async (tx) => {
    const version = await bumpVersion(tx, req.jobId, req.precondition, req.actor.userId);
    const state = (await loadReviews(tx, [req.jobId])).get(req.jobId);
    const work: Working = {
      req,
      version,
      items: new Map((state?.items ?? []).map((item) => [item.id, item])),
      drawn: state?.items.filter((item) => item.source === "reviewer").length ?? 0,
      changed: new Map(),
      events: [],
      added: [],
      now: new Date(),
    };
    for (const [index, action] of req.actions.entries()) applyAction(work, action, index);
    await storeChanges(tx, req, work);
    return { version, added: work.added };
  });
}

/** Upserts the changed indications and appends their events. */
async function storeChanges(tx: Tx, req: ReviewRequest, work: Working) {
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
  const model = [...work.changed.values()].filter((item) => item.source === "model").map(row);
  const reviewer = [...work.changed.values()].filter((item) => item.source === "reviewer").map(row);
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
  if (work.events.length > 0) await tx.insert(reviewEvents).values(work.events);
}
