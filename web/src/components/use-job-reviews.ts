import { useEffect, useState } from "hono/jsx/dom";
import { getReview } from "../api/reviews";
import type { JobReview } from "../api/types";

/** Review reads in flight at once while a list of jobs is previewed. */
const PARALLEL_READS = 4;

/**
 * The reviews of the listed jobs, read once each as they appear (a few at a time), so the
 * dataset builder can tell reviewed jobs from pending ones and preview what a version would take.
 */
export function useJobReviews(jobIds: string[]): { reviews: Map<string, JobReview>; error: unknown } {
  const [reviews, setReviews] = useState<Map<string, JobReview>>(new Map());
  const [error, setError] = useState<unknown>(null);
  const key = jobIds.join(",");
  useEffect(() => {
    let stopped = false;
    const queue = jobIds.filter((id) => !reviews.has(id));
    const worker = async () => {
      for (let id = queue.shift(); id && !stopped; id = queue.shift()) {
        try {
          const { review } = await getReview(id);
          if (!stopped) setReviews((known) => new Map(known).set(id, review));
        } catch (failure) {
          if (!stopped) setError(failure);
        }
      }
    };
    for (let i = 0; i < PARALLEL_READS; i++) void worker();
    return () => {
      stopped = true;
    };
  }, [key]);
  return { reviews, error };
}
