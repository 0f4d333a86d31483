import type { ReviewState } from "../api/reviews";
import type { ReviewAction } from "../api/types";
import {
  type HistoryStep,
  itemStates,
  ReviewConflict,
  replayStep,
  sameState,
  stepBetween,
} from "./review-history";

export type ReviewQueueEvents = {
  /** Sends actions against the version `etag` names; the review they leave. */
  send(etag: string, actions: ReviewAction[]): Promise<ReviewState>;
  /** Reads the review again, after someone else changed it. */
  reload(): Promise<ReviewState>;
  isStale(error: unknown): boolean;
  /** Every state the review reaches. */
  publish(state: ReviewState): void;
  /** A failure to show, or null when a new action starts. */
  onError(error: unknown): void;
  /** Whether actions are waiting or in flight. */
  onBusy(busy: boolean): void;
  /** How many steps can be undone and redone, after each change. */
  onHistory?(history: { undo: number; redo: number }): void;
};

export type ReviewQueue = {
  readonly state: ReviewState | null;
  /** A review read from the API: the version the next action names. */
  set(state: ReviewState): void;
  /** Queues actions behind those already queued; nothing happens before a review is set. */
  enqueue(actions: ReviewAction[]): Promise<void>;
  /** Takes back the last step the reviewer took (queued like any action). */
  undo(): Promise<void>;
  /** Takes again the last step undone. */
  redo(): Promise<void>;
};

/**
 * Actions the app sends in one request: the API's default REVIEW_MAX_ACTIONS_PER_REQUEST. Only an
 * undo or redo of a large step (a bulk accept of hundreds) needs more, and is sent in parts.
 */
export const REVIEW_ACTIONS_PER_REQUEST = 100;

/** How often a request is sent again after someone else's change made its version stale. */
export const STALE_RETRIES = 3;

type Intent = { kind: "actions"; actions: ReviewAction[] } | { kind: "undo" } | { kind: "redo" };

const itemIdOf = (action: ReviewAction) => ("itemId" in action ? action.itemId : null);

/**
 * Whether actions planned against `basis` still mean the same against `fresh`: every indication
 * they name is as it was (nobody else decided or edited it meanwhile). Drawing a box and
 * "accept all pending above a score" apply to whatever the review is now.
 */
function stillApplies(actions: ReviewAction[], basis: ReviewState, fresh: ReviewState) {
  const was = itemStates(basis.review);
  const now = itemStates(fresh.review);
  return actions.every((action) => {
    const id = itemIdOf(action);
    if (id === null) return true;
    const before = was.get(id);
    const after = now.get(id);
    return before !== undefined && after !== undefined && sameState(before, after);
  });
}

const labelOf = (state: ReviewState, actions: ReviewAction[]) => {
  const id = actions.map(itemIdOf).find((value) => value !== null);
  return state.review.items.find((item) => item.id === id)?.label ?? "an indication";
};

/**
 * The reviewer's changes, one request at a time. Each waits for the one before and names the
 * version that one left, so a key pressed during a save (or a box drawn right after a decision)
 * never races an earlier request into a 412. A 412 from someone else's change reloads the review
 * and sends the same actions again when the indications they name are unchanged; otherwise the
 * action is reported as not applied, never dropped in silence. Each successful step is kept for
 * undo and redo, which replay the inverse through the same queue.
 */
export function createReviewQueue(
  events: ReviewQueueEvents,
  maxActions = REVIEW_ACTIONS_PER_REQUEST,
): ReviewQueue {
  let state: ReviewState | null = null;
  let tail: Promise<void> = Promise.resolve();
  let waiting = 0;
  const undone: HistoryStep[] = [];
  const done: HistoryStep[] = [];

  const set = (next: ReviewState) => {
    state = next;
    events.publish(next);
  };
  const history = () => events.onHistory?.({ undo: done.length, redo: undone.length });

  /** The actions an intent sends against `current`; null when there is nothing to send. */
  function plan(
    intent: Intent,
    current: ReviewState,
  ): { actions: ReviewAction[]; step?: HistoryStep } | null {
    if (intent.kind === "actions") return { actions: intent.actions };
    const step = (intent.kind === "undo" ? done : undone).at(-1);
    if (!step) return null;
    return { actions: replayStep(current.review, step, intent.kind), step };
  }

  function record(intent: Intent, before: ReviewState, after: ReviewState) {
    if (intent.kind === "actions") {
      const step = stepBetween(before.review, after.review);
      if (step) done.push(step);
      undone.length = 0;
    } else if (intent.kind === "undo") {
      undone.push(done.pop() as HistoryStep);
    } else {
      done.push(undone.pop() as HistoryStep);
    }
    history();
  }

  /**
   * Sends an intent's actions: a user's as one request (one step), an undo or redo at most
   * `maxActions` at a time, re-planned after each part. True when the intent is done.
   */
  async function sendPart(intent: Intent, basis: ReviewState, actions: ReviewAction[]): Promise<boolean> {
    const mine = intent.kind === "actions";
    const next = await events.send(basis.etag, mine ? actions : actions.slice(0, maxActions));
    if (mine) record(intent, basis, next);
    set(next);
    return mine;
  }

  async function run(intent: Intent) {
    for (let stale = 0; state && stale <= STALE_RETRIES; ) {
      const basis: ReviewState = state;
      let planned: ReturnType<typeof plan>;
      try {
        planned = plan(intent, basis);
      } catch (conflict) {
        // The step can never be replayed as it was: drop it rather than fail on it again.
        (intent.kind === "undo" ? done : undone).pop();
        history();
        throw conflict;
      }
      if (!planned) return;
      if (planned.actions.length === 0) {
        if (intent.kind !== "actions") record(intent, basis, basis);
        return;
      }
      try {
        if (await sendPart(intent, basis, planned.actions)) return;
      } catch (failure) {
        if (!events.isStale(failure)) throw failure;
        stale++;
        const fresh = await events.reload();
        set(fresh);
        if (intent.kind === "actions" && !stillApplies(planned.actions, basis, fresh)) {
          throw new ReviewConflict(
            `${labelOf(fresh, planned.actions)} was changed by someone else meanwhile; your ${planned.actions[0]?.type} was not applied. The review has been reloaded.`,
          );
        }
      }
    }
    throw new ReviewConflict("The review kept changing elsewhere; your change was not applied. Try again.");
  }

  function queued(intent: Intent) {
    if (!state) return tail;
    waiting++;
    events.onBusy(true);
    events.onError(null);
    tail = tail
      .then(() => run(intent))
      .catch((failure: unknown) => events.onError(failure))
      .finally(() => {
        waiting--;
        if (waiting === 0) events.onBusy(false);
      });
    return tail;
  }

  return {
    get state() {
      return state;
    },
    set,
    enqueue: (actions) => queued({ kind: "actions", actions }),
    undo: () => queued({ kind: "undo" }),
    redo: () => queued({ kind: "redo" }),
  };
}
