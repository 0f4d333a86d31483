import { useEffect, useMemo, useRef, useState } from "hono/jsx/dom";
import { getReview, isStale, postReviewActions, type ReviewState } from "../api/reviews";
import type { ReviewAction } from "../api/types";
import { createReviewQueue } from "./review-queue";

export type ReviewEvents = {
  onError(error: unknown): void;
  /** The review arrived (once per job). */
  onLoad(state: ReviewState): void;
};

export type Reviewing = {
  /** Null until loaded: the job has not succeeded, or the review is still on its way. */
  review: ReviewState | null;
  /** Actions are waiting or in flight. */
  busy: boolean;
  /** Queues review actions; each goes against the version the one before left. */
  act(actions: ReviewAction[]): void;
  /** Takes back the reviewer's last step, or takes again the last one undone (queued too). */
  undo(): void;
  redo(): void;
  /** Steps that can be undone and redone. */
  history: { undo: number; redo: number };
};

/** A job's review, read once `ready` (the job succeeded and its film is shown), and its changes. */
export function useReview(jobId: string, ready: boolean, events: ReviewEvents): Reviewing {
  const [review, setReview] = useState<ReviewState | null>(null);
  const [busy, setBusy] = useState(false);
  const [history, setHistory] = useState({ undo: 0, redo: 0 });
  const latest = useRef(events);
  latest.current = events;
  const queue = useMemo(
    () =>
      createReviewQueue({
        send: (etag, actions) => postReviewActions(jobId, etag, { actions }),
        reload: () => getReview(jobId),
        isStale,
        publish: setReview,
        onError: (error) => latest.current.onError(error),
        onBusy: setBusy,
        onHistory: setHistory,
      }),
    [jobId],
  );

  useEffect(() => {
    if (!ready) return;
    let cancelled = false;
    getReview(jobId).then(
      (loaded) => {
        if (cancelled) return;
        queue.set(loaded);
        latest.current.onLoad(loaded);
      },
      (failure: unknown) => !cancelled && latest.current.onError(failure),
    );
    return () => {
      cancelled = true;
    };
  }, [jobId, ready, queue]);

  return {
    review,
    busy,
    history,
    act: (actions) => void queue.enqueue(actions),
    undo: () => void queue.undo(),
    redo: () => void queue.redo(),
  };
}
