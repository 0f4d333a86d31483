import type { Candidate } from "../model/decoders/types";
import { iou } from "./boxes";

export interface NmsOptions {
  iou: number;
  maxDet: number;
  /** Suppress across classes too (one box per object whatever its class). */
  agnostic?: boolean;
  /** Candidates considered at most, highest scores first (bounds the quadratic loop). */
  maxCandidates?: number;
}

/** Greedy non-maximum suppression, per class unless agnostic; returns kept boxes by descending score. */
export function nms(candidates: readonly Candidate[], options: NmsOptions): Candidate[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score);
  if (options.maxCandidates !== undefined) sorted.length = Math.min(sorted.length, options.maxCandidates);
  const kept: Candidate[] = [];
  for (const candidate of sorted) {
    if (kept.length >= options.maxDet) break;
    const suppressed = kept.some(
      (k) => (options.agnostic || k.classId === candidate.classId) && iou(k, candidate) > options.iou,
    );
    if (!suppressed) kept.push(candidate);
  }
  return kept;
}

/** End-to-end models already de-duplicate: keep the best `maxDet`. */
export function topK(candidates: readonly Candidate[], maxDet: number): Candidate[] {
  return [...candidates].sort((a, b) => b.score - a.score).slice(0, maxDet);
}
