import type { ReviewState } from "../api/reviews";
import type { ReviewAction } from "../api/types";

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
};

export type ReviewQueue = {
  readonly state: ReviewState | null;
  /** A review read from the API: the version the next action names. */
  set(state: ReviewState): void;
  /** Queues actions behind those already queued; nothing happens before a review is set. */
  enqueue(actions: ReviewAction[]): Promise<void>;
};

/**
 * The reviewer's changes, one request at a time. Each waits for the one before and names the
 * version that one left, so a key pressed during a save (or a box drawn right after a decision)
 * never races an earlier request into a 412. A 412 from someone else's change reloads the review,
 * and the actions queued after it go against the reloaded version.
 */
export function createReviewQueue(events: ReviewQueueEvents): ReviewQueue {
  let state: ReviewState | null = null;
  let tail: Promise<void> = Promise.resolve();
  let waiting = 0;

  const set = (next: ReviewState) => {
    state = next;
    events.publish(next);
  };

  async function run(actions: ReviewAction[]) {
    if (!state) return;
    try {
      set(await events.send(state.etag, actions));
    } catch (failure) {
      events.onError(failure);
      if (events.isStale(failure)) set(await events.reload());
    }
  }

  return {
    get state() {
      return state;
    },
    set,
    enqueue(actions) {
      if (!state) return tail;
      waiting++;
      events.onBusy(true);
      events.onError(null);
      tail = tail
        .then(() => run(actions))
        .catch((failure: unknown) => events.onError(failure))
        .finally(() => {
          waiting--;
          if (waiting === 0) events.onBusy(false);
        });
      return tail;
    },
  };
}
