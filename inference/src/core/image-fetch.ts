import { createHash } from "node:crypto";
import { errorMessage } from "@common/logger";
import { InferenceError } from "../errors";

export interface ImageFetchOptions {
  timeoutMs: number;
  maxBytes: number;
  fetch?: typeof fetch;
}

/**
 * Downloads an image by its signed URL (the one the job claim just answered with). 404 is
 * permanent (the object is gone); anything else that fails, a refused signature (403) included, is
 * retryable: the next delivery claims the job again and gets a freshly signed URL.
 */
export async function fetchImage(
  url: string,
  sha256: string | null,
  options: ImageFetchOptions,
): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, { signal: AbortSignal.timeout(options.timeoutMs) });
  } catch (error) {
    throw new InferenceError("image_fetch_failed", `image download failed: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  if (response.status === 404) {
    await response.body?.cancel();
    throw new InferenceError("image_not_found", "the image no longer exists (404)");
  }
  if (!response.ok) {
    await response.body?.cancel();
    const hint = response.status === 403 ? " (signed URL expired or invalid)" : "";
    throw new InferenceError("image_fetch_failed", `image download answered ${response.status}${hint}`);
  }
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > options.maxBytes) {
    await response.body?.cancel();
    throw new InferenceError(
      "payload_too_large",
      `image is ${declared} bytes, the limit is ${options.maxBytes}`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw new InferenceError("image_fetch_failed", `image download broke off: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  if (bytes.length > options.maxBytes) {
    throw new InferenceError(
      "payload_too_large",
      `image is ${bytes.length} bytes, the limit is ${options.maxBytes}`,
    );
  }
  if (sha256 !== null) {
    const actual = createHash("sha256").update(bytes).digest("hex");
    if (actual !== sha256) {
      throw new InferenceError("image_checksum_mismatch", `image sha256 ${actual} differs from ${sha256}`);
    }
  }
  return bytes;
}
