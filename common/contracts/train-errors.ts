import { z } from "zod";

/**
 * Why a training run failed: the codes the trainer reports in a failed finish, and the ones the
 * edge sets itself (`cancelled` is a status, not an error). `permanent` says whether a retry of
 * the same run could succeed; the trainer sends it with the code, and the edge fails the run at
 * once for a permanent one, or puts it back to `queued` for the queue's next delivery.
 * `inference/training/service/errors.py` holds the same table; a test compares them.
 */
export const trainErrors = {
  /** A dataset image could not be downloaded (network, expired URL, 5xx). */
  dataset_fetch_failed: { permanent: false },
  /** The dataset cannot be trained on: no training or validation image, unreadable images. */
  dataset_invalid: { permanent: true },
  /** The base model could not be downloaded. */
  base_model_fetch_failed: { permanent: false },
  /** The base model cannot be fine-tuned (not an ONNX file the trainer rebuilds, wrong input size). */
  base_model_unusable: { permanent: true },
  /** Training itself failed (out of memory, a numeric error). */
  training_failed: { permanent: false },
  /** The trained model could not be exported to ONNX. */
  export_failed: { permanent: true },
  /** The model file could not be uploaded. */
  upload_failed: { permanent: false },
  /** The trainer was stopped (SIGTERM) before the run finished; the run is trained again. */
  interrupted: { permanent: false },
  // Set by the edge.
  /** The registry's verified upload refused the file (size, sha256, not a model it can serve). */
  model_rejected: { permanent: true },
  /** The message's retries were spent (the `train-dlq` consumer). */
  dead_lettered: { permanent: true },
  /** The run stopped reporting progress too many times (a trainer killed again and again). */
  trainer_lost: { permanent: true },
} as const satisfies Record<string, { permanent: boolean }>;

export type TrainErrorCode = keyof typeof trainErrors;
export const trainErrorCodes = Object.keys(trainErrors) as [TrainErrorCode, ...TrainErrorCode[]];
export const TrainErrorCodeSchema = z.enum(trainErrorCodes);

/** Codes only the trainer reports. */
export const trainerErrorCodes = trainErrorCodes.filter(
  (code) => !["model_rejected", "dead_lettered", "trainer_lost"].includes(code),
) as [TrainErrorCode, ...TrainErrorCode[]];
