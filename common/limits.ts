/**
 * Defaults of the settings the edge and the inference service must agree on, defined once: the
 * edge (`edge/src/config.ts`) and inference (`inference/src/config.ts`, `INFERENCE_*`) take their
 * defaults from here. `common/test/limits.test.ts` fails when either side's default, a
 * wrangler.toml var or the inference deployment's env file says otherwise, and when a model jobs
 * may name has no file in `inference/models/`.
 */

/** Largest image in bytes: inference refuses bigger downloads, so an edge that took them would queue jobs bound to fail. */
export const MAX_IMAGE_BYTES = 50 * 1024 * 1024;

/** Largest width × height: the edge reads it from the header, inference refuses to decode more, so a gap fails accepted jobs. */
export const MAX_IMAGE_PIXELS = 100_000_000;

/** Models jobs may name (the first is the default): each needs `inference/models/<name>.onnx`, or its jobs fail `model_not_found`. */
export const DETECTION_MODELS = ["weld-defects"] as const;

/** Most detections one image may ask for (`maxDet`): the result callback's body limit below is sized for it. */
export const MAX_DETECTIONS_PER_IMAGE = 3000;

/** Largest result callback the edge accepts: must hold MAX_DETECTIONS_PER_IMAGE detections, or the largest results are refused. */
export const MAX_CALLBACK_BODY_BYTES = 2 * 1024 * 1024;

/**
 * Seconds a line of queued jobs must have stood before the edge's admission reads a pace from it
 * (`edge/src/jobs/admission.ts`): a younger line may only be waiting for an idle inference's next
 * pull, so inference's idle pause (`PULL_IDLE_MS`) is kept to `MAX_PULL_IDLE_MS`, below it.
 */
export const STANDING_LINE_SECONDS = 2;

/** Longest pause inference may take after an empty pull: under STANDING_LINE_SECONDS, with room for the claim. */
export const MAX_PULL_IDLE_MS = 1500;
