import { availableParallelism } from "node:os";

/**
 * How the service splits the machine's cores between the model run and image decoding. Both are
 * CPU-bound: when onnxruntime's threads take every core, each decode steals time from the run.
 */

/** onnxruntime threads when none are configured: every core but one, which decoding gets. */
export function defaultIntraOpThreads(cores = availableParallelism()): number {
  return Math.max(1, cores - 1);
}

/** Images decoded at once when not configured: the cores onnxruntime leaves free, at least one. */
export function defaultDecodeConcurrency(intraOpThreads: number, cores = availableParallelism()): number {
  return Math.max(1, cores - intraOpThreads);
}
