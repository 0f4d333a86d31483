import { z } from "zod";

/**
 * The error codes both services speak: the ones that cross the boundary between the edge and the
 * inference service (in a failed result callback, `DetectResult.error.code`, or in an error body
 * of the inference API the Worker calls) and the ones that name the same failure on both sides
 * (an undecodable upload on the edge is the same `image_corrupt` as an undecodable download in
 * inference). One failure, one code, one HTTP status, wherever it is raised.
 *
 * `status` is the HTTP status an error body with the code answers with. `permanent` says whether
 * the job that failed with it could ever succeed on a retry of the same message: an undecodable
 * image never will; a full queue soon may. A code, once published, keeps its meaning and status.
 *
 * `edge/src/errors.ts` answers with the ones that apply to the public API and adds its API-only
 * codes on top; `inference/src/errors.ts` is exactly this set.
 */
export const sharedErrors = {
  // The request.
  /** A request the service cannot read, not covered by a more precise code. */
  bad_request: { status: 400, permanent: true },
  /** Parameters, query or body fail their schema. */
  validation_failed: { status: 400, permanent: true },
  /** A JSON body that does not parse. */
  malformed_json: { status: 400, permanent: true },
  /** A request that needs a body (the image) came without one. */
  empty_body: { status: 400, permanent: true },
  /** Missing or wrong credential. */
  unauthorized: { status: 401, permanent: true },
  /** No such route or resource. */
  not_found: { status: 404, permanent: true },

  // The image.
  /** Damaged, truncated or otherwise undecodable (also: an empty download). */
  image_corrupt: { status: 400, permanent: true },
  /** More bytes than the limit. */
  payload_too_large: { status: 413, permanent: true },
  /** Not one of the supported formats (JPEG, PNG, TIFF, WebP, greyscale single-frame DICONDE). */
  unsupported_image_type: { status: 415, permanent: true },
  /**
   * A DICOM/DICONDE file whose pixel data is encoded in a transfer syntax the platform does not
   * decode (`common/imaging/dicom-transfer-syntax.ts` lists the ones it does).
   */
  unsupported_transfer_syntax: { status: 415, permanent: true },
  /** Width × height over the pixel limit (a decompression bomb, or simply too big). */
  image_too_many_pixels: { status: 422, permanent: true },
  /** The image was deleted before inference could download it (its URL answered 404). */
  image_not_found: { status: 422, permanent: true },
  /** The download failed: network, timeout, 403 of an expired URL, 5xx. */
  image_fetch_failed: { status: 502, permanent: false },
  /** The downloaded bytes do not match the sha256 the job was created with. */
  image_checksum_mismatch: { status: 502, permanent: false },

  // The model and its run.
  /** The job names a model inference does not serve. */
  model_not_found: { status: 404, permanent: true },
  /** The model file's inputs or outputs are not a detection layout inference knows. */
  model_layout_unknown: { status: 500, permanent: true },
  /** The model file cannot be read or is not a valid model. */
  model_load_failed: { status: 500, permanent: true },
  /**
   * A registry model version's download failed, or brought other bytes than the claim names: the
   * edge's or storage's problem, not the job's, so it is retried.
   */
  model_fetch_failed: { status: 502, permanent: false },
  /** The runtime failed while running the model. */
  inference_failed: { status: 500, permanent: false },

  // The service.
  /** The model's queue is full: back-pressure, the message comes back later. */
  queue_full: { status: 503, permanent: false },
  /** The service is draining for shutdown. */
  shutting_down: { status: 503, permanent: false },
  /** A route whose configuration is missing (e.g. push without an edge to report to). */
  not_configured: { status: 503, permanent: false },
  /** An unexpected error: logged, never leaked. */
  internal: { status: 500, permanent: false },
} as const satisfies Record<string, { status: number; permanent: boolean }>;

export type SharedErrorCode = keyof typeof sharedErrors;

export const sharedErrorCodes = Object.keys(sharedErrors) as [SharedErrorCode, ...SharedErrorCode[]];

/** The shared codes as a zod enum, for schemas of error bodies and failed results. */
export const SharedErrorCodeSchema = z.enum(sharedErrorCodes);

/** `{ code: status }` of the given shared codes, for a service that answers with only some. */
export function sharedStatuses<const C extends readonly SharedErrorCode[]>(
  ...codes: C
): { [K in C[number]]: (typeof sharedErrors)[K]["status"] } {
  return Object.fromEntries(codes.map((code) => [code, sharedErrors[code].status])) as {
    [K in C[number]]: (typeof sharedErrors)[K]["status"];
  };
}
