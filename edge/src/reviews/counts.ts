import type { Db } from "@db/client-worker";
import { detections, type ReviewedState, reviewedDetections } from "@db/schema";
import { and, eq, inArray, isNull, sql } from "drizzle-orm";

type Decision = ReviewedState["decision"];
export type DecisionCounts = Record<Decision, number>;

/**
 * Decisions per job for a page of a list, counted in the database (two grouped reads, whatever
 * the page size): model detections by their reviewed decision (pending when never touched), plus
 * the boxes reviewers drew. The same counts `GET .../review` shows.
 */
export async function reviewCounts(db: Db, jobIds: string[]): Promise<Map<string, DecisionCounts>> {
  const counts = new Map<string, DecisionCounts>(
    jobIds.map((id) => [id, { pending: 0, accepted: 0, rejected: 0 }]),
  );
  if (jobIds.length === 0) return counts;
  const decision = sql<Decision>`coalesce(${reviewedDetections.decision}, 'pending')`;
  const [model, drawn] = await Promise.all([
    db
      .select({ jobId: detections.jobId, decision, count: sql<number>`count(*)::int` })
      .from(detections)
      .leftJoin(reviewedDetections, eq(reviewedDetections.detectionId, detections.id))
      .where(inArray(detections.jobId, jobIds))
      .groupBy(detections.jobId, decision),
    db
      .select({
        jobId: reviewedDetections.jobId,
        decision: reviewedDetections.decision,
        count: sql<number>`count(*)::int`,
      })
      .from(reviewedDetections)
      .where(and(inArray(reviewedDetections.jobId, jobIds), isNull(reviewedDetections.detectionId)))
      .groupBy(reviewedDetections.jobId, reviewedDetections.decision),
  ]);
  for (const row of [...model, ...drawn]) {
    const entry = counts.get(row.jobId);
    if (entry) entry[row.decision] += row.count;
  }
  return counts;
}
