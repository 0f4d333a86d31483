import { useMemo, useState } from "hono/jsx/dom";
import type { ReviewState } from "../api/reviews";
import type { Job } from "../api/types";
import { toggled } from "../toggled";
import { classesOf, isShown } from "./detections";
import { fromJob, fromReview, type Indication } from "./indications";

export type IndicationView = {
  /** The review's indications, or the job's detections until the review has loaded. */
  indications: Indication[];
  classes: Array<{ classId: number; label: string; count: number }>;
  /** Those passing the confidence threshold and the class toggles. */
  shown: Indication[];
  /** The selected indication, if it still exists. */
  current: Indication | null;
  minScore: number;
  setMinScore(change: number | ((value: number) => number)): void;
  hidden: Set<number>;
  toggleClass(classId: number): void;
};

/** What the viewer lists and draws, through its filters (threshold, class toggles). */
export function useIndications(job: Job | null, review: ReviewState | null, selected: string | null) {
  const [minScore, setMinScore] = useState(0);
  const [hidden, setHidden] = useState<Set<number>>(new Set());
  const indications = useMemo(
    () => (review ? fromReview(review.review) : job ? fromJob(job) : []),
    [review, job],
  );
  const classes = useMemo(() => classesOf(indications), [indications]);
  const shown = indications.filter((item) =>
    isShown({ score: item.score ?? 1, classId: item.classId }, minScore, hidden),
  );
  const toggleClass = (classId: number) => setHidden((set) => toggled(set, classId));
  const current = indications.find((item) => item.key === selected) ?? null;
  return {
    indications,
    classes,
    shown,
    current,
    minScore,
    setMinScore,
    hidden,
    toggleClass,
  } satisfies IndicationView;
}
